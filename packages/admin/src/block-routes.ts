import { canonicalClientAddress, type ClientBlock, type ClientBlockList } from '@smtp-relay/store';
import type { FastifyInstance } from 'fastify';

// docs/reference.md "Abuse protection": blocked client addresses (too many failed AUTHs, or a
// filter rule with the S flag), listed and lifted. Registered by admin-routes.ts
// inside its ADMIN_TOKEN scope, so the same authorisation and CSRF rule apply.

export interface BlockView {
  readonly address: string;
  readonly reason: ClientBlock['reason'];
  /** ISO time the block ends by itself. */
  readonly until: string;
}

export function blockView(block: ClientBlock): BlockView {
  return {
    address: block.address,
    reason: block.reason,
    until: new Date(block.until).toISOString(),
  };
}

const NOT_AN_ADDRESS = { error: 'not an IP address' };
const NOT_BLOCKED = { error: 'this address is not blocked' };

export function registerBlockRoutes(scope: FastifyInstance, blocks: ClientBlockList): void {
  scope.get('/api/v1/blocks', async () => ({ blocks: (await blocks.list()).map(blockView) }));

  scope.get<{ Params: { address: string } }>('/api/v1/blocks/:address', async (request, reply) => {
    const address = canonicalClientAddress(request.params.address);
    if (address === undefined) return reply.code(400).send(NOT_AN_ADDRESS);
    const block = await blocks.isBlocked(address);
    return block ? blockView(block) : reply.code(404).send(NOT_BLOCKED);
  });

  scope.delete<{ Params: { address: string } }>(
    '/api/v1/blocks/:address',
    async (request, reply) => {
      const address = canonicalClientAddress(request.params.address);
      if (address === undefined) return reply.code(400).send(NOT_AN_ADDRESS);
      const lifted = await blocks.lift(address);
      request.log.warn({ event: 'admin.block-lifted', address, ok: lifted }, 'block lifted');
      return lifted ? { result: `${address}: block lifted` } : reply.code(404).send(NOT_BLOCKED);
    },
  );
}
