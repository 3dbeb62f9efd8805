import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createClientTrust } from '../src/client-trust.ts';

// 10.0.0.0/8 stands for SMTP_RELAY_NETWORKS; 10.0.0.2 is the load balancer.
const inRelayNetworks = (address: string): boolean => address.startsWith('10.');

describe('client trust', () => {
  it('a client in the relay networks is trusted, one outside is not', () => {
    const trust = createClientTrust(inRelayNetworks);
    assert.equal(trust.isRelayClient({ id: 's1', remoteAddress: '10.1.2.3' }), true);
    assert.equal(trust.isRelayClient({ id: 's2', remoteAddress: '198.51.100.9' }), false);
  });

  it('a session proxied without a client address is never trusted, until forgotten', () => {
    const trust = createClientTrust(inRelayNetworks);
    const forget = trust.withoutClientAddress('local');
    assert.equal(trust.cameWithoutClientAddress('local'), true);
    assert.equal(trust.isRelayClient({ id: 'local', remoteAddress: '10.0.0.2' }), false);
    // Another session from the same address (a carried one) is not affected.
    assert.equal(trust.isRelayClient({ id: 'other', remoteAddress: '10.0.0.2' }), true);
    forget();
    forget();
    assert.equal(trust.cameWithoutClientAddress('local'), false);
  });
});
