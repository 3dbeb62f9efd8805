import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createConnectionsPerIp } from '../src/abuse/connections-per-ip.ts';

type Step =
  | { open: string; from: string; admitted: boolean }
  | { close: string }
  | { count: string; is: number };

const SCENARIOS: readonly { name: string; max: number; steps: readonly Step[] }[] = [
  {
    name: 'admits up to the limit per address, then refuses',
    max: 2,
    steps: [
      { open: 's1', from: '192.0.2.1', admitted: true },
      { open: 's2', from: '192.0.2.1', admitted: true },
      { open: 's3', from: '192.0.2.1', admitted: false },
      { open: 's4', from: '192.0.2.2', admitted: true },
      { count: '192.0.2.1', is: 2 },
    ],
  },
  {
    name: 'a closed session frees its slot; a refused one never held one',
    max: 1,
    steps: [
      { open: 's1', from: '192.0.2.1', admitted: true },
      { open: 's2', from: '192.0.2.1', admitted: false },
      { close: 's2' },
      { count: '192.0.2.1', is: 1 },
      { close: 's1' },
      { count: '192.0.2.1', is: 0 },
      { open: 's3', from: '192.0.2.1', admitted: true },
    ],
  },
  {
    name: 'closing twice or opening twice counts once',
    max: 2,
    steps: [
      { open: 's1', from: '192.0.2.1', admitted: true },
      { open: 's1', from: '192.0.2.1', admitted: true },
      { count: '192.0.2.1', is: 1 },
      { open: 's2', from: '192.0.2.1', admitted: true },
      { close: 's2' },
      { close: 's2' },
      { count: '192.0.2.1', is: 1 },
      { close: 'never-opened' },
      { count: '192.0.2.1', is: 1 },
    ],
  },
];

describe('connections per IP', () => {
  for (const { name, max, steps } of SCENARIOS) {
    it(name, () => {
      const connections = createConnectionsPerIp(max);
      for (const [index, step] of steps.entries()) {
        const at = `step ${String(index + 1)}`;
        if ('open' in step) assert.equal(connections.open(step.open, step.from), step.admitted, at);
        else if ('close' in step) connections.close(step.close);
        else assert.equal(connections.count(step.count), step.is, at);
      }
    });
  }
});
