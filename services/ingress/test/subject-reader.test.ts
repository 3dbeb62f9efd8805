import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createSubjectReader } from '../src/filter/subject-reader.ts';

// The Subject is read from the header section as it streams, in whatever pieces
// the client's bytes arrive: every case is also fed one byte at a time.

const CASES: readonly { name: string; message: string; subject: string; limits?: object }[] = [
  {
    name: 'a simple Subject',
    message: 'From: a@b\r\nSubject: Hello\r\n\r\nbody',
    subject: 'Hello',
  },
  {
    name: 'name in any case, blanks before the colon',
    message: 'SUBJECT  : Hi there\r\n\r\n',
    subject: 'Hi there',
  },
  {
    name: 'a folded Subject is unfolded',
    message: 'Subject: part one\r\n  part two\r\n\tpart three\r\nTo: x@y\r\n\r\n',
    subject: 'part one  part two\tpart three',
  },
  { name: 'bare LF line ends', message: 'Subject: lf\n more\nTo: x\n\nbody', subject: 'lf more' },
  { name: 'no Subject header', message: 'From: a@b\r\nTo: c@d\r\n\r\nSubject: body', subject: '' },
  { name: 'an empty Subject', message: 'Subject:\r\n\r\n', subject: '' },
  { name: 'the first of two', message: 'Subject: one\r\nSubject: two\r\n\r\n', subject: 'one' },
  {
    name: 'a header whose name starts with Subject is not it',
    message: 'Subjects: no\r\nX-Subject: no\r\nSubject: yes\r\n\r\n',
    subject: 'yes',
  },
  {
    name: 'a continuation of another header is not the Subject',
    message: 'To: a@b,\r\n Subject: no\r\nSubject: yes\r\n\r\n',
    subject: 'yes',
  },
  { name: 'no header section at all', message: '\r\nSubject: body', subject: '' },
  { name: 'UTF-8 as sent', message: 'Subject: Grüße\r\n\r\n', subject: 'Grüße' },
  {
    name: 'encoded words are matched as they are',
    message: 'Subject: =?UTF-8?B?SGk=?=\r\n\r\n',
    subject: '=?UTF-8?B?SGk=?=',
  },
  {
    name: 'a Subject line longer than the first look at a line',
    message: `Subject: ${'x'.repeat(300)}\r\n\r\n`,
    subject: 'x'.repeat(300),
  },
  {
    name: 'the kept part of a huge Subject is bounded',
    message: `Subject: ${'y'.repeat(5000)}\r\n\r\n`,
    subject: 'y'.repeat(99),
    limits: { maxSubjectBytes: 100 },
  },
  {
    name: 'gives up after maxHeaderBytes of headers',
    message: `X-Pad: ${'p'.repeat(500)}\r\nSubject: too late\r\n\r\n`,
    subject: '',
    limits: { maxHeaderBytes: 256 },
  },
  { name: 'the message ends inside the Subject', message: 'Subject: cut', subject: 'cut' },
];

describe('subject reader', () => {
  for (const { name, message, subject, limits } of CASES) {
    it(name, () => {
      const whole = createSubjectReader(limits);
      whole.push(Buffer.from(message));
      assert.equal(whole.subject(), subject, 'in one chunk');
      const bytewise = createSubjectReader(limits);
      for (const byte of Buffer.from(message)) bytewise.push(Buffer.from([byte]));
      assert.equal(bytewise.subject(), subject, 'byte by byte');
    });
  }
});
