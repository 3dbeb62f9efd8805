import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { decideRelay, type RelayRequest } from '../src/relay-decision.ts';

describe('decideRelay', () => {
  const rows: readonly { name: string; request: RelayRequest; expected: string }[] = [
    {
      name: 'authenticated user relays',
      request: { authenticatedUser: 'printer', fromRelayNetwork: false, authOffered: true },
      expected: 'accept authenticated',
    },
    {
      name: 'relay network client relays without AUTH',
      request: { authenticatedUser: undefined, fromRelayNetwork: true, authOffered: true },
      expected: 'accept relay-network',
    },
    {
      name: 'outsider is told to authenticate when AUTH is offered',
      request: { authenticatedUser: undefined, fromRelayNetwork: false, authOffered: true },
      expected: 'refuse 530 5.7.0',
    },
    {
      name: 'outsider is refused outright when no AUTH is offered',
      request: { authenticatedUser: undefined, fromRelayNetwork: false, authOffered: false },
      expected: 'refuse 554 5.7.1',
    },
  ];
  for (const row of rows) {
    it(row.name, () => {
      const decision = decideRelay(row.request);
      const summary = decision.accept
        ? `accept ${decision.reason}`
        : `refuse ${decision.reply.code} ${decision.reply.enhanced}`;
      assert.equal(summary, row.expected);
    });
  }
});
