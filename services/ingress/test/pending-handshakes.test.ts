import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createPendingHandshakes } from '../src/pending-handshakes.ts';

describe('pending handshakes per peer', () => {
  it('admits up to the limit per peer, then refuses; other peers are not affected', () => {
    const pending = createPendingHandshakes(2);
    assert.ok(pending.admit('192.0.2.1'));
    assert.ok(pending.admit('192.0.2.1'));
    assert.equal(pending.admit('192.0.2.1'), undefined);
    assert.ok(pending.admit('192.0.2.2'));
    assert.equal(pending.count('192.0.2.1'), 2);
    assert.equal(pending.count('192.0.2.2'), 1);
  });

  it('a release frees one slot however often it is called (handshake done, then close)', () => {
    const pending = createPendingHandshakes(2);
    const first = pending.admit('192.0.2.1');
    const second = pending.admit('192.0.2.1');
    assert.ok(first && second);
    first();
    first();
    assert.equal(pending.count('192.0.2.1'), 1);
    assert.ok(pending.admit('192.0.2.1'));
    assert.equal(pending.admit('192.0.2.1'), undefined);
  });

  it('a refused socket holds no slot; a peer with none pending is forgotten', () => {
    const pending = createPendingHandshakes(1);
    const release = pending.admit('2001:db8::7');
    assert.ok(release);
    assert.equal(pending.admit('2001:db8::7'), undefined);
    release();
    assert.equal(pending.count('2001:db8::7'), 0);
    assert.ok(pending.admit('2001:db8::7'));
  });
});
