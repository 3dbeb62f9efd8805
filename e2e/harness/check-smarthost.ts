import {
  getFreePort,
  startFakeSmartHost,
  type FakeSmartHost,
  type GeneratedCertificates,
} from '@smtp-relay/testkit';
import type { CommandIo } from '../../services/cli/src/command-io.ts';
import { runCheckSmartHost } from '../../services/cli/src/commands/check-smarthost.ts';
import { runCli } from './run-node.ts';

// `npx smtp-relay check-smarthost` as the e2e tests run it: in process with a
// captured output, or as the real command line; and what each check needs.

interface Captured {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

/** The command in process, its output captured. */
export async function check(
  env: Record<string, string>,
  options: { json?: boolean; sendTo?: string; route?: string } = {},
): Promise<Captured> {
  const stdout: string[] = [];
  const stderr: string[] = [];
  const io: CommandIo = {
    interactive: false,
    print: (text) => stdout.push(text),
    error: (text) => stderr.push(text),
    readPassword: () => Promise.resolve(undefined),
  };
  const code = await runCheckSmartHost(
    { json: options.json ?? false, sendTo: options.sendTo, route: options.route },
    env,
    io,
  );
  return { code, stdout: stdout.join('\n'), stderr: stderr.join('\n') };
}

/** The real command line: `node services/cli/src/main.ts check-smarthost ...`. */
export async function cli(args: readonly string[], env: Record<string, string>): Promise<Captured> {
  const { code, stdout, stderr } = await runCli(['check-smarthost', ...args], env);
  // A process killed by a signal has no exit code: count it as a failure.
  return { code: code ?? -1, stdout, stderr };
}

/** A fake smart host with STARTTLS that takes this login (PLAIN or LOGIN). */
export function startLoginSmartHost(
  certs: GeneratedCertificates,
  username: string,
  password: string,
): Promise<FakeSmartHost> {
  return startFakeSmartHost({
    tls: 'starttls',
    certificate: { key: certs.key, cert: certs.cert },
    auth: { username, password, methods: ['PLAIN', 'LOGIN'] },
  });
}

/** STARTTLS trusting the test CA, short timeouts, and a Redis nobody listens on. */
export async function checkEnv(certs: GeneratedCertificates): Promise<Record<string, string>> {
  return {
    SMART_HOST_TLS: 'starttls',
    SMART_HOST_CA_FILE: certs.caFile,
    SMTP_HOSTNAME: 'relay.example.test',
    SMTP_CLIENT_TIMEOUT: '5s',
    // Nothing listens there: the OAuth2 token source falls back to memory at once.
    REDIS_URL: `redis://127.0.0.1:${String(await getFreePort())}`,
  };
}
