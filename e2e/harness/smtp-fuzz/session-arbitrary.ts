import fc from 'fast-check';

// Generated SMTP client sessions for the ingress fuzz test: valid ones (so
// that whole transactions happen), and the same cut short, reordered,
// pipelined, oversized, binary or replaced by random bytes.

/** One write of the client. */
export type FuzzStep =
  /** A command line (CRLF added). */
  | { readonly kind: 'line'; readonly text: string }
  /** STARTTLS; on a 220 the client upgrades (unless `stay`), as a real client would. */
  | { readonly kind: 'starttls'; readonly stay: boolean }
  /**
   * The message after DATA. `complete`: ends with CRLF.CRLF (the marker goes
   * into the client's list of terminated messages); else it stops short.
   */
  | {
      readonly kind: 'body';
      readonly marker: number;
      readonly complete: boolean;
      readonly bytes: Buffer;
    }
  /** Several lines in one write (pipelining, or command injection after STARTTLS). */
  | { readonly kind: 'pipelined'; readonly lines: readonly string[] }
  /** Bytes as they come: binary, a line without its CRLF, a TLS hello in clear text. */
  | { readonly kind: 'raw'; readonly bytes: Buffer };

export interface FuzzSession {
  readonly steps: readonly FuzzStep[];
  /** Stop writing and leave the connection open: the server must close it (its timeouts). */
  readonly stall: boolean;
}

export const FUZZ_USER = 'fuzzer';
export const FUZZ_PASSWORD = 'fuzz-password';
const VALID_PLAIN = Buffer.from(`\0${FUZZ_USER}\0${FUZZ_PASSWORD}`).toString('base64');

const address = fc.oneof(
  fc.constant('device@lan.test'),
  fc.constant('boss@example.test'),
  fc.constant(''),
  fc.constantFrom('user@[192.0.2.1]', 'üser@exämple.test', 'a@b', '@', 'no-at-sign'),
  fc.string({ minLength: 0, maxLength: 80 }),
  fc.string({ minLength: 300, maxLength: 600 }).map((local) => `${local}@example.test`),
);

const mailParams = fc.constantFrom(
  '',
  ' SIZE=100',
  ' BODY=8BITMIME',
  ' SMTPUTF8',
  ' SIZE=999999999999',
  ' FOO=BAR',
  ' SIZE=x',
);

const commandLine: fc.Arbitrary<string> = fc.oneof(
  fc.constantFrom(
    'EHLO fuzz.test',
    'HELO fuzz.test',
    'EHLO',
    'RSET',
    'NOOP',
    'VRFY root',
    'EXPN list',
    'HELP',
    'DATA',
    'BDAT 10 LAST',
    'QUIT',
    'AUTH LOGIN',
    'AUTH CRAM-MD5',
    'AUTH XOAUTH2',
  ),
  fc.constant(`AUTH PLAIN ${VALID_PLAIN}`),
  fc.string({ maxLength: 40 }).map((text) => `AUTH PLAIN ${Buffer.from(text).toString('base64')}`),
  fc.string({ maxLength: 60 }).map((text) => `AUTH PLAIN ${text}`),
  fc.tuple(address, mailParams).map(([from, params]) => `MAIL FROM:<${from}>${params}`),
  address.map((to) => `RCPT TO:<${to}>`),
  fc.string({ maxLength: 120 }),
  fc.string({ minLength: 1000, maxLength: 3000 }),
);

/** A message after DATA, the marker in a header so that a stored copy can be traced back. */
function bodyStep(marker: number): fc.Arbitrary<FuzzStep> {
  const header = `Subject: fuzz\r\nX-Fuzz-Marker: ${String(marker)}\r\n\r\n`;
  const content = fc.oneof(
    fc.constant('hello\r\n'),
    fc.constantFrom(
      '.leading dot\r\n',
      '..\r\n',
      'bare\nLF\n.\nnot the end\r\n',
      'cr\r.\rnot the end\r\n',
      '\r\n.\n',
    ),
    fc.string({ maxLength: 400 }),
    fc.uint8Array({ maxLength: 400 }).map((bytes) => Buffer.from(bytes).toString('latin1')),
  );
  return fc
    .tuple(content, fc.boolean(), fc.integer({ min: 0, max: 3 }))
    .map(([text, complete, cut]) => {
      // A body must not end its own DATA early: a line of a lone dot is stuffed.
      const safe = text.replace(/(^|\r\n)\.(?=\r\n)/g, '$1..');
      const whole = Buffer.from(`${header}${safe}`, 'latin1');
      const bytes = complete
        ? Buffer.concat([whole, Buffer.from(safe.endsWith('\r\n') ? '.\r\n' : '\r\n.\r\n')])
        : whole.subarray(0, Math.max(0, whole.length - cut));
      return { kind: 'body', marker, complete, bytes } as const;
    });
}

