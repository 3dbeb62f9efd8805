import assert from 'node:assert/strict';
import { generateKeyPairSync } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { newDeliveryJob } from '@smtp-relay/queue';
import { createMemoryMessageStore } from '@smtp-relay/store';
import { deliver } from '../src/deliver.ts';
import { signBeforeSending, startDkimSigning } from '../src/sign-before-sending.ts';
import { createCapturedLogger } from './fakes/captured-logger.ts';
import { createScriptedSmartHostClient } from './fakes/scripted-smart-host-client.ts';

// docs/reference.md "DKIM signing", through deliver(): signed after REWRITE_FROM,
// and a key that cannot be used makes the attempt systemic ('dkim', which holds
// the message) without sending anything. Signatures themselves are verified in
// packages/smart-host/test/dkim-signer.test.ts, the hold in e2e/dkim.e2e.test.ts.

const MESSAGE_ID = '01M8BYCJJG0123456789ABCDEF';
const DEVICE = 'printer@office.test';
const BODY = `From: Printer <${DEVICE}>\r\nSubject: Scan\r\n\r\nsee attachment\r\n`;
const NOW = Date.UTC(2026, 10, 26, 12, 0, 0);
const ED25519 = generateKeyPairSync('ed25519')
  .privateKey.export({ type: 'pkcs8', format: 'pem' })
  .toString();

const dir = mkdtempSync(join(tmpdir(), 'dkim-sender-'));
after(() => {
  rmSync(dir, { recursive: true, force: true });
});
function keysDir(name: string, files: Record<string, string>): string {
  const root = join(dir, name);
  for (const [path, text] of Object.entries(files)) {
    mkdirSync(join(root, path, '..'), { recursive: true });
    writeFileSync(join(root, path), text);
  }
  return root;
}

async function attempt(keys: string, rewriteFrom?: string) {
  const store = createMemoryMessageStore({ now: () => NOW });
  const writer = store.openWriter(MESSAGE_ID);
  await writer.write(Buffer.from(BODY));
  await writer.finish();
  const smartHost = createScriptedSmartHostClient([
    {
      kind: 'reply',
      result: { accepted: ['boss@example.test'], rejected: [], response: '250 2.0.0 Ok' },
    },
  ]);
  const logs = createCapturedLogger();
  const client = signBeforeSending(
    smartHost,
    await startDkimSigning(keys, logs.logger),
    logs.logger,
  );
  const job = newDeliveryJob({
    messageId: MESSAGE_ID,
    size: BODY.length,
    mailFrom: DEVICE,
    recipients: ['boss@example.test'],
    receivedAt: NOW,
    client: { address: '192.0.2.7', helo: 'printer.lan' },
    authUser: null,
    bodyType: '8bitmime',
    smtpUtf8: false,
  });
  const outcome = await deliver(job, { store, client, rewriteFrom });
  return { outcome, smartHost, logs };
}

describe('DKIM signing in the sender', () => {
  it('signs for the From: domain REWRITE_FROM wrote, with the envelope size of the signed bytes', async () => {
    const keys = keysDir('rewritten', { 'example.com/s1.pem': ED25519 });
    const { outcome, smartHost, logs } = await attempt(keys, 'relay@example.com');
    assert.equal(outcome.kind, 'attempted');
    const [sent] = smartHost.sent;
    assert.ok(sent);
    const text = sent.body.toString();
    assert.match(
      text,
      /^DKIM-Signature: v=1; a=ed25519-sha256; c=relaxed\/relaxed; d=example\.com;/,
    );
    assert.match(text, /\r\nFrom: Printer <relay@example\.com>\r\n/);
    assert.equal(sent.envelope.size, sent.body.length);
    const started = logs.lines().find((l) => l['event'] === 'dkim.keys');
    assert.deepEqual(started?.['keys'], ['example.com/s1 (ed25519-sha256, 256 bits)']);
  });

  it('leaves mail of a domain without a key as it is', async () => {
    const keys = keysDir('other', { 'example.com/s1.pem': ED25519 });
    const { outcome, smartHost } = await attempt(keys);
    assert.equal(outcome.kind, 'attempted');
    assert.equal(smartHost.sent[0]?.body.toString(), BODY);
  });

  it('a key that cannot be used: a systemic attempt (dkim), nothing sent, dkim.failed logged', async () => {
    const keys = keysDir('broken', { 'office.test/s1.pem': ED25519.slice(0, 60) });
    const { outcome, smartHost, logs } = await attempt(keys);
    assert.ok(outcome.kind === 'systemic');
    assert.equal(outcome.failure.category, 'dkim');
    assert.deepEqual(smartHost.sent, []);
    const lines = logs.lines();
    const unusable = lines.find((l) => l['event'] === 'dkim.key-unusable');
    assert.equal(unusable?.['domain'], 'office.test');
    const failed = lines.find((l) => l['event'] === 'dkim.failed');
    assert.deepEqual(
      { domain: failed?.['domain'], selector: failed?.['selector'], level: failed?.['level'] },
      { domain: 'office.test', selector: 's1', level: 'error' },
    );
    assert.match(String(failed?.['reason']), /not a PEM private key/);
    assert.doesNotMatch(JSON.stringify(lines), /PRIVATE KEY|MC4C/);
  });
});
