// A capture smart host for machines that cannot pull Mailpit (the demo smart host of
// docker-compose.yml): accepts every message on SMTP, keeps the last ones in memory and
// shows them on a web page, with the part of Mailpit's HTTP API that the container test
// reads. Used by infra/compose/demo-smarthost.override.yml; never in production.
//   CAPTURE_SMTP_PORT (1025)  CAPTURE_HTTP_PORT (8025)  CAPTURE_MAX_MESSAGES (500)
import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { SMTPServer, type SMTPServerDataStream, type SMTPServerSession } from 'smtp-server';

interface Address {
  readonly Name: string;
  readonly Address: string;
}

interface CapturedMessage {
  readonly ID: string;
  readonly MessageID: string;
  readonly From: Address;
  readonly To: readonly Address[];
  readonly Subject: string;
  readonly Created: string;
  readonly Size: number;
  readonly Snippet: string;
  /** Not in Mailpit's API: what the relay said on the wire. */
  readonly Envelope: { readonly MailFrom: string; readonly RcptTo: readonly string[] };
  readonly Client: { readonly Address: string; readonly Helo: string };
  readonly raw: Buffer;
}

const SMTP_PORT = Number(process.env['CAPTURE_SMTP_PORT'] ?? 1025);
const HTTP_PORT = Number(process.env['CAPTURE_HTTP_PORT'] ?? 8025);
const MAX_MESSAGES = Number(process.env['CAPTURE_MAX_MESSAGES'] ?? 500);

const messages: CapturedMessage[] = []; // newest first, as Mailpit lists them

function log(event: string, fields: Record<string, unknown>): void {
  console.log(JSON.stringify({ time: new Date().toISOString(), event, ...fields }));
}

/** Unfolded header fields of a message (names lower-cased; the first of each wins). */
function headerFields(raw: Buffer): Map<string, string> {
  const text = raw.toString('latin1');
  const end = text.search(/\r?\n\r?\n/);
  const header = (end === -1 ? text : text.slice(0, end)).replace(/\r?\n[ \t]+/g, ' ');
  const fields = new Map<string, string>();
  for (const line of header.split(/\r?\n/)) {
    const colon = line.indexOf(':');
    if (colon <= 0) continue;
    const name = line.slice(0, colon).trim().toLowerCase();
    if (!fields.has(name)) fields.set(name, line.slice(colon + 1).trim());
  }
  return fields;
}

function parseAddresses(value: string | undefined): Address[] {
  if (value === undefined || value === '') return [];
  return value.split(',').map((part) => {
    const angle = /^(.*)<([^>]*)>\s*$/.exec(part.trim());
    return angle
      ? { Name: (angle[1] ?? '').trim().replace(/^"|"$/g, ''), Address: angle[2] ?? '' }
      : { Name: '', Address: part.trim() };
  });
}

function capture(raw: Buffer, session: SMTPServerSession): CapturedMessage {
  const fields = headerFields(raw);
  const bodyStart = raw.indexOf('\r\n\r\n');
  const body = bodyStart === -1 ? '' : raw.subarray(bodyStart + 4).toString('utf8');
  const { mailFrom, rcptTo } = session.envelope;
  const helo: unknown = session.hostNameAppearsAs;
  return {
    ID: randomUUID(),
    MessageID: (fields.get('message-id') ?? '').replace(/^<|>$/g, ''),
    From: parseAddresses(fields.get('from'))[0] ?? { Name: '', Address: '' },
    To: parseAddresses(fields.get('to')),
    Subject: fields.get('subject') ?? '',
    Created: new Date().toISOString(),
    Size: raw.length,
    Snippet: body.replace(/\s+/g, ' ').trim().slice(0, 200),
    Envelope: {
      MailFrom: mailFrom ? mailFrom.address : '',
      RcptTo: rcptTo.map((recipient) => recipient.address),
    },
    Client: {
      Address: session.remoteAddress,
      Helo: typeof helo === 'string' ? helo : '',
    },
    raw,
  };
}

