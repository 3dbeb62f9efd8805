import assert from 'node:assert/strict';
import net from 'node:net';
import { after, before, describe, it } from 'node:test';
import { readProxyHandshake, type ProxyHandshakeResult } from '../src/proxy-handshake.ts';

// Real sockets on 127.0.0.1: the header is taken off the stream and whatever
// followed it (SMTP, or a TLS ClientHello) is left for the next reader.

interface Accepted {
  readonly result: ProxyHandshakeResult;
  /** What the socket delivers after the handshake, until the client ends. */
  readonly rest: Promise<string>;
  readonly socket: net.Socket;
}

describe('readProxyHandshake', () => {
  let server: net.Server;
  let port: number;
  const pending: ((accepted: Accepted) => void)[] = [];

  before(async () => {
    server = net.createServer((socket) => {
      readProxyHandshake(socket, (result) => {
        const rest = new Promise<string>((resolve) => {
          let text = '';
          socket.on('data', (chunk: Buffer) => {
            text += chunk.toString('latin1');
          });
          socket.on('end', () => {
            resolve(text);
          });
          socket.on('close', () => {
            resolve(text);
          });
        });
        pending.shift()?.({ result, rest, socket });
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const address = server.address();
    port = typeof address === 'object' && address ? address.port : 0;
  });

  after(async () => {
    await new Promise((resolve) => server.close(resolve));
  });

  /** Connects, writes the pieces one after another, ends; resolves with the server's view. */
  const exchange = async (pieces: readonly (string | Buffer)[], end = true): Promise<Accepted> => {
    const accepted = new Promise<Accepted>((resolve) => pending.push(resolve));
    const client = net.connect(port, '127.0.0.1');
    client.on('error', () => undefined);
    await new Promise((resolve) => client.once('connect', resolve));
    for (const piece of pieces) {
      client.write(piece);
      await new Promise((resolve) => setImmediate(resolve));
    }
    if (end) client.end();
    const result = await accepted;
    return result;
  };

  it('takes the v1 header and leaves the SMTP command sent in the same packet', async () => {
    const { result, rest } = await exchange([
      'PROXY TCP4 203.0.113.7 192.0.2.1 40000 25\r\nEHLO printer.test\r\n',
    ]);
    assert.deepEqual(result, { ok: true, source: { address: '203.0.113.7', port: 40000 } });
    assert.equal(await rest, 'EHLO printer.test\r\n');
  });

  it('reads a header that arrives a byte at a time', async () => {
    const header = 'PROXY TCP6 2001:db8::7 2001:db8::1 40000 25\r\n';
    const { result, rest } = await exchange([...header.split(''), 'QUIT\r\n']);
    assert.deepEqual(result, { ok: true, source: { address: '2001:db8::7', port: 40000 } });
    assert.equal(await rest, 'QUIT\r\n');
  });

  it('leaves binary data after a v2 header untouched (a TLS ClientHello)', async () => {
    const header = Buffer.from('0d0a0d0a000d0a515549540a2111000ccb007107c00002019c400019', 'hex');
    const hello = Buffer.from('160301', 'hex');
    const { result, rest } = await exchange([Buffer.concat([header, hello])]);
    assert.deepEqual(result, { ok: true, source: { address: '203.0.113.7', port: 40000 } });
    assert.equal(Buffer.from(await rest, 'latin1').toString('hex'), '160301');
  });

  it('destroys the socket on an invalid header', async () => {
    const { result, socket } = await exchange(['EHLO printer.test\r\n'], false);
    assert.deepEqual(result, { ok: false, reason: 'not a PROXY protocol header', peerLeft: false });
    assert.ok(socket.destroyed);
  });

  it('reports a peer that leaves before a header', async () => {
    const { result } = await exchange(['PROXY TCP4 203.0.113.7']);
    assert.equal(result.ok, false);
    assert.equal(result.peerLeft, true);
  });
});
