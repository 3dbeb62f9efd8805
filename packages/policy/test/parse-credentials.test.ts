import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseCredentials, type StoredSecret } from '../src/index.ts';

const BCRYPT = '$2y$07$usesomesillystringfore2uDLvp1Ii2e./U9C8sBjqp8I90dH6hi';
const ARGON2ID =
  '$argon2id$v=19$m=256,t=2,p=1$c29tZXNhbHQ$nf65EOgLrQMR/uIPnA4rEsF5h7TKyQwu9U1bMCHGi/4';
// phc-winner-argon2 src/test.c; parsed here, never computed.
const ARGON2I_1GIB =
  '$argon2i$v=19$m=1048576,t=2,p=1$c29tZXNhbHQ$0Vh6ygkiw7XWqD7asxvuPE667zQu1hJ6VdGbI1GtH0E';
const SCRYPT =
  '$scrypt$ln=14,r=8,p=1$AAECAwQFBgcICQoLDA0ODw$9NpAd/rtlEZWaqkMmxmEB+IlL8M/p3rHLnGE6EEASXI';

interface Row {
  readonly rule: string;
  readonly text: string;
  readonly users: Readonly<Record<string, StoredSecret>>;
  /** Line number and a fragment of the message. */
  readonly problems?: readonly (readonly [line: number, fragment: string])[];
}

const NOT_A_HASH = 'not a well-formed bcrypt, argon2 or scrypt hash';

const rows: readonly Row[] = [
  {
    rule: 'plain-text password (Mercury)',
    text: 'alice secret1',
    users: { alice: { kind: 'plain', value: 'secret1' } },
  },
  {
    rule: 'bcrypt $2y$ hash',
    text: `bob ${BCRYPT}`,
    users: { bob: { kind: 'bcrypt', value: BCRYPT } },
  },
  {
    rule: 'bcrypt $2a$ and $2b$ hashes',
    text: `a ${BCRYPT.replace('$2y$', '$2a$')}\nb ${BCRYPT.replace('$2y$', '$2b$')}`,
    users: {
      a: { kind: 'bcrypt', value: BCRYPT.replace('$2y$', '$2a$') },
      b: { kind: 'bcrypt', value: BCRYPT.replace('$2y$', '$2b$') },
    },
  },
  {
    rule: 'argon2id hash',
    text: `carol ${ARGON2ID}`,
    users: { carol: { kind: 'argon2', value: ARGON2ID } },
  },
  {
    rule: 'scrypt hash',
    text: `dave ${SCRYPT}`,
    users: { dave: { kind: 'scrypt', value: SCRYPT } },
  },
  {
    rule: 'tabs and runs of spaces separate the fields',
    text: 'alice \t  secret1',
    users: { alice: { kind: 'plain', value: 'secret1' } },
  },
  {
    rule: 'a plain-text password keeps its inner spaces, outer ones are trimmed',
    text: '  alice   correct horse battery staple  ',
    users: { alice: { kind: 'plain', value: 'correct horse battery staple' } },
  },
  {
    rule: 'blank lines and comment lines are ignored; # inside a password is kept',
    text: '\n# a comment\n   # indented comment\n\t\nalice pa#ss\n',
    users: { alice: { kind: 'plain', value: 'pa#ss' } },
  },
  {
    rule: 'CRLF line ends and a UTF-8 byte order mark are tolerated',
    text: '\uFEFFalice secret1\r\nbob secret2\r\n',
    users: {
      alice: { kind: 'plain', value: 'secret1' },
      bob: { kind: 'plain', value: 'secret2' },
    },
  },
  {
    rule: 'usernames are compared exactly, case included',
    text: 'Alice one\nalice two',
    users: { Alice: { kind: 'plain', value: 'one' }, alice: { kind: 'plain', value: 'two' } },
  },
  {
    rule: 'a line with a single field is reported and skipped',
    text: 'alice secret1\nbob\ncarol secret3',
    users: {
      alice: { kind: 'plain', value: 'secret1' },
      carol: { kind: 'plain', value: 'secret3' },
    },
    problems: [[2, 'single field']],
  },
  {
    rule: 'a username followed only by white space has no secret',
    text: '# users\nbob \t ',
    users: {},
    problems: [[2, 'single field']],
  },
  {
    rule: 'a duplicate username: the first definition wins, the later line is reported',
    text: 'alice first\n\nalice second',
    users: { alice: { kind: 'plain', value: 'first' } },
    problems: [[3, 'already defined on line 1']],
  },
  {
    rule: 'a truncated bcrypt hash is not taken as a plain-text password',
    text: `alice ${BCRYPT.slice(0, -1)}`,
    users: {},
    problems: [[1, NOT_A_HASH]],
  },
  {
    rule: 'bcrypt with an out-of-range cost',
    text: `alice ${BCRYPT.replace('$07$', '$03$')}`,
    users: {},
    problems: [[1, NOT_A_HASH]],
  },
  {
    rule: 'the buggy $2x$ bcrypt variant is refused',
    text: `alice ${BCRYPT.replace('$2y$', '$2x$')}`,
    users: {},
    problems: [[1, NOT_A_HASH]],
  },
  {
    rule: 'an argon2 hash with a missing part',
    text: 'alice $argon2id$v=19$m=256,t=2,p=1$c29tZXNhbHQ',
    users: {},
    problems: [[1, NOT_A_HASH]],
  },
  {
    rule: 'an argon2 hash needing 64 MiB is accepted',
    text: `alice ${ARGON2I_1GIB.replace('m=1048576', 'm=65536')}`,
    users: { alice: { kind: 'argon2', value: ARGON2I_1GIB.replace('m=1048576', 'm=65536') } },
  },
  {
    rule: 'an argon2 hash needing 1 GiB per check is refused, naming its cost',
    text: `# big\nalice ${ARGON2I_1GIB}`,
    users: {},
    problems: [[2, 'the argon2 hash needs 1024 MiB of memory per check, more than the 64 MiB']],
  },
  {
    rule: 'a scrypt hash with N = 2^17, r = 8 (128 MiB, the old default) is refused',
    text: `alice ${SCRYPT.replace('ln=14', 'ln=17')}\nbob ${SCRYPT}`,
    users: { bob: { kind: 'scrypt', value: SCRYPT } },
    problems: [[1, 'the scrypt hash needs 128 MiB']],
  },
  {
    rule: 'a user refused for its cost may be defined by a later line',
    text: `alice ${SCRYPT.replace('ln=14', 'ln=20')}\nalice ${SCRYPT}`,
    users: { alice: { kind: 'scrypt', value: SCRYPT } },
    problems: [[1, '1024 MiB']],
  },
  {
    rule: 'a scrypt hash with parameters out of order',
    text: `alice ${SCRYPT.replace('ln=14,r=8,p=1', 'r=8,ln=14,p=1')}`,
    users: {},
    problems: [[1, NOT_A_HASH]],
  },
  {
    rule: 'an unsupported hash scheme ($6$ sha512-crypt)',
    text: 'alice $6$saltsalt$abcdefghijklmnop',
    users: {},
    problems: [[1, NOT_A_HASH]],
  },
  {
    rule: 'a hash followed by a third field',
    text: `alice ${BCRYPT} extra`,
    users: {},
    problems: [[1, NOT_A_HASH]],
  },
  {
    rule: 'line numbers count blank, comment and CRLF lines',
    text: '# header\r\n\r\nalice ok\r\nbob\r\n# more\r\nbob $nope\r\n',
    users: { alice: { kind: 'plain', value: 'ok' } },
    problems: [
      [4, 'single field'],
      [6, NOT_A_HASH],
    ],
  },
  { rule: 'an empty file has no users and no problems', text: '', users: {} },
];

