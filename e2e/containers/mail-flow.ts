// The mail checks of `npm run test:containers` (scripts/containers/test.sh), run on the
// host against the compose project's published ports:
//   send    submit --count messages through ingress (SMTP on --smtp), each must get
//           "250 ... queued as <id>"; the queue ids and Message-IDs go to --state
//   expect  wait until every message in --state is at the demo smart host (Mailpit's
//           API on --web), with its envelope, its body unchanged and the relay's
//           Received: header
// Prints each check; exits 1 on the first that fails.
//   node e2e/containers/mail-flow.ts send|expect --state FILE [--count N] [--label L]
//        [--smtp 127.0.0.1:2525] [--web http://127.0.0.1:8025] [--timeout 60s]
import { randomBytes } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import nodemailer from 'nodemailer';

interface SentMessage {
  readonly queueId: string;
  readonly messageId: string;
  readonly from: string;
  readonly to: string;
  readonly subject: string;
  readonly body: string;
}

/** The fields of Mailpit's GET /api/v1/messages that are checked here. */
interface MailpitSummary {
  readonly ID: string;
  readonly MessageID: string;
  readonly Subject: string;
  readonly To: readonly { readonly Address: string }[];
  /** Only the repository's capture smart host has it (Mailpit does not). */
  readonly Envelope?: { readonly MailFrom: string; readonly RcptTo: readonly string[] };
}

const { positionals, values } = parseArgs({
  allowPositionals: true,
  options: {
    state: { type: 'string' },
    count: { type: 'string', default: '1' },
    label: { type: 'string', default: 'mail' },
    smtp: { type: 'string', default: '127.0.0.1:2525' },
    web: { type: 'string', default: 'http://127.0.0.1:8025' },
    timeout: { type: 'string', default: '60' },
  },
});

function fail(message: string): never {
  console.error(`FAIL: ${message}`);
  process.exit(1);
}

function check(message: string): void {
  console.log(`  ok  ${message}`);
}

const [mode] = positionals;
const stateFile = values.state ?? fail('--state FILE is required');

async function send(): Promise<void> {
  const [host = '127.0.0.1', port = '2525'] = values.smtp.split(':');
  const transport = nodemailer.createTransport({
    host,
    port: Number(port),
    secure: false,
    ignoreTLS: true, // the demo ingress has no certificate: no STARTTLS to offer
    name: 'device.containers.test',
  });
  const count = Number(values.count);
  const sent: SentMessage[] = [];
  for (let i = 1; i <= count; i += 1) {
    const tag = `${values.label}-${String(i)}-${randomBytes(4).toString('hex')}`;
    const message = {
      messageId: `${tag}@containers.test`,
      from: `printer-${values.label}@containers.test`,
      to: `inbox+${tag}@example.com`,
      subject: `test:containers ${tag}`,
      // A line starting with a dot checks dot-stuffing both ways.
      body: `Scanned document ${tag}.\r\n.a line that starts with a dot\r\nend\r\n`,
    };
    const info = await transport
      .sendMail({ ...message, messageId: `<${message.messageId}>`, text: message.body })
      .catch((error: unknown) =>
        fail(
          `submitting ${tag} to ${values.smtp}: ${error instanceof Error ? error.message : String(error)}`,
        ),
      );
    const queued = /^250 2\.0\.0 Ok: queued as (\S+)/.exec(info.response);
    if (!queued?.[1]) fail(`ingress answered "${info.response}" for ${tag}, not 250 queued`);
    sent.push({ ...message, queueId: queued[1] });
  }
  transport.close();
  check(
    `ingress at ${values.smtp} queued ${String(count)} message(s) (${sent.map((m) => m.queueId).join(', ')})`,
  );
  writeFileSync(stateFile, JSON.stringify(sent, null, 2));
}

async function fetchJson<T>(path: string): Promise<T> {
  const response = await fetch(`${values.web}${path}`);
  if (!response.ok) fail(`GET ${values.web}${path}: HTTP ${String(response.status)}`);
  return (await response.json()) as T;
}

async function expectDelivered(): Promise<void> {
  const sent = JSON.parse(readFileSync(stateFile, 'utf8')) as SentMessage[];
  const deadline = Date.now() + Number(values.timeout) * 1000;
  let found = new Map<string, MailpitSummary>();
  for (;;) {
    const list = await fetchJson<{ messages: MailpitSummary[] }>('/api/v1/messages?limit=1000');
    found = new Map(list.messages.map((m) => [m.MessageID, m]));
    const missing = sent.filter((m) => !found.has(m.messageId));
    if (missing.length === 0) break;
    if (Date.now() > deadline) {
      fail(
        `not at the smart host after ${values.timeout}s: ${missing.map((m) => m.queueId).join(', ')} ` +
          `(it has ${String(found.size)} message(s))`,
      );
    }
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  check(`all ${String(sent.length)} message(s) reached the smart host (${values.web})`);
  let clientSeen = '';
  for (const message of sent) {
    const summary = found.get(message.messageId);
    if (summary === undefined) fail(`lost ${message.queueId}`);
    if (summary.Subject !== message.subject)
      fail(`${message.queueId}: subject "${summary.Subject}"`);
    if (!summary.To.some((to) => to.Address === message.to)) {
      fail(`${message.queueId}: To ${JSON.stringify(summary.To)}`);
    }
    if (summary.Envelope) {
      const { MailFrom, RcptTo } = summary.Envelope;
      if (MailFrom !== message.from || RcptTo.join() !== message.to) {
        fail(
          `${message.queueId}: envelope ${MailFrom} -> ${RcptTo.join()}, sent ${message.from} -> ${message.to}`,
        );
      }
    }
    const response = await fetch(`${values.web}/api/v1/message/${summary.ID}/raw`);
    const raw = await response.text();
    if (!response.ok) fail(`${message.queueId}: raw message: HTTP ${String(response.status)}`);
    if (!raw.includes(message.body)) fail(`${message.queueId}: body changed on the way:\n${raw}`);
    const received = /^Received: [^\r\n]*(\r\n[ \t][^\r\n]*)*/m.exec(raw)?.[0] ?? '';
    if (!received.includes(message.queueId)) {
      fail(`${message.queueId}: no Received: header of the relay naming the queue id:\n${raw}`);
    }
    clientSeen ||= /^Received: from \S+ \(([^)]*)\)/.exec(received)?.[1] ?? '';
  }
  check(
    `each with its envelope${found.values().next().value?.Envelope ? ' (checked)' : ''}, ` +
      'its body byte for byte and one Received: header naming its queue id',
  );
  // Where a client of the published port seems to come from, as SMTP_RELAY_NETWORKS sees it.
  check(`ingress saw the submitting client as ${clientSeen || '(unknown)'} (Received: from)`);
}

if (mode === 'send') await send();
else if (mode === 'expect') await expectDelivered();
else fail(`usage: mail-flow.ts send|expect --state FILE ... (got ${String(mode)})`);
