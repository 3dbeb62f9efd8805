import {
  bunyanStyleLogger,
  createAuthRedaction,
  messageContentText,
  REDACTED,
  replyLines,
  type AuthRedaction,
  type BunyanStyleLogger,
  type LibraryLogEntry,
  type SessionTranscript,
  type TranscriptWriter,
} from '@smtp-relay/observability';

interface RecordedSession {
  readonly transcript: SessionTranscript;
  readonly auth: AuthRedaction;
}

/**
 * smtp-server's `logger` option, turned into one transcript per session (docs/reference.md
 * "Session transcripts"). smtp-server 3.21 (lib smtp-connection) logs, with
 * the session id as `cid`:
 * - each command line as it is processed: debug({ tnx: 'command', command },
 *   'C:', line), already masking AUTH arguments and, with command 'AUTH', the
 *   continuation lines of an exchange;
 * - each reply as written to the socket: debug({ tnx: 'send' }, 'S:', reply),
 *   a multi-line reply joined with CRLF;
 * - the end of DATA: debug({ tnx: 'data', bytes }, 'C: <%s bytes of DATA>'),
 *   and never a byte of the message itself;
 * - the end of the session: info({ tnx: 'close' }) (twice).
 * The masking is done again here (createAuthRedaction), so a library change
 * cannot put a password into a file.
 */
export function createSessionTranscriptLogger(writer: TranscriptWriter): BunyanStyleLogger {
  const sessions = new Map<string, RecordedSession>();
  const sessionFor = (id: string): RecordedSession => {
    let session = sessions.get(id);
    if (!session) {
      session = { transcript: writer.open(id), auth: createAuthRedaction() };
      sessions.set(id, session);
    }
    return session;
  };

  return bunyanStyleLogger((entry: LibraryLogEntry) => {
    const { tnx, cid } = entry.fields;
    if (typeof cid !== 'string') return;
    if (tnx === 'close') {
      sessions.get(cid)?.transcript.end();
      sessions.delete(cid);
      return;
    }
    if (entry.level !== 'debug') return;
    const text = entry.args[0];
    if (tnx === 'command' && typeof text === 'string') {
      const { transcript, auth } = sessionFor(cid);
      const line = auth.clientLine(text);
      const continuation = entry.fields['command'] === 'AUTH' && !/^\s*AUTH\b/i.test(text);
      transcript.write('<', continuation ? REDACTED : line);
    } else if (tnx === 'send' && typeof text === 'string') {
      const { transcript, auth } = sessionFor(cid);
      for (const line of replyLines(text)) {
        auth.serverLine(line);
        transcript.write('>', line);
      }
    } else if (tnx === 'data' && typeof entry.fields['bytes'] === 'number') {
      // smtp-server logs this after the onData callback: for a client gone in the
      // middle of DATA that is after 'close', and opening a transcript here would
      // leave it (and its file handle) open for good.
      sessions.get(cid)?.transcript.write('<', messageContentText(entry.fields['bytes']));
    }
  });
}