describe('parseCredentials', () => {
  for (const row of rows) {
    it(row.rule, () => {
      const { users, problems } = parseCredentials(row.text);
      assert.deepEqual(Object.fromEntries(users), row.users);
      const expected = row.problems ?? [];
      assert.deepEqual(
        problems.map((problem) => problem.line),
        expected.map(([line]) => line),
      );
      problems.forEach((problem, index) => {
        assert.ok(problem.message.includes(expected[index]?.[1] ?? '<none>'), problem.message);
      });
    });
  }

  it('names the users whose hash was refused for its cost, unless a later line defines them', () => {
    const costly =
      '$scrypt$ln=20,r=8,p=1$AAECAwQFBgcICQoLDA0ODw$9NpAd/rtlEZWaqkMmxmEB+IlL8M/p3rHLnGE6EEASXI';
    const { users, costlyUsers } = parseCredentials(
      `fax ${costly}\nscanner pass\nold ${costly}\nold fixed-pass\n`,
    );
    assert.deepEqual([...costlyUsers], ['fax']);
    assert.deepEqual([...users.keys()].sort(), ['old', 'scanner']);
  });

  it('never quotes the line in a problem message (it may hold a password)', () => {
    const { problems } = parseCredentials('hunter2\nalice $hunter3\nalice x\nalice hunter4');
    assert.equal(problems.length, 3);
    for (const { message } of problems) assert.doesNotMatch(message, /hunter|alice/);
  });
});
