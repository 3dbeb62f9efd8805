import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { readProxyHeader, type ProxyHeaderResult } from '../src/proxy-header.ts';

// v2 headers are written out byte by byte from HAProxy's proxy-protocol.txt §2.2,
// not built with the library under test.
const SIGNATURE = '0d0a0d0a000d0a515549540a';
const hex = (...parts: string[]): Buffer => Buffer.from(parts.join('').replace(/\s/g, ''), 'hex');
const length = (n: number): string => n.toString(16).padStart(4, '0');

const IPV4_ADDRESSES = 'cb007107 c0000201 9c40 0019'; // 203.0.113.7 -> 192.0.2.1, 40000 -> 25
const IPV6_ADDRESSES =
  '20010db8000000000000000000000007 20010db8000000000000000000000001 9c40 0019';
const MAPPED_ADDRESSES =
  '00000000000000000000ffff0a010203 00000000000000000000ffffc0000201 0400 0019';

const v2 = (verCmd: string, famProto: string, body: string): Buffer =>
  hex(SIGNATURE, verCmd, famProto, length(hex(body).length), body);

const V2_IPV4 = v2('21', '11', IPV4_ADDRESSES);
const V1_IPV4 = 'PROXY TCP4 203.0.113.7 192.0.2.1 40000 25\r\n';
const V1_IPV6 = 'PROXY TCP6 2001:DB8:0:0:0:0:0:7 2001:db8::1 40000 25\r\n';

const complete = (
  headerLength: number,
  source?: { address: string; port: number },
): ProxyHeaderResult => ({ status: 'complete', length: headerLength, source });

type Expected = ProxyHeaderResult | 'invalid';

