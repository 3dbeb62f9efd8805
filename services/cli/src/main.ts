#!/usr/bin/env node
// `npx smtp-relay <command>`: the operator's command line.
import { parseArgs } from 'node:util';
import { createProcessIo } from './command-io.ts';
import { BLOCKS_USAGE, runBlocks } from './commands/blocks.ts';
import { CHECK_SMARTHOST_USAGE, runCheckSmartHost } from './commands/check-smarthost.ts';
import { CONFIG_USAGE, runConfig } from './commands/config.ts';
import { DKIM_USAGE, runDkim } from './commands/dkim.ts';
import { OAUTH2_USAGE, runOAuth2 } from './commands/oauth2.ts';
import { PASSWD_USAGE, runPasswd } from './commands/passwd.ts';
import { QUEUE_USAGE, runQueue } from './commands/queue.ts';
import { SEND_TEST_USAGE, runSendTest } from './commands/send-test.ts';

const USAGE = `Usage: smtp-relay <command>

Commands:
  passwd [username]        hash a password for SMTP_AUTH_FILE
  config [all|ingress|sender] [--json]
                           print the effective configuration (secrets redacted)
  send-test [--to addr]    send a test message to the relay's ingress
  queue <command>          counts, list, search, show, retry, delete (see queue --help)
  blocks [list|lift ADDRESS]
                           client addresses blocked after failed AUTHs or by a
                           filter rule; lift one
  oauth2 login|check       get the first OAuth2 refresh token; check the
                           configured grant gets an access token
  check-smarthost [--json] [--send-to ADDRESS] [--route NAME]
                           connect and log in to each smart host of a route
                           (and send a test message to ADDRESS)
  dkim KEYFILE [--json]    check a DKIM key of DKIM_KEYS_DIR and print the DNS
                           TXT record to publish for it

Run "smtp-relay <command> --help" for a command's options.`;

const io = createProcessIo();
const [command, ...rest] = process.argv.slice(2);
const { values, positionals } = parseArgs({
  args: rest,
  allowPositionals: true,
  strict: false,
  options: {
    help: { type: 'boolean', short: 'h' },
    algorithm: { type: 'string', short: 'a' },
    to: { type: 'string' },
    from: { type: 'string' },
    host: { type: 'string' },
    port: { type: 'string' },
    user: { type: 'string' },
    tls: { type: 'string' },
    insecure: { type: 'boolean' },
    limit: { type: 'string' },
    json: { type: 'boolean' },
    output: { type: 'string', short: 'o' },
    'device-code-url': { type: 'string' },
    'authorization-url': { type: 'string' },
    timeout: { type: 'string' },
    'send-to': { type: 'string' },
    route: { type: 'string' },
    since: { type: 'string' },
    until: { type: 'string' },
  },
});
const text = (name: string): string | undefined => {
  const value = values[name];
  return typeof value === 'string' ? value : undefined;
};
const help = values['help'] === true;

let exitCode: number;
switch (command) {
  case 'passwd':
    if (help) io.print(PASSWD_USAGE);
    exitCode = help
      ? 0
      : await runPasswd({ username: positionals[0], algorithm: text('algorithm') }, io);
    break;
  case 'config':
    if (help) io.print(CONFIG_USAGE);
    exitCode = help
      ? 0
      : runConfig(positionals[0], { json: values['json'] === true }, process.env, io);
    break;
  case 'send-test':
    if (help) io.print(SEND_TEST_USAGE);
    exitCode = help
      ? 0
      : await runSendTest(
          {
            to: text('to'),
            from: text('from'),
            host: text('host'),
            port: text('port'),
            user: text('user'),
            tls: text('tls'),
            insecure: values['insecure'] === true,
          },
          process.env,
          io,
        );
    break;
  case 'queue':
    if (help) io.print(QUEUE_USAGE);
    exitCode = help
      ? 0
      : await runQueue(
          positionals,
          {
            limit: text('limit'),
            json: values['json'] === true,
            since: text('since'),
            until: text('until'),
          },
          process.env,
          io,
        );
    break;
  case 'blocks':
    if (help) io.print(BLOCKS_USAGE);
    exitCode = help
      ? 0
      : await runBlocks(positionals, { json: values['json'] === true }, process.env, io);
    break;
  case 'oauth2':
    if (help) io.print(OAUTH2_USAGE);
    exitCode = help
      ? 0
      : await runOAuth2(
          positionals,
          {
            json: values['json'] === true,
            output: text('output'),
            deviceCodeUrl: text('device-code-url'),
            authorizationUrl: text('authorization-url'),
            timeout: text('timeout'),
          },
          process.env,
          io,
        );
    break;
  case 'check-smarthost':
    if (help) io.print(CHECK_SMARTHOST_USAGE);
    exitCode = help
      ? 0
      : await runCheckSmartHost(
          { json: values['json'] === true, sendTo: text('send-to'), route: text('route') },
          process.env,
          io,
        );
    break;
  case 'dkim':
    if (help) io.print(DKIM_USAGE);
    exitCode = help ? 0 : await runDkim(positionals, { json: values['json'] === true }, io);
    break;
  case undefined:
  case 'help':
  case '--help':
  case '-h':
    io.print(USAGE);
    exitCode = command === undefined ? 2 : 0;
    break;
  default:
    io.error(`Unknown command "${command}".\n\n${USAGE}`);
    exitCode = 2;
}
process.exitCode = exitCode;