/** A random step; `marker` numbers the bodies within the session. */
function anyStep(marker: number): fc.Arbitrary<FuzzStep> {
  return fc.oneof(
    { weight: 6, arbitrary: commandLine.map((text) => ({ kind: 'line', text }) as const) },
    { weight: 1, arbitrary: fc.boolean().map((stay) => ({ kind: 'starttls', stay }) as const) },
    { weight: 2, arbitrary: bodyStep(marker) },
    {
      weight: 2,
      arbitrary: fc
        .array(fc.oneof(commandLine, fc.constant('STARTTLS')), { minLength: 2, maxLength: 6 })
        .map((lines) => ({ kind: 'pipelined', lines }) as const),
    },
    {
      weight: 1,
      arbitrary: fc
        .oneof(
          fc.uint8Array({ minLength: 1, maxLength: 300 }).map((bytes) => Buffer.from(bytes)),
          // A TLS ClientHello's first bytes where SMTP is expected.
          fc.constant(Buffer.from([0x16, 0x03, 0x01, 0x00, 0xa5, 0x01, 0x00])),
          fc.string({ maxLength: 50 }).map((text) => Buffer.from(text)),
        )
        .map((bytes) => ({ kind: 'raw', bytes }) as const),
    },
  );
}

/** The happy path a device takes: the generator cuts and mutates it. */
function validSession(base: number): FuzzStep[] {
  return [
    { kind: 'line', text: 'EHLO fuzz.test' },
    { kind: 'starttls', stay: false },
    { kind: 'line', text: 'EHLO fuzz.test' },
    { kind: 'line', text: `AUTH PLAIN ${VALID_PLAIN}` },
    { kind: 'line', text: 'MAIL FROM:<device@lan.test>' },
    { kind: 'line', text: 'RCPT TO:<boss@example.test>' },
    { kind: 'line', text: 'DATA' },
    {
      kind: 'body',
      marker: base,
      complete: true,
      bytes: Buffer.from(`Subject: fuzz\r\nX-Fuzz-Marker: ${String(base)}\r\n\r\nhello\r\n.\r\n`),
    },
  ];
}

/**
 * A session: the happy path kept up to a random point, with random steps
 * inserted and appended, or only random steps. Markers are unique within
 * a session; the runner makes them unique across sessions.
 */
export const fuzzSession: fc.Arbitrary<FuzzSession> = fc
  .record({
    // The whole happy path often, so that many sessions reach a 250 and beyond.
    keep: fc.oneof({ weight: 2, arbitrary: fc.constant(8) }, fc.integer({ min: 0, max: 8 })),
    startsValid: fc.boolean(),
    inserted: fc.array(fc.tuple(fc.nat(8), fc.nat(1000)), { maxLength: 3 }),
    tail: fc.array(fc.nat(1000), { maxLength: 6 }),
    stall: fc.double({ min: 0, max: 1, noNaN: true }).map((p) => p < 0.04),
  })
  .chain(({ keep, startsValid, inserted, tail, stall }) => {
    const prefix = startsValid ? validSession(1).slice(0, keep) : [];
    const randomSteps = [...inserted.map(([, seed]) => seed), ...tail].map((_, index) =>
      anyStep(100 + index),
    );
    return fc.tuple(...randomSteps).map((generated) => {
      const steps = [...prefix];
      const insertedSteps = generated.slice(0, inserted.length);
      const tailSteps = generated.slice(inserted.length);
      inserted.forEach(([at], index) => {
        const step = insertedSteps[index];
        if (step) steps.splice(Math.min(at, steps.length), 0, step);
      });
      steps.push(...tailSteps);
      return { steps, stall } satisfies FuzzSession;
    });
  });
