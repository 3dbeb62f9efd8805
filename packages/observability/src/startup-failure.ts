// What an operator reads when a relay process cannot start: one line naming
// what is wrong and the variable to change, instead of a stack trace. A table
// of rows, each with a test (packages/observability/test/startup-failure.test.ts);
// an error no row explains stays a crash with its stack (process-lifecycle.ts).

/** What a process listens on and reads, to name the variable behind a failure. */
export interface StartupSurface {
  readonly listeners: readonly {
    readonly portVariable: string;
    readonly hostVariable: string;
    readonly port: number;
  }[];
  /** Files and directories named by variables (`*_FILE`, `*_DIR`). */
  readonly files: readonly { readonly variable: string; readonly path: string }[];
}

interface ErrorFacts {
  readonly code: string | undefined;
  readonly syscall: string | undefined;
  readonly port: number | undefined;
  readonly address: string | undefined;
  readonly path: string | undefined;
  readonly message: string;
}

interface StartupFailureRow {
  readonly name: string;
  /** The line for the operator, or undefined when the row does not apply. */
  explain(facts: ErrorFacts, surface: StartupSurface): string | undefined;
}

const listenerOf = (facts: ErrorFacts, surface: StartupSurface) =>
  surface.listeners.find((listener) => listener.port === facts.port);

const endpoint = (facts: ErrorFacts): string =>
  `${facts.address ?? ''}${facts.address === undefined ? '' : ':'}${String(facts.port ?? '')}`;

const FILE_PROBLEMS: Readonly<Record<string, string>> = {
  ENOENT: 'does not exist',
  EACCES: 'is not readable by this process (check its owner and mode; the image runs as uid 1000)',
  EPERM: 'is not readable by this process (check its owner and mode; the image runs as uid 1000)',
  EISDIR: 'is a directory, not a file',
  ENOTDIR: 'is not a directory',
};

const REDIS_AUTH = /^(WRONGPASS|NOAUTH)\b|AUTH <password> called without any password/;

export const STARTUP_FAILURE_ROWS: readonly StartupFailureRow[] = [
  {
    name: 'port in use',
    explain: (facts, surface) => {
      const listener = listenerOf(facts, surface);
      if (facts.code !== 'EADDRINUSE' || !listener) return undefined;
      return `${listener.portVariable}=${String(listener.port)}: ${endpoint(facts)} is already in use by another process; stop that process or set ${listener.portVariable} to a free port`;
    },
  },
  {
    name: 'privileged port',
    explain: (facts, surface) => {
      const listener = listenerOf(facts, surface);
      if (facts.code !== 'EACCES' || facts.syscall !== 'listen' || !listener) return undefined;
      return `${listener.portVariable}=${String(listener.port)}: this process may not listen on ${endpoint(facts)} (ports below 1024 need root or CAP_NET_BIND_SERVICE); set ${listener.portVariable} to 1024 or above and map the port outside`;
    },
  },
  {
    name: 'address not on this machine',
    explain: (facts, surface) => {
      const listener = listenerOf(facts, surface);
      if (facts.code !== 'EADDRNOTAVAIL' || !listener) return undefined;
      return `${listener.hostVariable}=${facts.address ?? ''}: this machine has no such address to listen on; set ${listener.hostVariable} to one of its addresses (or 0.0.0.0)`;
    },
  },
  {
    name: 'Redis refuses the login',
    explain: (facts) =>
      REDIS_AUTH.test(facts.message)
        ? `REDIS_URL: Redis refused the login (${facts.message.split('\n')[0] ?? ''}); set the user and password Redis expects in REDIS_URL (redis://user:password@host:port) or REDIS_PASSWORD`
        : undefined,
  },
  {
    name: 'unreadable file',
    explain: (facts, surface) => {
      const problem = facts.code === undefined ? undefined : FILE_PROBLEMS[facts.code];
      if (problem === undefined || facts.path === undefined) return undefined;
      const named = surface.files.find(
        (file) => facts.path === file.path || facts.path?.startsWith(`${file.path}/`),
      );
      if (!named) return undefined;
      return `${named.variable}: "${facts.path}" ${problem}`;
    },
  },
];

function factsOf(error: unknown): ErrorFacts {
  const record = (typeof error === 'object' && error !== null ? error : {}) as Record<
    string,
    unknown
  >;
  const text = (key: string): string | undefined =>
    typeof record[key] === 'string' ? record[key] : undefined;
  return {
    code: text('code'),
    syscall: text('syscall'),
    port: typeof record['port'] === 'number' ? record['port'] : undefined,
    address: text('address'),
    path: text('path'),
    message: error instanceof Error ? error.message : String(error),
  };
}

/** The operator's line for a failure at start, or undefined when no row explains it. */
export function explainStartupFailure(error: unknown, surface: StartupSurface): string | undefined {
  const facts = factsOf(error);
  for (const row of STARTUP_FAILURE_ROWS) {
    const line = row.explain(facts, surface);
    if (line !== undefined) return line;
  }
  return undefined;
}

/** Every `*_FILE` and `*_DIR` variable that is set, as the files a process may read. */
export function fileVariables(
  env: Readonly<Record<string, string | undefined>>,
): StartupSurface['files'] {
  return Object.entries(env)
    .filter(([name, value]) => /_(FILE|DIR)$/.test(name) && value !== undefined && value !== '')
    .map(([variable, path]) => ({ variable, path: (path ?? '').replace(/\/+$/, '') }));
}

/** The listeners a service's configuration opens, and the files its environment names. */
export function startupSurface(
  config: {
    readonly smtpPort?: number;
    readonly smtpsPort?: number | undefined;
    readonly adminPort: number;
  },
  env: Readonly<Record<string, string | undefined>>,
): StartupSurface {
  const listeners: StartupSurface['listeners'][number][] = [
    { portVariable: 'ADMIN_PORT', hostVariable: 'ADMIN_HOST', port: config.adminPort },
  ];
  if (config.smtpPort !== undefined) {
    listeners.push({ portVariable: 'SMTP_PORT', hostVariable: 'SMTP_HOST', port: config.smtpPort });
  }
  if (config.smtpsPort !== undefined) {
    listeners.push({
      portVariable: 'SMTPS_PORT',
      hostVariable: 'SMTP_HOST',
      port: config.smtpsPort,
    });
  }
  return { listeners, files: fileVariables(env) };
}
