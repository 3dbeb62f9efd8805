import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  createSlowClientGuard,
  type SlowClientGuard,
  type SlowClientViolation,
} from '../src/slow-client-guard.ts';

// Time is passed in (ms), so each row is a script of what arrived when and
// what check() says at given moments. Timeout 1000 ms, 1 KiB per window.
const TIMEOUT = 1000;

type Step =
  | readonly ['command', number, string]
  | readonly ['dataStart', number]
  | readonly ['data', number, number]
  | readonly ['dataEnd']
  | readonly ['handshakeStart', number]
  | readonly ['handshakeEnd']
  | readonly ['postpone', number]
  | readonly ['check', number, SlowClientViolation | undefined]
  | readonly ['deadline', number | undefined];

function play(guard: SlowClientGuard, steps: readonly Step[]): void {
  for (const [index, step] of steps.entries()) {
    const at = `step ${String(index)} ${JSON.stringify(step)}`;
    switch (step[0]) {
      case 'command':
        guard.commandBytes(Buffer.from(step[2], 'latin1'), step[1]);
        break;
      case 'dataStart':
        guard.dataStarted(step[1]);
        break;
      case 'data':
        guard.dataBytes(step[2], step[1]);
        break;
      case 'dataEnd':
        guard.dataEnded();
        break;
      case 'handshakeStart':
        guard.handshakeStarted(step[1]);
        break;
      case 'handshakeEnd':
        guard.handshakeEnded();
        break;
      case 'postpone':
        guard.postpone(step[1]);
        break;
      case 'check':
        assert.equal(guard.check(step[1]), step[2], at);
        break;
      case 'deadline':
        assert.equal(guard.nextDeadline(), step[1], at);
        break;
    }
  }
}

describe('slow client guard', () => {
  const rows: readonly { name: string; steps: readonly Step[] }[] = [
    {
      name: 'nothing owed: no deadline',
      steps: [
        ['deadline', undefined],
        ['check', 5000, undefined],
      ],
    },
    {
      name: 'a whole line in one chunk arms nothing',
      steps: [
        ['command', 0, 'EHLO x\r\n'],
        ['deadline', undefined],
        ['check', 5000, undefined],
      ],
    },
    {
      name: 'a line trickled byte by byte fails at its first byte + timeout',
      steps: [
        ['command', 100, 'E'],
        ['command', 500, 'H'],
        ['command', 900, 'L'],
        ['deadline', 1100],
        ['check', 1099, undefined],
        ['command', 1050, 'O'],
        ['check', 1100, 'command-line'],
      ],
    },
    {
      name: 'the clock restarts at the next line, not at each byte',
      steps: [
        ['command', 0, 'NOOP'],
        ['command', 900, '\r\n'],
        ['deadline', undefined],
        ['command', 1500, 'NO'],
        ['deadline', 2500],
        ['check', 2400, undefined],
        ['check', 2500, 'command-line'],
      ],
    },
    {
      name: 'a chunk ending mid-line starts a new line clock at its arrival',
      steps: [
        ['command', 0, 'NOOP\r\nNO'],
        ['deadline', 1000],
        ['command', 800, 'OP\r\nRS'],
        ['deadline', 1800],
        ['check', 1700, undefined],
      ],
    },
    {
      name: 'a bare LF ends a line too (what the parser accepts)',
      steps: [
        ['command', 0, 'NOOP'],
        ['command', 500, '\n'],
        ['check', 2000, undefined],
      ],
    },
    {
      name: 'DATA at 1 KiB per window passes, window after window',
      steps: [
        ['dataStart', 0],
        ['deadline', 1000],
        ['data', 400, 1024],
        ['check', 1000, undefined],
        ['deadline', 2000],
        ['data', 1500, 2048],
        ['check', 2000, undefined],
        ['data', 2900, 1024],
        ['check', 3000, undefined],
      ],
    },
    {
      name: 'DATA under 1 KiB in a window fails',
      steps: [
        ['dataStart', 0],
        ['data', 100, 600],
        ['data', 900, 423],
        ['check', 999, undefined],
        ['check', 1000, 'data-rate'],
      ],
    },
    {
      name: 'a fast first window does not pay for a slow second one',
      steps: [
        ['dataStart', 0],
        ['data', 10, 100_000],
        ['check', 1000, undefined],
        ['data', 1500, 10],
        ['check', 2000, 'data-rate'],
      ],
    },
    {
      name: 'a message that ends in time is fine however small',
      steps: [
        ['dataStart', 0],
        ['data', 900, 30],
        ['dataEnd'],
        ['deadline', undefined],
        ['check', 5000, undefined],
      ],
    },
    {
      name: 'bytes pipelined after DATA are content, not a command line',
      steps: [
        ['command', 0, 'DATA\r\nSubj'],
        ['dataStart', 0],
        ['data', 0, 4096],
        ['check', 1000, undefined],
      ],
    },
    {
      name: 'command bytes while in DATA are ignored',
      steps: [
        ['dataStart', 0],
        ['command', 10, 'xx'],
        ['data', 10, 2000],
        ['check', 1000, undefined],
      ],
    },
    {
      name: 'a STARTTLS handshake must finish within the timeout',
      steps: [
        ['command', 0, 'STARTTLS\r\n'],
        ['handshakeStart', 10],
        ['deadline', 1010],
        ['check', 1010, 'tls-handshake'],
      ],
    },
    {
      name: 'a finished handshake owes nothing',
      steps: [
        ['handshakeStart', 0],
        ['handshakeEnd'],
        ['deadline', undefined],
        ['check', 5000, undefined],
      ],
    },
    {
      name: 'postpone restarts the line clock (the server was busy)',
      steps: [
        ['command', 0, 'MAIL FROM:<a@b>\r\nRC'],
        ['postpone', 900],
        ['check', 1000, undefined],
        ['deadline', 1900],
        ['check', 1900, 'command-line'],
      ],
    },
    {
      name: 'postpone restarts the DATA window with nothing counted',
      steps: [
        ['dataStart', 0],
        ['data', 100, 1000],
        ['postpone', 800],
        ['data', 1000, 1000],
        ['check', 1799, undefined],
        ['check', 1800, 'data-rate'],
      ],
    },
    {
      name: 'postpone arms nothing new',
      steps: [
        ['postpone', 100],
        ['deadline', undefined],
      ],
    },
    {
      name: 'the earliest of line and data clocks is the next deadline',
      steps: [
        ['command', 0, 'DA'],
        ['deadline', 1000],
        ['dataStart', 300],
        ['deadline', 1300],
      ],
    },
  ];
  for (const row of rows) {
    it(row.name, () => {
      play(createSlowClientGuard({ timeoutMs: TIMEOUT, minDataBytes: 1024 }), row.steps);
    });
  }
});
