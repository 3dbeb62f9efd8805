import { randomBytes, scrypt, type ScryptOptions } from 'node:crypto';

/**
 * Our scrypt hash format, a PHC string (https://github.com/P-H-C/phc-string-format):
 *
 *   $scrypt$ln=<log2 N>,r=<r>,p=<p>$<salt>$<key>
 *
 * - `ln` is log2 of the CPU/memory cost N (N = 2^ln), `r` the block size, `p` the
 *   parallelisation; all decimal without leading zeros, in exactly this order.
 * - `<salt>` and `<key>` are standard Base64 (RFC 4648 section 4, `+` and `/`) without
 *   `=` padding, as PHC prescribes. The key length is whatever `<key>` decodes to
 *   (16 to 64 bytes); we write 32-byte keys with 16-byte salts.
 * - The password is its UTF-8 bytes, unnormalised.
 *
 * Example (RFC 7914 section 12, password "password", salt "NaCl"):
 * $scrypt$ln=10,r=8,p=16$TmFDbA$/bq+HJ00cgB4VucZDQHp/nxq18vII3gw53N2Y0s3MWIurzDZLiKjiG/xCSedmDDaxyevuUqD7m2DYMvfoswGQA
 */
export interface ScryptHash {
  readonly logN: number;
  readonly r: number;
  readonly p: number;
  readonly salt: Buffer;
  readonly key: Buffer;
}

export type ScryptParameters = Pick<ScryptHash, 'logN' | 'r' | 'p'>;

const SCRYPT_HASH_PATTERN =
  /^\$scrypt\$ln=([1-9]\d?),r=([1-9]\d{0,3}),p=([1-9]\d{0,3})\$([A-Za-z0-9+/]+)\$([A-Za-z0-9+/]+)$/;

const MIN_KEY_BYTES = 16;
const MAX_KEY_BYTES = 64;

/**
 * Bytes scrypt allocates for these parameters, by OpenSSL's own accounting
 * (EVP_PBE_scrypt: 128·r·p for B plus 128·r·(N+2) for V), which Node checks
 * against `maxmem` (default 32 MiB: too small for N = 2^16, r = 8).
 */
export function scryptMemoryBytes({ logN, r, p }: ScryptParameters): number {
  return 128 * r * p + 128 * r * (2 ** logN + 2);
}

/**
 * The parsed hash, or undefined when `text` is not a well-formed scrypt hash. Whether
 * its memory cost is acceptable is for hashMemoryBytes and MAX_HASH_MEMORY_BYTES.
 */
export function parseScryptHash(text: string): ScryptHash | undefined {
  const match = SCRYPT_HASH_PATTERN.exec(text);
  if (match === null) return undefined;
  const [, logNText = '', rText = '', pText = '', saltText = '', keyText = ''] = match;
  const parameters = { logN: Number(logNText), r: Number(rText), p: Number(pText) };
  // A Base64 text of length 4k+1 cannot come from any byte string.
  if (saltText.length % 4 === 1 || keyText.length % 4 === 1) return undefined;
  const salt = Buffer.from(saltText, 'base64');
  const key = Buffer.from(keyText, 'base64');
  if (key.length < MIN_KEY_BYTES || key.length > MAX_KEY_BYTES) return undefined;
  return { ...parameters, salt, key };
}

export function formatScryptHash(hash: ScryptHash): string {
  const encode = (bytes: Buffer): string => bytes.toString('base64').replace(/=+$/, '');
  return `$scrypt$ln=${hash.logN},r=${hash.r},p=${hash.p}$${encode(hash.salt)}$${encode(hash.key)}`;
}

/** scrypt on the libuv threadpool, so the event loop keeps serving other sessions. */
export function deriveScryptKey(
  password: string,
  salt: Buffer,
  keyLength: number,
  parameters: ScryptParameters,
): Promise<Buffer> {
  const options: ScryptOptions = {
    N: 2 ** parameters.logN,
    r: parameters.r,
    p: parameters.p,
    maxmem: scryptMemoryBytes(parameters),
  };
  return new Promise((resolve, reject) => {
    scrypt(password, salt, keyLength, options, (error, key) => {
      if (error === null) resolve(key);
      else reject(error);
    });
  });
}

export async function createScryptHash(
  password: string,
  parameters: ScryptParameters,
): Promise<string> {
  const salt = randomBytes(16);
  const key = await deriveScryptKey(password, salt, 32, parameters);
  return formatScryptHash({ ...parameters, salt, key });
}
