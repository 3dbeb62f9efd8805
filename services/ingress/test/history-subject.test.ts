import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { SUBJECT_MAX_LENGTH } from '@smtp-relay/queue';
import { historySubject } from '../src/history-subject.ts';

describe('historySubject: the Subject a job carries for the history', () => {
  const rows: readonly [name: string, raw: string, subject: string][] = [
    ['plain ASCII stays', 'Scan from MFP-3', 'Scan from MFP-3'],
    ['none', '', ''],
    ['a Q-encoded word', '=?UTF-8?Q?Scan_f=C3=BCr_B=C3=BCro?=', 'Scan für Büro'],
    ['a B-encoded word', '=?UTF-8?B?0J/RgNC40LLQtdGC?=', 'Привет'],
    [
      'encoded words around plain text',
      'Re: =?ISO-8859-1?Q?Gr=FC=DFe?= from =?UTF-8?Q?K=C3=B6ln?=',
      'Re: Grüße from Köln',
    ],
    ['a malformed word stays as it was', '=?UTF-8?X?abc?=', '=?UTF-8?X?abc?='],
    ['control characters become spaces', 'a\tb\x00c\x1bd', 'a b c d'],
    ['C1 controls become spaces', 'a\u0085b\u009bc', 'a b c'],
    ['bidirectional controls become spaces', 'invoice\u202Efdp.exe', 'invoice fdp.exe'],
    ['runs of white space become one', '  a   b  ', 'a b'],
  ];
  for (const [name, raw, subject] of rows) {
    it(name, async () => {
      assert.equal(await historySubject(raw), subject);
    });
  }

  it(`cuts at ${String(SUBJECT_MAX_LENGTH)} characters, never inside one`, async () => {
    const cut = await historySubject('€'.repeat(SUBJECT_MAX_LENGTH + 10));
    assert.equal(Array.from(cut).length, SUBJECT_MAX_LENGTH);
    assert.ok(cut.endsWith('€'));
  });
});
