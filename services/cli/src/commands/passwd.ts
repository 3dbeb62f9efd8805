import { hashPassword, type PasswordHashAlgorithm } from '@smtp-relay/policy';
import type { CommandIo } from '../command-io.ts';

export const PASSWD_USAGE = `Usage: smtp-relay passwd [username] [--algorithm argon2id|bcrypt|scrypt]

Hashes a password for SMTP_AUTH_FILE and prints the line to add
("username hash"), or the hash alone without a username. The password is
asked for twice on a terminal, or read as the first line of standard input.`;

const ALGORITHMS: readonly PasswordHashAlgorithm[] = ['argon2id', 'bcrypt', 'scrypt'];

export async function runPasswd(
  options: { username: string | undefined; algorithm: string | undefined },
  io: CommandIo,
): Promise<number> {
  const algorithm = options.algorithm ?? 'argon2id';
  if (!ALGORITHMS.includes(algorithm as PasswordHashAlgorithm)) {
    io.error(`Unknown algorithm "${algorithm}": use one of ${ALGORITHMS.join(', ')}.`);
    return 2;
  }
  if (options.username !== undefined && !/^\S+$/.test(options.username)) {
    io.error('The user name must not contain white space.');
    return 2;
  }
  const password = await io.readPassword('Password: ');
  if (io.interactive) {
    const again = await io.readPassword('Again: ');
    if (again !== password) {
      io.error('The passwords do not match.');
      return 1;
    }
  }
  if (password === undefined || password === '') {
    io.error('No password given.');
    return 1;
  }
  const hash = await hashPassword(password, algorithm as PasswordHashAlgorithm);
  io.print(options.username === undefined ? hash : `${options.username} ${hash}`);
  return 0;
}
