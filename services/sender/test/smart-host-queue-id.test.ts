import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { QUEUE_ID_FORMATS, smartHostQueueId } from '../src/smart-host-queue-id.ts';

// A row per reply format of smart-host-queue-id.ts, with replies as the providers send them.
const ROWS: readonly [format: string, reply: string, id: string | null][] = [
  ['postfix', '250 2.0.0 Ok: queued as 4Z7Q1S2kJ8z3', '4Z7Q1S2kJ8z3'],
  [
    'google',
    '250 2.0.0 OK  1764840000 d2e1a72fcca58-7258a8f6b7bsi123456ad.17 - gsmtp',
    'd2e1a72fcca58-7258a8f6b7bsi123456ad.17',
  ],
  [
    'exchange',
    '250 2.0.0 OK <MW4PR04MB7379ABCDEF0123456789@MW4PR04MB7379.namprd04.prod.outlook.com> [Hostname=MW4PR04MB7379.namprd04.prod.outlook.com]',
    'MW4PR04MB7379ABCDEF0123456789@MW4PR04MB7379.namprd04.prod.outlook.com',
  ],
  [
    'exchange',
    '250 2.6.0 <a1b2c3@ex01.corp.example> [InternalId=1234567890, Hostname=EX01] Queued mail for delivery',
    'a1b2c3@ex01.corp.example',
  ],
  [
    'ses',
    '250 Ok 0100019388b5c8a2-5e6f7a8b-1c2d-4e5f-9a8b-7c6d5e4f3a2b-000000',
    '0100019388b5c8a2-5e6f7a8b-1c2d-4e5f-9a8b-7c6d5e4f3a2b-000000',
  ],
  ['exim', '250 OK id=1tIqkV-000abc-2x', '1tIqkV-000abc-2x'],
  ['sendmail', '250 2.0.0 4B4E1x1A012345 Message accepted for delivery', '4B4E1x1A012345'],
  ['generic', '250 2.0.0 Accepted, queue-id: 7f3a9c21', '7f3a9c21'],
  ['none', '250 Great success', null],
  ['none', '250 2.0.0 OK', null],
];

describe('smartHostQueueId: the smart host\u2019s id of a message, from its reply', () => {
  for (const [format, reply, id] of ROWS) {
    it(`${format}: ${reply}`, () => {
      assert.equal(smartHostQueueId(reply), id);
    });
  }

  it('has a row for every format', () => {
    const tested = new Set(ROWS.map(([format]) => format));
    for (const { name } of QUEUE_ID_FORMATS) assert.ok(tested.has(name), name);
  });

  it('cuts an id at 200 characters', () => {
    assert.equal(smartHostQueueId(`250 Ok: queued as ${'A'.repeat(300)}`)?.length, 200);
  });
});
