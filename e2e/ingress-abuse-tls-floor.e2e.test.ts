import assert from 'node:assert/strict';
import net from 'node:net';
import { after, before, describe, it } from 'node:test';
import tls from 'node:tls';
import { generateCertificates, type GeneratedCertificates } from '@smtp-relay/testkit';
import { startRelayStack, type RelayStack } from './harness/relay-stack.ts';
import { useTestRedis, type TestRedis } from './harness/test-redis.ts';

// docs/reference.md "Abuse protection": SMTP_TLS_MIN_VERSION (TLSv1.2; TLSv1 or TLSv1.1 for
// old printers, which also lowers OpenSSL's security level on that listener).
// Before, smtp-server's default floor (TLSv1) was in force and only OpenSSL's
// defaults refused TLS 1.0. The old client here is as willing as a printer
// (security level 0 on its side), so a refusal can only come from ingress.

const LEGACY: tls.ConnectionOptions = {
  minVersion: 'TLSv1',
  maxVersion: 'TLSv1.1',
  ciphers: 'DEFAULT@SECLEVEL=0',
};
const TLS_1_0: tls.ConnectionOptions = { ...LEGACY, maxVersion: 'TLSv1' };

/** Reads until `pattern` matches what arrived, with a deadline. */
function readUntil(socket: net.Socket, pattern: RegExp, what: string): Promise<void> {
  return new Promise((resolve, reject) => {
    let text = '';
    const done = (error?: Error): void => {
      clearTimeout(timer);
      socket.off('data', onData);
      socket.off('close', onClose);
      if (error) reject(error);
      else resolve();
    };
    const onData = (chunk: Buffer): void => {
      text += chunk.toString('latin1');
      if (pattern.test(text)) done();
    };
    const onClose = (): void => {
      done(new Error(`closed while waiting for ${what}: ${JSON.stringify(text)}`));
    };
    const timer = setTimeout(() => {
      done(new Error(`timed out waiting for ${what}: ${JSON.stringify(text)}`));
    }, 5000);
    socket.on('data', onData);
    socket.once('close', onClose);
  });
}

/** The TLS version ingress agrees to with this client, or the handshake error. */
async function negotiate(
  mode: 'starttls' | 'smtps',
  port: number,
  client: tls.ConnectionOptions,
  caCert: string,
): Promise<string> {
  const raw = net.connect({ host: '127.0.0.1', port });
  raw.on('error', () => undefined);
  try {
    if (mode === 'starttls') {
      await readUntil(raw, /^220 .*\r\n$/m, 'the greeting');
      raw.write('EHLO old-printer.test\r\n');
      await readUntil(raw, /^250 .*\r\n$/m, 'the EHLO reply');
      raw.write('STARTTLS\r\n');
      await readUntil(raw, /^220 .*\r\n$/m, 'the STARTTLS reply');
    } else {
      await new Promise((resolve) => raw.once('connect', resolve));
    }
    const secure = tls.connect({ ...client, socket: raw, ca: caCert, servername: 'localhost' });
    return await new Promise<string>((resolve, reject) => {
      secure.once('secureConnect', () => {
        resolve(secure.getProtocol() ?? 'unknown');
        secure.destroy();
      });
      secure.once('error', reject);
    });
  } finally {
    raw.destroy();
  }
}

describe('ingress abuse: TLS floor', () => {
  let redis: TestRedis;
  let certs: GeneratedCertificates;
  let strict: RelayStack;
  let legacy: RelayStack;
  let modern: RelayStack;

  const start = (ingressOverrides: Record<string, string>): Promise<RelayStack> =>
    startRelayStack({
      redisUrl: redis.url,
      smartHost: { port: 9, tls: 'none' },
      withoutSender: true,
      smtps: true,
      variables: { TLS_CERT_FILE: certs.certFile, TLS_KEY_FILE: certs.keyFile },
      ingressOverrides,
    });

  before(async () => {
    redis = await useTestRedis();
    certs = await generateCertificates();
    // The default, the opt-in for old printers, and a floor above OpenSSL's own.
    [strict, legacy, modern] = await Promise.all([
      start({}),
      start({ SMTP_TLS_MIN_VERSION: 'TLSv1' }),
      start({ SMTP_TLS_MIN_VERSION: 'TLSv1.3' }),
    ]);
  });

  after(async () => {
    const codes = [...(await strict.stop()), ...(await legacy.stop()), ...(await modern.stop())];
    await certs.cleanup();
    await redis.cleanup();
    assert.deepEqual(codes, [0, 0, 0]);
  });

  for (const mode of ['starttls', 'smtps'] as const) {
    const port = (stack: RelayStack): number =>
      mode === 'starttls' ? stack.smtpPort : (stack.smtpsPort ?? 0);

    it(`${mode}: refuses TLS 1.1 and 1.0 by default`, async () => {
      for (const client of [LEGACY, TLS_1_0]) {
        await assert.rejects(
          negotiate(mode, port(strict), client, certs.caCert),
          /alert protocol version/i,
        );
      }
    });

    it(`${mode}: a current client gets TLS 1.3 either way`, async () => {
      assert.equal(await negotiate(mode, port(strict), {}, certs.caCert), 'TLSv1.3');
      assert.equal(await negotiate(mode, port(legacy), {}, certs.caCert), 'TLSv1.3');
    });

    it(`${mode}: refuses TLS 1.2 with SMTP_TLS_MIN_VERSION=TLSv1.3`, async () => {
      await assert.rejects(
        negotiate(mode, port(modern), { maxVersion: 'TLSv1.2' }, certs.caCert),
        /alert protocol version/i,
      );
      assert.equal(
        await negotiate(mode, port(strict), { maxVersion: 'TLSv1.2' }, certs.caCert),
        'TLSv1.2',
      );
    });

    it(`${mode}: accepts TLS 1.1 and 1.0 with SMTP_TLS_MIN_VERSION=TLSv1`, async () => {
      assert.equal(await negotiate(mode, port(legacy), LEGACY, certs.caCert), 'TLSv1.1');
      assert.equal(await negotiate(mode, port(legacy), TLS_1_0, certs.caCert), 'TLSv1');
    });
  }
});
