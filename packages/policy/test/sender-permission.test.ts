import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { decideSender, parseSendersFile } from '../src/index.ts';

// docs/reference.md "Sender address rules": who may use which MAIL FROM address.

const RULES = parseSendersFile(
  ['printer scan@example.com,*@lan.test', 'printer fax@example.com', 'locked', 'anything *'].join(
    '\n',
  ),
).rules;

describe('decideSender', () => {
  const rows: readonly {
    name: string;
    user: string | undefined;
    from: string;
    expected: string;
  }[] = [
    {
      name: 'a session without AUTH (SMTP_RELAY_NETWORKS) is not restricted',
      user: undefined,
      from: 'anyone@elsewhere.test',
      expected: 'allowed no-user',
    },
    {
      name: 'a user the file does not name is not restricted',
      user: 'copier',
      from: 'anyone@elsewhere.test',
      expected: 'allowed unlisted',
    },
    {
      name: 'user names are compared exactly, as SMTP_AUTH_FILE compares them',
      user: 'Printer',
      from: 'anyone@elsewhere.test',
      expected: 'allowed unlisted',
    },
    {
      name: 'a listed user, an address of its own',
      user: 'printer',
      from: 'scan@example.com',
      expected: 'allowed matched',
    },
    {
      name: 'a listed user, its address in other case',
      user: 'printer',
      from: 'SCAN@EXAMPLE.COM',
      expected: 'allowed matched',
    },
    {
      name: 'a listed user, any address at its domain',
      user: 'printer',
      from: 'tray2@lan.test',
      expected: 'allowed matched',
    },
    {
      name: 'a listed user, the pattern of its second line',
      user: 'printer',
      from: 'fax@example.com',
      expected: 'allowed matched',
    },
    {
      name: 'a listed user, an address it was not given',
      user: 'printer',
      from: 'ceo@example.com',
      expected: 'refused 553 5.7.1 sender-not-allowed',
    },
    {
      name: 'a listed user, a subdomain of its domain',
      user: 'printer',
      from: 'tray2@sub.lan.test',
      expected: 'refused 553 5.7.1 sender-not-allowed',
    },
    {
      name: 'a listed user, the null sender <>',
      user: 'printer',
      from: '',
      expected: 'allowed null-sender',
    },
    {
      name: 'a user listed without patterns may use no address',
      user: 'locked',
      from: 'locked@example.com',
      expected: 'refused 553 5.7.1 sender-not-allowed',
    },
    {
      name: 'a user listed without patterns may still send <>',
      user: 'locked',
      from: '',
      expected: 'allowed null-sender',
    },
    {
      name: 'a user with * may use any address',
      user: 'anything',
      from: 'whoever@wherever.test',
      expected: 'allowed matched',
    },
  ];
  for (const row of rows) {
    it(row.name, () => {
      const decision = decideSender(RULES, { user: row.user, from: row.from });
      const summary = decision.allowed
        ? `allowed ${decision.reason}`
        : `refused ${String(decision.reply.code)} ${decision.reply.enhanced} ${decision.reply.reason}`;
      assert.equal(summary, row.expected);
    });
  }
});
