import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { hashCostProblem, isWithinHashLimits } from '../src/hash-limits.ts';
import { DEFAULT_DUMMY_SECRET, parseCredentials, readStoredSecret } from '../src/index.ts';

// Well-formed hashes with chosen parameters; none of them is computed here.
const bcrypt = (cost: string): string =>
  `$2b$${cost}$usesomesillystringfore2uDLvp1Ii2e./U9C8sBjqp8I90dH6hi`;
const argon2 = (parameters: string, variant = 'argon2id'): string =>
  `$${variant}$v=19$${parameters}$c29tZXNhbHQ$nf65EOgLrQMR/uIPnA4rEsF5h7TKyQwu9U1bMCHGi/4`;
const scrypt = (parameters: string): string =>
  `$scrypt$${parameters}$AAECAwQFBgcICQoLDA0ODw$9NpAd/rtlEZWaqkMmxmEB+IlL8M/p3rHLnGE6EEASXI`;

/** undefined: accepted; otherwise a fragment of the problem reported for the line. */
type Row = readonly [why: string, hash: string, refused?: string];

// README "Security": a hash whose check needs more than 64 MiB, or takes too long
// (MAX_HASH_TIME_COST says why these limits), is refused when the file is read.
// Every hash our own `npx smtp-relay passwd` makes, and what common tools make by
// default, must stay accepted.
const rows: readonly Row[] = [
  ['plain text (Mercury)', 'correct horse'],
  // What `npx smtp-relay passwd` makes (hash-password.test.ts checks it still does).
  ['ours: argon2id m=19456, t=2, p=1', argon2('m=19456,t=2,p=1')],
  ['ours: bcrypt cost 12', bcrypt('12')],
  ['ours: scrypt N=2^16, r=8, p=2', scrypt('ln=16,r=8,p=2')],
  // Other tools' defaults.
  ['htpasswd -B, doveadm pw BLF-CRYPT: bcrypt cost 5', bcrypt('05')],
  ['PHP, Spring: bcrypt cost 10', bcrypt('10')],
  ['argon2 CLI: m=4096, t=3, p=1', argon2('m=4096,t=3,p=1')],
  ['RFC 9106, argon2-cffi: m=64 MiB, t=3, p=4', argon2('m=65536,t=3,p=4')],
  ['PHP password_hash argon2id: m=64 MiB, t=4, p=1', argon2('m=65536,t=4,p=1')],
  ['libsodium argon2i interactive: m=32 MiB, t=4', argon2('m=32768,t=4,p=1', 'argon2i')],
  ['passlib: scrypt N=2^16, r=8, p=1', scrypt('ln=16,r=8,p=1')],
  ['Django: scrypt N=2^14, r=8, p=1', scrypt('ln=14,r=8,p=1')],
  ['RFC 7914: scrypt N=2^10, r=8, p=16', scrypt('ln=10,r=8,p=16')],
  // bcrypt: the time limit.
  ['bcrypt cost 15: the most allowed', bcrypt('15')],
  ['bcrypt cost 16', bcrypt('16'), 'the bcrypt hash has cost = 16, more than the 15 allowed'],
  ['bcrypt cost 20', bcrypt('20'), 'cost = 20'],
  ['bcrypt cost 31: days per check, 4 KiB of memory', bcrypt('31'), 'cost = 31'],
  // argon2: t, with m capped by memory.
  ['argon2id t=10 at 64 MiB: the most allowed', argon2('m=65536,t=10,p=1')],
  ['argon2id t=11', argon2('m=19456,t=11,p=1'), 'the argon2 hash has t = 11, more than the 10'],
  ['argon2id t=1000 in 8 KiB', argon2('m=8,t=1000,p=1'), 't = 1000'],
  ['argon2i t=2^32-1', argon2('m=256,t=4294967295,p=1', 'argon2i'), 't = 4294967295'],
  ['argon2id many lanes: p splits m, no cost of its own', argon2('m=65536,t=2,p=8192')],
  ['argon2id over both limits: memory is named', argon2('m=1048576,t=99,p=1'), '1024 MiB'],
  // scrypt: N·r is capped by memory, p multiplies the time.
  ['scrypt N=2^16, r=8, p=16 (N·r·p = 2^23): the most allowed', scrypt('ln=16,r=8,p=16')],
  [
    'scrypt N=2^16, r=8, p=17',
    scrypt('ln=16,r=8,p=17'),
    'the scrypt hash has N·r·p = 8912896, more than the 8388608 allowed',
  ],
  ['scrypt N=2^14, r=8, p=9999', scrypt('ln=14,r=8,p=9999'), 'N·r·p = 1310588928'],
  ['scrypt many lanes of a tiny table: quick', scrypt('ln=4,r=1,p=9999')],
  ['scrypt N=2^17, r=8: over the memory cap', scrypt('ln=17,r=8,p=1'), '128 MiB of memory'],
];

describe('hash limits at load: memory and time', () => {
  for (const [why, hash, refused] of rows) {
    it(`${why}: ${refused === undefined ? 'accepted' : 'refused'}`, () => {
      const secret = readStoredSecret(hash);
      assert.ok(secret, 'well-formed');
      const problem = hashCostProblem(secret);
      assert.equal(isWithinHashLimits(secret), refused === undefined);
      if (refused === undefined) assert.equal(problem, undefined);
      else assert.ok(problem?.includes(refused), problem);

      // The line is refused with its number, the user kept apart (454, not 535),
      // and the other users stay.
      const { users, problems, costlyUsers } = parseCredentials(
        `# devices\nprinter ${hash}\nscanner scanner-pass\n`,
      );
      assert.equal(users.has('printer'), refused === undefined);
      assert.equal(costlyUsers.has('printer'), refused !== undefined);
      assert.ok(users.has('scanner'));
      assert.deepEqual(
        problems.map(({ line }) => line),
        refused === undefined ? [] : [2],
      );
      if (refused !== undefined) {
        assert.match(
          problems[0]?.message ?? '',
          /replace it with the output of `npx smtp-relay passwd`$/,
        );
      }
    });
  }

  it('the dummy for a file without users is within the limits', () => {
    assert.equal(hashCostProblem(DEFAULT_DUMMY_SECRET), undefined);
  });
});
