import { execFile } from 'node:child_process';

/** Runs the `openssl` CLI in `cwd`; rejects with its stderr so a failure says why. */
export function openssl(args: string[], cwd: string): Promise<void> {
  return new Promise((resolve, reject) => {
    execFile('openssl', args, { cwd, timeout: 10_000 }, (error, _stdout, stderr) => {
      if (error) {
        reject(new Error(`openssl ${args.join(' ')} failed: ${stderr}`, { cause: error }));
        return;
      }
      resolve();
    });
  });
}

/** Writes a new EC P-256 private key (PKCS#8 PEM) to `file`. */
export function generateKey(file: string, cwd: string): Promise<void> {
  return openssl(
    ['genpkey', '-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:P-256', '-out', file],
    cwd,
  );
}
