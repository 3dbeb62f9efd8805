import { readFile } from 'node:fs/promises';
import {
  checkDkimKey,
  dkimDnsRecord,
  domainOfFolder,
  keyNameOf,
  zoneFileLine,
} from '@smtp-relay/smart-host';
import type { CommandIo } from '../command-io.ts';

export const DKIM_USAGE = `Usage: smtp-relay dkim KEYFILE [--json]

Checks a DKIM private key of DKIM_KEYS_DIR, <domain>/<selector>.pem, as the
senders do (unencrypted PEM, RSA of at least 1024 bits or Ed25519), and
prints the DNS TXT record to publish for it, as a zone-file line:

  <selector>._domainkey.<domain>. IN TXT ( "v=DKIM1; k=rsa; p=..." ... )

Long values are split into strings of at most 255 characters, which DNS
joins again; a DNS provider's web form takes the name and the whole value
(--json gives both unsplit). Make a key with:

  openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out <selector>.pem
  openssl genpkey -algorithm ED25519 -out <selector>.pem

Options:
  --json    one JSON object: domain, selector, algorithm, bits, name, value`;

export async function runDkim(
  positionals: readonly string[],
  options: { readonly json: boolean },
  io: CommandIo,
): Promise<number> {
  const [file] = positionals;
  if (file === undefined || positionals.length > 1) {
    io.error(DKIM_USAGE);
    return 2;
  }
  const { folder, selector } = keyNameOf(file);
  const domain = domainOfFolder(folder);
  if (domain === undefined || !domain.includes('.')) {
    io.error(
      `${file}: the key must be in a folder named after its domain, <domain>/<selector>.pem (DKIM_KEYS_DIR/example.com/s1.pem), not in "${folder}".`,
    );
    return 1;
  }
  let pem: Buffer;
  try {
    pem = await readFile(file);
  } catch (error) {
    io.error(
      `${file}: cannot be read (${(error as NodeJS.ErrnoException).code ?? String(error)}).`,
    );
    return 1;
  }
  const check = checkDkimKey(pem, domain, selector);
  if (!check.ok) {
    io.error(`${file}: cannot sign: ${check.reason}.`);
    return 1;
  }
  const { key } = check;
  const record = dkimDnsRecord(key);
  if (options.json) {
    const { algorithm, bits } = key;
    io.print(JSON.stringify({ domain, selector, algorithm, bits, ...record }));
  } else {
    io.print(zoneFileLine(record));
    io.error(
      `${key.algorithm}, ${key.bits} bits, selector ${selector}: publish the record above in the DNS of ${domain} before the key is in DKIM_KEYS_DIR, which signs mail whose From: domain is ${domain} with it.`,
    );
  }
  return 0;
}
