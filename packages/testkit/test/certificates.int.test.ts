import assert from 'node:assert/strict';
import { access, readFile } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import tls from 'node:tls';
import crypto from 'node:crypto';
import {
  generateCertificates,
  generateSelfSignedCertificate,
  type GeneratedCertificates,
  type SelfSignedCertificate,
} from '../src/index.ts';

/** Serves `key`/`cert` on 127.0.0.1 and connects once with `client` options. */
async function handshake(
  server: { key: string; cert: string },
  client: tls.ConnectionOptions,
): Promise<{ authorized: boolean; error?: string }> {
  const tlsServer = tls.createServer(server, (socket) => socket.end());
  // A client that refuses the certificate makes the server side fail too; expected here.
  tlsServer.on('tlsClientError', () => undefined);
  await new Promise<void>((resolve) => tlsServer.listen(0, '127.0.0.1', resolve));
  const { port } = tlsServer.address() as AddressInfo;
  try {
    return await new Promise((resolve) => {
      const socket = tls.connect({ host: '127.0.0.1', port, ...client }, () => {
        resolve({ authorized: socket.authorized });
        socket.destroy();
      });
      socket.once('error', (error: NodeJS.ErrnoException) => {
        resolve({ authorized: false, error: error.code ?? error.message });
      });
    });
  } finally {
    await new Promise((resolve) => tlsServer.close(resolve));
  }
}

describe('generateCertificates', () => {
  let certs: GeneratedCertificates;
  before(async () => {
    certs = await generateCertificates({ hosts: ['smtp.relay.test', '10.1.2.3'] });
  });
  after(() => certs.cleanup());

  it('returns PEM strings that match the files', async () => {
    assert.match(certs.caCert, /^-----BEGIN CERTIFICATE-----/);
    assert.match(certs.key, /^-----BEGIN PRIVATE KEY-----/);
    assert.equal(await readFile(certs.certFile, 'utf8'), certs.cert);
    assert.equal(await readFile(certs.keyFile, 'utf8'), certs.key);
    assert.equal(await readFile(certs.caFile, 'utf8'), certs.caCert);
  });

  it('names localhost, 127.0.0.1 and the extra hosts, valid for about one day', () => {
    const leaf = new crypto.X509Certificate(certs.cert);
    assert.equal(
      leaf.subjectAltName,
      'DNS:localhost, IP Address:127.0.0.1, DNS:smtp.relay.test, IP Address:10.1.2.3',
    );
    const lifetime = Date.parse(leaf.validTo) - Date.parse(leaf.validFrom);
    assert.equal(lifetime, 24 * 3600 * 1000);
    assert.ok(leaf.verify(new crypto.X509Certificate(certs.caCert).publicKey));
  });

  it('verifies against the CA for 127.0.0.1, localhost and an extra host', async () => {
    for (const servername of [undefined, 'localhost', 'smtp.relay.test']) {
      const result = await handshake(certs, {
        ca: certs.caCert,
        ...(servername ? { servername } : {}),
      });
      assert.deepEqual(result, { authorized: true }, `servername ${String(servername)}`);
    }
  });

  it('fails verification without the CA', async () => {
    const result = await handshake(certs, {});
    assert.deepEqual(result, { authorized: false, error: 'UNABLE_TO_VERIFY_LEAF_SIGNATURE' });
  });

  it('fails verification for a name it was not issued for', async () => {
    const result = await handshake(certs, { ca: certs.caCert, servername: 'other.test' });
    assert.deepEqual(result, { authorized: false, error: 'ERR_TLS_CERT_ALTNAME_INVALID' });
  });

  it('cleanup() removes the files', async () => {
    const disposable = await generateCertificates();
    await disposable.cleanup();
    await assert.rejects(access(disposable.dir), { code: 'ENOENT' });
  });
});

describe('generateSelfSignedCertificate', () => {
  let selfSigned: SelfSignedCertificate;
  before(async () => {
    selfSigned = await generateSelfSignedCertificate();
  });
  after(() => selfSigned.cleanup());

  it('fails verification against the default trust store', async () => {
    const result = await handshake(selfSigned, {});
    assert.deepEqual(result, { authorized: false, error: 'DEPTH_ZERO_SELF_SIGNED_CERT' });
  });

  it('verifies only when the certificate itself is trusted', async () => {
    const result = await handshake(selfSigned, { ca: selfSigned.cert });
    assert.deepEqual(result, { authorized: true });
  });
});
