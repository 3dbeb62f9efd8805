import assert from 'node:assert/strict';
import { endianness } from 'node:os';
import { after, describe, it } from 'node:test';
import { defaultGatewayOf, readDefaultGateway } from '../src/default-gateway.ts';
import { createTempDir } from './temp-files.ts';

// /proc/net/route as Linux prints it: a header, then one route per line, addresses as
// 32-bit hex numbers in the machine's byte order.
const HEADER =
  'Iface\tDestination\tGateway \tFlags\tRefCnt\tUse\tMetric\tMask\t\tMTU\tWindow\tIRTT';

/** Iface, Destination, Gateway, Flags, Metric, Mask */
type Route = readonly [string, string, string, string, number, string];

function table(...routes: readonly Route[]): string {
  const lines = routes.map(
    ([iface, destination, gateway, flags, metric, mask]) =>
      `${iface}\t${destination}\t${gateway}\t${flags}\t0\t0\t${String(metric)}\t${mask}\t0\t0\t0`,
  );
  return [`${HEADER}\n`, ...lines.map((line) => `${line}\n`)].join('');
}

// The link route every container has next to its default route.
const COMPOSE_NETWORK: Route = ['eth0', '000012AC', '00000000', '0001', 0, '0000FFFF'];

describe('defaultGatewayOf (/proc/net/route)', () => {
  const ROWS: readonly (readonly [string, string, string | undefined])[] = [
    [
      'a Compose network (172.18.0.0/16)',
      table(['eth0', '00000000', '010012AC', '0003', 0, '00000000'], COMPOSE_NETWORK),
      '172.18.0.1',
    ],
    [
      "Docker's 192.168.0.0/16 pool",
      table(['eth0', '00000000', '0110A8C0', '0003', 0, '00000000']),
      '192.168.16.1',
    ],
    [
      'a Podman network',
      table(['eth0', '00000000', '0100590A', '0003', 0, '00000000']),
      '10.89.0.1',
    ],
    ['no default route', table(COMPOSE_NETWORK), undefined],
    [
      'a default route without a gateway (point to point)',
      table(['wg0', '00000000', '00000000', '0001', 0, '00000000']),
      undefined,
    ],
    [
      'a default route that is not up',
      table(['eth0', '00000000', '010012AC', '0002', 0, '00000000']),
      undefined,
    ],
    [
      'two default routes: the lower metric wins',
      table(
        ['wlan0', '00000000', '0101A8C0', '0003', 600, '00000000'],
        ['eth0', '00000000', '010012AC', '0003', 100, '00000000'],
      ),
      '172.18.0.1',
    ],
    [
      'a route to 0.0.0.0/1 is not the default route',
      table(['tun0', '00000000', '0100080A', '0003', 0, '00000080']),
      undefined,
    ],
    ['only the header', table(), undefined],
    ['empty', '', undefined],
    ['not a routing table', 'Inter-|   Receive\n face |bytes\n', undefined],
  ];
  for (const [title, text, expected] of ROWS) {
    it(`${title}: ${String(expected)}`, () => {
      assert.equal(defaultGatewayOf(text), expected);
    });
  }

  it('reads the hex in the machine byte order', () => {
    const text = table(['eth0', '00000000', 'AC120001', '0003', 0, '00000000']);
    assert.equal(defaultGatewayOf(text, 'BE'), '172.18.0.1');
    assert.equal(defaultGatewayOf(text, 'LE'), '1.0.18.172');
  });
});

describe('readDefaultGateway', () => {
  const temp = createTempDir();
  after(() => {
    temp.remove();
  });

  it(
    "reads the table from a file, in this machine's byte order",
    { skip: endianness() !== 'LE' },
    () => {
      const file = temp.file(
        'route',
        table(['eth0', '00000000', '010012AC', '0003', 0, '00000000']),
      );
      assert.equal(readDefaultGateway(file), '172.18.0.1');
    },
  );

  it('without the file (not Linux) there is no gateway to check', () => {
    assert.equal(readDefaultGateway(temp.missing('no-such-route')), undefined);
  });
});