const smtp = new SMTPServer({
  name: 'demo-smarthost',
  banner: 'demo capture smart host: nothing is delivered',
  size: 50 * 1024 * 1024,
  disabledCommands: ['AUTH', 'STARTTLS'],
  logger: false,
  disableReverseLookup: true,
  onData(stream: SMTPServerDataStream, session: SMTPServerSession, callback) {
    const chunks: Buffer[] = [];
    stream.on('data', (chunk: Buffer) => chunks.push(chunk));
    stream.once('error', (error) => {
      callback(error);
    });
    stream.once('end', () => {
      const message = capture(Buffer.concat(chunks), session);
      messages.unshift(message);
      messages.length = Math.min(messages.length, MAX_MESSAGES);
      log('captured', {
        id: message.ID,
        messageId: message.MessageID,
        mailFrom: message.Envelope.MailFrom,
        rcptTo: message.Envelope.RcptTo,
        size: message.Size,
        client: message.Client.Address,
      });
      callback(null, `2.0.0 Ok: captured as ${message.ID}`);
    });
  },
});
smtp.on('error', (error) => {
  log('smtp.error', { message: error.message });
});

const escapeHtml = (text: string): string =>
  text.replace(/[&<>"']/g, (c) => `&#${String(c.charCodeAt(0))};`);

function summary({ raw: _raw, ...message }: CapturedMessage): Omit<CapturedMessage, 'raw'> {
  return message;
}

function page(): string {
  const rows = messages
    .map(
      (m) =>
        `<tr><td>${escapeHtml(m.Created)}</td><td>${escapeHtml(m.Envelope.MailFrom)}</td>` +
        `<td>${escapeHtml(m.Envelope.RcptTo.join(', '))}</td>` +
        `<td><a href="/api/v1/message/${m.ID}/raw">${escapeHtml(m.Subject || '(no subject)')}</a></td>` +
        `<td>${String(m.Size)}</td></tr>`,
    )
    .join('\n');
  return `<!doctype html><meta charset="utf-8"><title>Demo smart host</title>
<h1>Demo smart host</h1>
<p>Every message the relay's senders delivered here (newest first, ${String(messages.length)} kept).
Nothing leaves this machine: set SMART_HOST to relay for real.</p>
<table border="1" cellpadding="4"><tr><th>received</th><th>MAIL FROM</th><th>RCPT TO</th><th>subject</th><th>bytes</th></tr>
${rows}</table>`;
}

function answer(response: ServerResponse, status: number, type: string, body: string | Buffer) {
  response.writeHead(status, { 'content-type': type, 'cache-control': 'no-store' });
  response.end(body);
}

function route(request: IncomingMessage, response: ServerResponse): void {
  const url = new URL(request.url ?? '/', 'http://localhost');
  const json = (status: number, value: unknown) => {
    answer(response, status, 'application/json', JSON.stringify(value));
  };
  const raw = /^\/api\/v1\/message\/([\w-]+)\/raw$/.exec(url.pathname);
  if (request.method === 'GET' && (url.pathname === '/livez' || url.pathname === '/readyz')) {
    answer(response, 200, 'text/plain', 'ok');
  } else if (request.method === 'GET' && url.pathname === '/api/v1/messages') {
    const list = messages.map(summary);
    json(200, { total: list.length, unread: 0, count: list.length, start: 0, messages: list });
  } else if (request.method === 'DELETE' && url.pathname === '/api/v1/messages') {
    messages.length = 0;
    answer(response, 200, 'text/plain', 'ok');
  } else if (request.method === 'GET' && raw) {
    const message = messages.find((m) => m.ID === raw[1]);
    if (message) answer(response, 200, 'message/rfc822', message.raw);
    else answer(response, 404, 'text/plain', 'no such message');
  } else if (request.method === 'GET' && url.pathname === '/') {
    answer(response, 200, 'text/html; charset=utf-8', page());
  } else {
    answer(response, 404, 'text/plain', 'not found');
  }
}

const http = createServer(route);
smtp.listen(SMTP_PORT, '0.0.0.0', () => {
  log('listening', { smtpPort: SMTP_PORT });
});
http.listen(HTTP_PORT, '0.0.0.0', () => {
  log('listening', { httpPort: HTTP_PORT });
});

// PID 1 in its container: without a handler SIGTERM would be ignored until SIGKILL.
for (const signal of ['SIGTERM', 'SIGINT'] as const) {
  process.once(signal, () => {
    http.close();
    http.closeAllConnections();
    smtp.close(() => process.exit(0));
  });
}
