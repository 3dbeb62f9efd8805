import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { isAuthorized } from '../src/token-auth.ts';

const TOKEN = '0123456789abcdef0123456789abcdef';

const basic = (userAndPassword: string): string =>
  `Basic ${Buffer.from(userAndPassword, 'utf8').toString('base64')}`;

describe('isAuthorized', () => {
  const rows: readonly {
    name: string;
    authorization: string | undefined;
    token?: string | undefined;
    expected: boolean;
  }[] = [
    { name: 'Bearer with the token', authorization: `Bearer ${TOKEN}`, expected: true },
    { name: 'scheme in lower case', authorization: `bearer ${TOKEN}`, expected: true },
    { name: 'scheme in upper case', authorization: `BEARER ${TOKEN}`, expected: true },
    {
      name: 'surrounding and repeated whitespace',
      authorization: `  Bearer   ${TOKEN}  `,
      expected: true,
    },
    { name: 'Bearer with a wrong token', authorization: 'Bearer wrong', expected: false },
    {
      name: 'Bearer with a prefix of the token',
      authorization: `Bearer ${TOKEN.slice(0, -1)}`,
      expected: false,
    },
    {
      name: 'Bearer with the token and one more character',
      authorization: `Bearer ${TOKEN}x`,
      expected: false,
    },
    {
      name: 'Bearer with the token in another case',
      authorization: `Bearer ${TOKEN.toUpperCase()}`,
      expected: false,
    },
    { name: 'Bearer without credentials', authorization: 'Bearer', expected: false },
    { name: 'Bearer and a space only', authorization: 'Bearer ', expected: false },
    {
      name: 'Basic, literal header: any user, the token as password',
      authorization: 'Basic YW55b25lOjAxMjM0NTY3ODlhYmNkZWYwMTIzNDU2Nzg5YWJjZGVm',
      expected: true,
    },
    { name: 'Basic with user admin', authorization: basic(`admin:${TOKEN}`), expected: true },
    { name: 'Basic with an empty user', authorization: basic(`:${TOKEN}`), expected: true },
    {
      name: 'Basic with a UTF-8 user',
      authorization: basic(`Jürgen:${TOKEN}`),
      expected: true,
    },
    {
      name: 'Basic scheme in lower case',
      authorization: `basic ${Buffer.from(`u:${TOKEN}`).toString('base64')}`,
      expected: true,
    },
    { name: 'Basic with a wrong password', authorization: basic('admin:wrong'), expected: false },
    { name: 'Basic with an empty password', authorization: basic('admin:'), expected: false },
    {
      name: 'Basic with the token as user name and no password',
      authorization: basic(`${TOKEN}:`),
      expected: false,
    },
    { name: 'Basic without a colon', authorization: basic(TOKEN), expected: false },
    {
      name: 'Basic: the password is everything after the first colon',
      authorization: basic(`admin:${TOKEN}:extra`),
      expected: false,
    },
    {
      name: 'Basic: a token with a colon is a password with a colon',
      authorization: basic(`admin:pa:ss-${TOKEN}`),
      token: `pa:ss-${TOKEN}`,
      expected: true,
    },
    { name: 'Basic without credentials', authorization: 'Basic', expected: false },
    { name: 'Basic with invalid base64', authorization: 'Basic !!!***', expected: false },
    {
      name: 'Basic with the token not base64-encoded',
      authorization: `Basic admin:${TOKEN}`,
      expected: false,
    },
    { name: 'other scheme: Token', authorization: `Token ${TOKEN}`, expected: false },
    { name: 'other scheme: Digest', authorization: `Digest ${TOKEN}`, expected: false },
    { name: 'the token without a scheme', authorization: TOKEN, expected: false },
    { name: 'empty header', authorization: '', expected: false },
    { name: 'missing header', authorization: undefined, expected: false },
    {
      name: 'no token configured: Bearer refused',
      authorization: 'Bearer undefined',
      token: undefined,
      expected: false,
    },
    {
      name: 'no token configured: empty Bearer refused',
      authorization: 'Bearer',
      token: undefined,
      expected: false,
    },
    {
      name: 'no token configured: Basic refused',
      authorization: basic('admin:'),
      token: undefined,
      expected: false,
    },
    {
      name: 'no token configured, missing header',
      authorization: undefined,
      token: undefined,
      expected: false,
    },
    {
      name: 'empty configured token: empty Bearer refused',
      authorization: 'Bearer',
      token: '',
      expected: false,
    },
  ];
  for (const row of rows) {
    it(row.name, () => {
      const token = 'token' in row ? row.token : TOKEN;
      assert.equal(isAuthorized(row.authorization, token), row.expected);
    });
  }
});
