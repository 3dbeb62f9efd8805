import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createRelayNetworks, isValidRelayNetwork } from '../src/index.ts';

describe('createRelayNetworks().contains', () => {
  const networks = createRelayNetworks([
    '10.0.0.0/8',
    '192.168.1.10/24',
    '203.0.113.7',
    '2001:db8::/32',
    'fe80::/10',
    '::1',
    '::ffff:172.16.0.0/108',
  ]);

  const rows: readonly (readonly [address: string | undefined, expected: boolean])[] = [
    ['10.0.0.1', true],
    ['10.255.255.255', true],
    ['11.0.0.1', false],
    ['192.168.1.200', true],
    ['192.168.2.1', false],
    ['203.0.113.7', true],
    ['203.0.113.8', false],
    ['::ffff:10.1.2.3', true],
    ['::FFFF:10.1.2.3', true],
    ['::ffff:0a01:0203', true],
    ['::ffff:11.1.2.3', false],
    ['172.16.5.5', true],
    ['::ffff:172.16.5.5', true],
    ['172.32.0.1', false],
    ['2001:db8::1', true],
    ['2001:0db8:ffff::1', true],
    ['2001:db9::1', false],
    ['::1', true],
    ['::2', false],
    ['fe80::1%eth0', true],
    ['127.0.0.1', false],
    // Not a dotted quad: inet_aton would read 10.1 as 10.0.0.1 and 012.1.2.3 as 10.1.2.3.
    ['10.1', false],
    ['167772161', false],
    ['012.1.2.3', false],
    ['0x0a.1.2.3', false],
    ['10.0.0.1 ', false],
    ['10.0.0.256', false],
    ['10.0.0.0/8', false],
    ['garbage', false],
    ['', false],
    [undefined, false],
  ];
  for (const [address, expected] of rows) {
    const shown = address === undefined ? 'undefined' : JSON.stringify(address);
    it(`${shown} -> ${String(expected)}`, () => {
      assert.equal(networks.contains(address), expected);
    });
  }

  it('an IPv4 range never matches IPv6 addresses and vice versa', () => {
    assert.equal(createRelayNetworks(['0.0.0.0/0']).contains('2001:db8::1'), false);
    assert.equal(createRelayNetworks(['::/0']).contains('10.0.0.1'), false);
    assert.equal(createRelayNetworks(['0.0.0.0/0']).contains('::ffff:10.0.0.1'), true);
  });

  it('an empty list contains nothing', () => {
    assert.equal(createRelayNetworks([]).contains('127.0.0.1'), false);
  });
});

// RFC 4291 2.5.5: only an IPv4-mapped address (::ffff:a.b.c.d, how a dual-stack
// socket reports an IPv4 client) is an IPv4 peer. IPv4-compatible (::a.b.c.d,
// deprecated), NAT64 and other embeddings are IPv6 peers.
describe('createRelayNetworks: IPv4 inside IPv6', () => {
  const rows: readonly (readonly [entry: string, address: string, expected: boolean])[] = [
    ['10.0.0.0/8', '10.1.2.3', true],
    ['10.0.0.0/8', '::ffff:10.1.2.3', true],
    ['10.0.0.0/8', '::FFFF:10.1.2.3', true],
    ['10.0.0.0/8', '0:0:0:0:0:ffff:a01:203', true],
    ['10.0.0.0/8', '::ffff:10.1.2.3%eth0', true],
    ['10.0.0.0/8', '::10.1.2.3', false],
    ['10.0.0.0/8', '::a01:203', false],
    ['10.0.0.0/8', '0:0:0:0:0:0:10.1.2.3', false],
    ['10.0.0.0/8', '64:ff9b::10.1.2.3', false],
    ['10.0.0.0/8', '::ffff:0:10.1.2.3', false],
    ['10.0.0.0/8', '2002:a01:203::1', false],
    ['10.0.0.0/8', '::ffff:010.1.2.3', false],
    ['10.0.0.0/8', '::ffff:10.1.2.256', false],
    ['0.0.0.0/0', '::10.1.2.3', false],
    ['::ffff:0:0/96', '10.1.2.3', true],
    ['::ffff:0:0/96', '::ffff:10.1.2.3', true],
    ['::ffff:0:0/96', '::10.1.2.3', false],
    ['::ffff:0:0/96', '2001:db8::1', false],
    ['::ffff:10.0.0.0/104', '10.1.2.3', true],
    ['::ffff:10.0.0.0/104', '11.1.2.3', false],
    ['::ffff:10.1.2.3', '10.1.2.3', true],
    ['::10.0.0.0/104', '::10.1.2.3', true],
    ['::10.0.0.0/104', '10.1.2.3', false],
    ['::10.0.0.0/104', '::ffff:10.1.2.3', false],
    ['::/0', '::10.1.2.3', true],
    ['::/0', '2001:db8::1', true],
    ['::/0', '::ffff:10.1.2.3', false],
    ['2001:db8::/32', '2001:db8:0:0:0:0:10.1.2.3', true],
    ['64:ff9b::/96', '64:ff9b::10.1.2.3', true],
  ];
  for (const [entry, address, expected] of rows) {
    it(`${entry} ${expected ? 'contains' : 'does not contain'} ${address}`, () => {
      assert.equal(createRelayNetworks([entry]).contains(address), expected);
    });
  }
});

describe('createRelayNetworks: entries', () => {
  const rows: readonly (readonly [entry: string, valid: boolean])[] = [
    ['10.0.0.0/8', true],
    [' 10.0.0.0/8 ', true],
    ['0.0.0.0/0', true],
    ['10.0.0.1', true],
    ['10.0.0.0/32', true],
    ['10.0.0.0/33', false],
    ['10.0.0.0/', false],
    ['10.0.0.0/-1', false],
    ['10.0.0.0/8/8', false],
    ['10/8', false],
    ['010.0.0.0/8', false],
    ['2001:db8::/32', true],
    ['2001:db8::/129', false],
    ['fe80::%eth0/10', false],
    ['::ffff:10.0.0.0/104', true],
    ['::ffff:0:0/96', true],
    ['::10.0.0.0/104', true],
    ['::ffff:010.0.0.0/104', false],
    ['example.com', false],
    ['*', false],
  ];
  for (const [entry, valid] of rows) {
    it(`${JSON.stringify(entry)} is ${valid ? 'valid' : 'invalid'}`, () => {
      assert.equal(isValidRelayNetwork(entry), valid);
    });
  }

  it('ignores blank entries (a trailing comma)', () => {
    assert.equal(createRelayNetworks(['10.0.0.0/8', '', '  ']).contains('10.0.0.1'), true);
  });

  it('throws naming every invalid entry', () => {
    assert.throws(
      () => createRelayNetworks(['10.0.0.0/8', '10.0.0.0/33', 'nonsense']),
      (error: unknown) =>
        error instanceof RangeError &&
        error.message.includes('"10.0.0.0/33"') &&
        error.message.includes('"nonsense"') &&
        !error.message.includes('"10.0.0.0/8"'),
    );
  });
});
