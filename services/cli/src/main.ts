#!/usr/bin/env node
// `npx smtp-relay <command>`: the operator's command line.
import { parseArgs } from 'node:util';
import { createProcessIo } from './command-io.ts';
import { CONFIG_USAGE, runConfig } from './commands/config.ts';
import { PASSWD_USAGE, runPasswd } from './commands/passwd.ts';

const USAGE = `Usage: smtp-relay <command>

Commands:
  passwd [username]        hash a password for SMTP_AUTH_FILE
  config [all|ingress|sender]
                           print the effective configuration (secrets redacted)

Run "smtp-relay <command> --help" for a command's options.`;

const io = createProcessIo();
const [command, ...rest] = process.argv.slice(2);
const { values, positionals } = parseArgs({
  args: rest,
  allowPositionals: true,
  strict: false,
  options: { help: { type: 'boolean', short: 'h' }, algorithm: { type: 'string', short: 'a' } },
});
const help = values['help'] === true;
const algorithm = typeof values['algorithm'] === 'string' ? values['algorithm'] : undefined;

let exitCode: number;
switch (command) {
  case 'passwd':
    if (help) io.print(PASSWD_USAGE);
    exitCode = help ? 0 : await runPasswd({ username: positionals[0], algorithm }, io);
    break;
  case 'config':
    if (help) io.print(CONFIG_USAGE);
    exitCode = help ? 0 : runConfig(positionals[0], process.env, io);
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
