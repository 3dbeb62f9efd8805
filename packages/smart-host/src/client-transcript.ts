import { randomBytes } from 'node:crypto';
import {
  bunyanStyleLogger,
  createAuthRedaction,
  messageContentText,
  replyLines,
  type BunyanStyleLogger,
  type LibraryLogEntry,
  type SessionTranscript,
  type TranscriptWriter,
} from '@smtp-relay/observability';

/**
 * The `logger` of one nodemailer SMTPConnection (with `transactionLog: true`,
 * `debug: false`), turned into that connection's transcript: one file per
 * connection to the smart host, so a pooled connection's file holds all the
 * messages it carried. nodemailer 10.6 (smtp-connection) logs, with its
 * connection id as `sid`:
 * - each line it sends: debug({ tnx: 'client' }, line). Its own AUTH masking
 *   still leaves the user in the PLAIN blob and sends the LOGIN user as is, so
 *   createAuthRedaction masks the whole exchange;
 * - each reply: debug({ tnx: 'server' }, reply), multi-line joined with LF;
 * - the end of DATA: info({ tnx: 'message', inByteCount, outByteCount });
 *   the message chunks (debug, tnx 'message') only with `debug: true`, which
 *   is never set, and ignored here anyway;
 * - the socket's close: info({ tnx: 'network' }, 'Connection closed').
 */
export function createClientTranscriptLogger(writer: TranscriptWriter): BunyanStyleLogger {
  const auth = createAuthRedaction();
  let transcript: SessionTranscript | undefined;
  let ended = false;
  const current = (fields: LibraryLogEntry['fields']): SessionTranscript | undefined => {
    if (ended) return undefined;
    transcript ??= writer.open(typeof fields['sid'] === 'string' ? fields['sid'] : newId());
    return transcript;
  };

  return bunyanStyleLogger((entry) => {
    const { tnx } = entry.fields;
    if (tnx === 'client' && entry.level === 'debug') {
      current(entry.fields)?.write('>', auth.clientLine(entry.message));
    } else if (tnx === 'server' && entry.level === 'debug') {
      const lines = replyLines(entry.message);
      const file = current(entry.fields);
      for (const line of lines) {
        auth.serverLine(line);
        file?.write('<', line);
      }
    } else if (tnx === 'message' && entry.level === 'info') {
      const bytes = entry.fields['inByteCount'];
      if (typeof bytes === 'number') current(entry.fields)?.write('>', messageContentText(bytes));
    } else if (tnx === 'network' && entry.message === 'Connection closed') {
      ended = true;
      transcript?.end();
    }
  });
}

function newId(): string {
  return randomBytes(8).toString('hex');
}