describe('readProxyHeader', () => {
  const rows: readonly { name: string; input: Buffer | string; expected: Expected }[] = [
    // v1
    {
      name: 'v1 TCP4',
      input: V1_IPV4,
      expected: complete(V1_IPV4.length, { address: '203.0.113.7', port: 40000 }),
    },
    {
      name: 'v1 TCP4 followed by SMTP: only the header is taken',
      input: `${V1_IPV4}EHLO printer\r\n`,
      expected: complete(V1_IPV4.length, { address: '203.0.113.7', port: 40000 }),
    },
    {
      name: 'v1 TCP6, address in RFC 5952 form',
      input: V1_IPV6,
      expected: complete(V1_IPV6.length, { address: '2001:db8::7', port: 40000 }),
    },
    {
      name: 'v1 UNKNOWN (health check): the real endpoint',
      input: 'PROXY UNKNOWN\r\n',
      expected: complete(15),
    },
    {
      name: 'v1 UNKNOWN with addresses: ignored',
      input: 'PROXY UNKNOWN ffff:f...:ffff ffff:f...:ffff 65535 65535\r\n',
      expected: complete(57),
    },
    {
      name: 'v1 incomplete',
      input: 'PROXY TCP4 203.0.113.7 192.0',
      expected: { status: 'incomplete' },
    },
    { name: 'v1 prefix only', input: 'PROX', expected: { status: 'incomplete' } },
    {
      name: 'v1 TCP4 with IPv6 addresses',
      input: 'PROXY TCP4 2001:db8::7 2001:db8::1 1 25\r\n',
      expected: 'invalid',
    },
    {
      name: 'v1 TCP6 with IPv4 addresses',
      input: 'PROXY TCP6 203.0.113.7 192.0.2.1 1 25\r\n',
      expected: 'invalid',
    },
    {
      name: 'v1 host name instead of address',
      input: 'PROXY TCP4 evil.example 192.0.2.1 1 25\r\n',
      expected: 'invalid',
    },
    {
      name: 'v1 octal-looking address',
      input: 'PROXY TCP4 010.0.0.1 192.0.2.1 1 25\r\n',
      expected: 'invalid',
    },
    {
      name: 'v1 injection in address',
      input: 'PROXY TCP4 1.2.3.4]x 192.0.2.1 1 25\r\n',
      expected: 'invalid',
    },
    {
      name: 'v1 port above 65535',
      input: 'PROXY TCP4 203.0.113.7 192.0.2.1 70000 25\r\n',
      expected: 'invalid',
    },
    {
      name: 'v1 negative port',
      input: 'PROXY TCP4 203.0.113.7 192.0.2.1 -1 25\r\n',
      expected: 'invalid',
    },
    {
      name: 'v1 missing field',
      input: 'PROXY TCP4 203.0.113.7 192.0.2.1 40000\r\n',
      expected: 'invalid',
    },
    {
      name: 'v1 double space',
      input: 'PROXY TCP4  203.0.113.7 192.0.2.1 1 25\r\n',
      expected: 'invalid',
    },
    {
      name: 'v1 unknown protocol',
      input: 'PROXY TCP5 203.0.113.7 192.0.2.1 1 25\r\n',
      expected: 'invalid',
    },
    {
      name: 'v1 lower case',
      input: 'proxy TCP4 203.0.113.7 192.0.2.1 1 25\r\n',
      expected: 'invalid',
    },
    { name: 'v1 bare LF', input: 'PROXY TCP4 203.0.113.7 192.0.2.1 1 25\n', expected: 'invalid' },
    {
      name: 'v1 longer than 107 bytes without end',
      input: `PROXY TCP6 ${'1'.repeat(120)}`,
      expected: 'invalid',
    },
    {
      name: 'v1 line longer than 107 bytes',
      input: `PROXY UNKNOWN ${'x'.repeat(100)}\r\n`,
      expected: 'invalid',
    },
    // neither
    { name: 'SMTP instead of a header', input: 'EHLO printer\r\n', expected: 'invalid' },
    {
      name: 'TLS ClientHello instead of a header',
      input: hex('160301020001'),
      expected: 'invalid',
    },
    { name: 'nothing yet', input: '', expected: { status: 'incomplete' } },
    // v2
    {
      name: 'v2 IPv4',
      input: V2_IPV4,
      expected: complete(28, { address: '203.0.113.7', port: 40000 }),
    },
    {
      name: 'v2 IPv6',
      input: v2('21', '21', IPV6_ADDRESSES),
      expected: complete(52, { address: '2001:db8::7', port: 40000 }),
    },
    {
      name: 'v2 IPv4-mapped IPv6',
      input: v2('21', '21', MAPPED_ADDRESSES),
      expected: complete(52, { address: '::ffff:10.1.2.3', port: 1024 }),
    },
    {
      name: 'v2 TLVs are skipped, what follows is left',
      // PP2_TYPE_NOOP (0x04) with 3 bytes, PP2_TYPE_AUTHORITY (0x02) "mx"; then "EHLO"
      input: Buffer.concat([
        v2('21', '11', `${IPV4_ADDRESSES} 04 0003 000000 02 0002 6d78`),
        Buffer.from('EHLO'),
      ]),
      expected: complete(28 + 11, { address: '203.0.113.7', port: 40000 }),
    },
    {
      name: 'v2 LOCAL (health check): the real endpoint',
      input: v2('20', '00', ''),
      expected: complete(16),
    },
    {
      name: 'v2 LOCAL with an address block: still the real endpoint',
      input: v2('20', '11', IPV4_ADDRESSES),
      expected: complete(28),
    },
    { name: 'v2 signature prefix', input: hex('0d0a0d0a00'), expected: { status: 'incomplete' } },
    {
      name: 'v2 fixed part incomplete',
      input: V2_IPV4.subarray(0, 15),
      expected: { status: 'incomplete' },
    },
    {
      name: 'v2 addresses incomplete',
      input: V2_IPV4.subarray(0, 27),
      expected: { status: 'incomplete' },
    },
    {
      name: 'v2 wrong signature byte',
      input: hex('0d0a0d0a000d0a515549540b 21 11 000c', IPV4_ADDRESSES),
      expected: 'invalid',
    },
    { name: 'v2 version 1', input: v2('11', '11', IPV4_ADDRESSES), expected: 'invalid' },
    { name: 'v2 version 3', input: v2('31', '11', IPV4_ADDRESSES), expected: 'invalid' },
    { name: 'v2 unknown command', input: v2('22', '11', IPV4_ADDRESSES), expected: 'invalid' },
    { name: 'v2 UDP', input: v2('21', '12', IPV4_ADDRESSES), expected: 'invalid' },
    {
      name: 'v2 unspecified transport',
      input: v2('21', '10', IPV4_ADDRESSES),
      expected: 'invalid',
    },
    { name: 'v2 unknown family', input: v2('21', '41', IPV4_ADDRESSES), expected: 'invalid' },
    {
      name: 'v2 PROXY with UNSPEC family (no client address)',
      input: v2('21', '00', ''),
      expected: 'invalid',
    },
    {
      name: 'v2 PROXY from a UNIX socket',
      input: v2('21', '31', '00'.repeat(216)),
      expected: 'invalid',
    },
    {
      name: 'v2 length shorter than the IPv4 block',
      input: hex(SIGNATURE, '21 11 0008', 'cb007107 c0000201'),
      expected: 'invalid',
    },
    {
      name: 'v2 length shorter than the IPv6 block',
      input: hex(SIGNATURE, '21 21 000c', IPV4_ADDRESSES),
      expected: 'invalid',
    },
    {
      name: 'v2 length beyond the 4 KiB limit',
      input: hex(SIGNATURE, '21 11 ffff'),
      expected: 'invalid',
    },
  ];
  for (const row of rows) {
    it(row.name, () => {
      const input = typeof row.input === 'string' ? Buffer.from(row.input, 'latin1') : row.input;
      const result = readProxyHeader(input);
      if (row.expected === 'invalid') {
        assert.equal(result.status, 'invalid', JSON.stringify(result));
      } else {
        assert.deepEqual(result, row.expected);
      }
    });
  }

  it('names what is wrong', () => {
    assert.deepEqual(readProxyHeader(Buffer.from('EHLO x\r\n')), {
      status: 'invalid',
      reason: 'not a PROXY protocol header',
    });
    const result = readProxyHeader(v2('21', '12', IPV4_ADDRESSES));
    assert.ok(result.status === 'invalid' && /TCP/.test(result.reason), JSON.stringify(result));
  });

  it('reads a header that arrives a byte at a time once it is complete', () => {
    for (const header of [Buffer.from(V1_IPV4, 'latin1'), V2_IPV4]) {
      for (let end = 0; end < header.length; end++) {
        assert.equal(
          readProxyHeader(header.subarray(0, end)).status,
          'incomplete',
          `${String(end)} bytes`,
        );
      }
      assert.equal(readProxyHeader(header).status, 'complete');
    }
  });
});
