import { createInterface } from 'node:readline/promises';
import { Writable } from 'node:stream';

/** What commands read and write, so tests can run them without a terminal. */
export interface CommandIo {
  readonly interactive: boolean;
  print(text: string): void;
  error(text: string): void;
  /** A password: prompted without echo on a terminal, else the next line of stdin. */
  readPassword(prompt: string): Promise<string | undefined>;
}

export function createProcessIo(): CommandIo {
  const interactive = process.stdin.isTTY && process.stderr.isTTY;
  let lines: AsyncIterator<string> | undefined;
  return {
    interactive,
    print: (text) => {
      process.stdout.write(`${text}\n`);
    },
    error: (text) => {
      process.stderr.write(`${text}\n`);
    },
    async readPassword(prompt) {
      if (!interactive) {
        lines ??= createInterface({ input: process.stdin, crlfDelay: Infinity })[
          Symbol.asyncIterator
        ]();
        const next = await lines.next();
        return next.done ? undefined : next.value;
      }
      process.stderr.write(prompt);
      // Echo nothing while the password is typed.
      const silent = new Writable({
        write(_chunk, _encoding, callback) {
          callback();
        },
      });
      const reader = createInterface({ input: process.stdin, output: silent, terminal: true });
      try {
        return await reader.question('');
      } finally {
        reader.close();
        process.stderr.write('\n');
      }
    },
  };
}
