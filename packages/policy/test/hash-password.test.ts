import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  DEFAULT_DUMMY_SECRET,
  hashPassword,
  parseCredentials,
  verifyPassword,
  type PasswordHashAlgorithm,
  type StoredSecretKind,
} from '../src/index.ts';
import { hashCostProblem } from '../src/hash-limits.ts';

interface Row {
  readonly algorithm: PasswordHashAlgorithm;
  readonly kind: StoredSecretKind;
  /** Everything before the salt: the algorithm and its parameters. */
  readonly parameters: string;
}

const rows: readonly Row[] = [
  { algorithm: 'argon2id', kind: 'argon2', parameters: '$argon2id$v=19$m=19456,t=2,p=1$' },
  { algorithm: 'bcrypt', kind: 'bcrypt', parameters: '$2b$12$' },
  { algorithm: 'scrypt', kind: 'scrypt', parameters: '$scrypt$ln=16,r=8,p=2$' },
];

const PASSWORD = 'pä ss#wörd';

describe('hashPassword', () => {
  for (const { algorithm, kind, parameters } of rows) {
    it(`${algorithm}: round-trips through parseCredentials and verifyPassword`, async () => {
      const hash = await hashPassword(PASSWORD, algorithm);
      assert.ok(hash.startsWith(parameters), hash);
      assert.doesNotMatch(hash, /\s/);
      assert.notEqual(await hashPassword(PASSWORD, algorithm), hash, 'each hash has its own salt');

      const { users, problems } = parseCredentials(`printer ${hash}\n`);
      assert.deepEqual(problems, []);
      const secret = users.get('printer');
      assert.deepEqual(secret, { kind, value: hash });
      assert.equal(await verifyPassword(secret, PASSWORD), true);
      assert.equal(await verifyPassword(secret, 'pä ss#word'), false);
      assert.equal(hashCostProblem(secret), undefined, 'within the memory and time limits');
    });
  }

  it('the dummy for a file without users has the default argon2id parameters', () => {
    assert.ok(DEFAULT_DUMMY_SECRET.value.startsWith(rows[0]?.parameters ?? '<none>'));
  });

  it('defaults to argon2id', async () => {
    assert.match(await hashPassword('x'), /^\$argon2id\$/);
  });

  it('refuses an empty password', async () => {
    await assert.rejects(hashPassword(''), RangeError);
  });

  it('refuses a password bcrypt would truncate, accepts one of exactly 72 bytes', async () => {
    await assert.rejects(hashPassword('é'.repeat(37), 'bcrypt'), /72 bytes/);
    assert.match(await hashPassword('a'.repeat(72), 'bcrypt'), /^\$2b\$12\$/);
  });
});
