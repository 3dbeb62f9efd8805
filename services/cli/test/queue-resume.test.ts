import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { describeResume } from '../src/commands/queue.ts';

// What `npx smtp-relay queue resume` prints (the holds themselves:
// packages/queue/test/resume-deliveries.int.test.ts).

describe('queue resume: what it says it did', () => {
  it('no hold', () => {
    assert.equal(describeResume({ queueHold: false, routes: [], promoted: 0 }), 'no hold to end');
  });

  it('the whole queue', () => {
    assert.equal(
      describeResume({ queueHold: true, routes: [], promoted: 0 }),
      'deliveries resumed (queue hold lifted)',
    );
  });

  it('routes, with the messages back in the queue', () => {
    assert.equal(
      describeResume({ queueHold: false, routes: ['isp', 'sales'], promoted: 12 }),
      'deliveries resumed (routes isp, sales: 12 messages back in the queue)',
    );
    assert.equal(
      describeResume({ queueHold: true, routes: ['sales'], promoted: 1 }),
      'deliveries resumed (queue hold lifted; route sales: 1 message back in the queue)',
    );
  });
});
