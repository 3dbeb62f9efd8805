import { problem, ruleOn, type CrossFieldRule } from './cross-field-rule.ts';
import {
  CONTAINER_BRIDGES,
  CONTAINER_BRIDGE_NETWORKS,
  bridgeCoveringNetworks,
  containerBridgesRefusal,
  isLoopbackPublish,
  networksHolding,
} from './relay-trust.ts';
import type { IngressFields } from './schemas.ts';
import type { IngressConfig } from './types.ts';

// docs/adr/001: out of the box trust must not survive publishing SMTP beyond this machine.

const ingressRule = ruleOn<IngressFields>();

const BRIDGES = CONTAINER_BRIDGE_NETWORKS.join(', ');

/**
 * Refused at start-up: SMTP published beyond loopback while SMTP_RELAY_NETWORKS names a
 * whole container bridge range. Every client that Docker's userland proxy forwards (IPv6
 * clients, everyone under Docker Desktop) arrives from the bridge's gateway, so that is an
 * open relay whatever AUTH is configured. A LAN's own network (192.168.10.0/24, also one
 * inside 172.16.0.0/12 such as 172.20.5.0/24) is the documented set-up and stays allowed.
 * With the PROXY protocol, the client address comes from the load balancer instead.
 */
export const TRUST_RULES: readonly CrossFieldRule<IngressFields>[] = [
  // With the PROXY protocol a trusted proxy names the client: a bridge range in
  // SMTP_PROXY_TRUSTED lets anyone forwarded by Docker claim any address.
  ingressRule(
    ['SMTP_PUBLISHED_ON', 'SMTP_PROXY_PROTOCOL', 'SMTP_PROXY_TRUSTED'],
    ({ SMTP_PUBLISHED_ON: publishedOn, SMTP_PROXY_PROTOCOL, SMTP_PROXY_TRUSTED }) => {
      if (!SMTP_PROXY_PROTOCOL) return [];
      if (SMTP_PROXY_TRUSTED.length === 0) {
        return problem(
          'SMTP_PROXY_TRUSTED',
          'required when SMTP_PROXY_PROTOCOL=true: list the load balancer addresses (every connection would be refused)',
        );
      }
      if (publishedOn === undefined || isLoopbackPublish(publishedOn)) return [];
      const covering = bridgeCoveringNetworks(SMTP_PROXY_TRUSTED);
      return covering.length === 0
        ? []
        : problem(
            'SMTP_PROXY_TRUSTED',
            `trusting ${covering.join(', ')} as PROXY protocol senders trusts the container bridge ranges (${BRIDGES}), and SMTP is published beyond this machine (SMTP_PUBLISHED_ON=${publishedOn}): anyone forwarded by Docker's proxy could claim any client address. List only the load balancer's addresses`,
          );
    },
  ),
  ingressRule(
    ['SMTP_RELAY_NETWORKS', 'SMTP_PUBLISHED_ON', 'SMTP_PROXY_PROTOCOL'],
    ({ SMTP_RELAY_NETWORKS: setting, SMTP_PUBLISHED_ON: publishedOn, SMTP_PROXY_PROTOCOL }) => {
      if (publishedOn === undefined || isLoopbackPublish(publishedOn) || SMTP_PROXY_PROTOCOL) {
        return [];
      }
      const covering = bridgeCoveringNetworks(setting.networks);
      if (covering.length === 0) return [];
      return problem(
        'SMTP_RELAY_NETWORKS',
        `trusting ${covering.join(', ')} trusts the container bridge ranges (${BRIDGES}), and SMTP is published beyond this machine (SMTP_PUBLISHED_ON=${publishedOn}, from SMTP_PUBLISH): clients forwarded by Docker's proxy (IPv6, Docker Desktop) come from the bridge's gateway, so anyone who reaches the port could relay without AUTH. List only your devices' networks (e.g. 192.168.10.0/24), or publish SMTP on 127.0.0.1`,
      );
    },
  ),
];

/**
 * Refused at start-up too: SMTP published beyond loopback while a network trusted without
 * AUTH holds this container's default gateway, such as the Compose network itself
 * (172.18.0.0/16) or a range around Docker's 192.168.0.0/16 pool. That is the address
 * Docker's proxy gives every client it forwards, so it is the same open relay as a whole
 * bridge range (TRUST_RULES), which keeps reporting those. Only the gateway is compared,
 * not the ranges it lies in: a LAN inside 172.16.0.0/12 or 192.168.0.0/16 stays allowed.
 * With network_mode: host or macvlan the gateway is the LAN's router, which a container
 * cannot tell from a bridge's: there Docker publishes nothing, and SMTP_PUBLISHED_ON is
 * to be emptied. `readGateway` (the routing table) is read only when the rest applies.
 */
export function gatewayTrustRule(
  readGateway: () => string | undefined,
): CrossFieldRule<IngressFields> {
  return ingressRule(
    ['SMTP_RELAY_NETWORKS', 'SMTP_PUBLISHED_ON', 'SMTP_PROXY_PROTOCOL', 'SMTP_PROXY_TRUSTED'],
    ({ SMTP_RELAY_NETWORKS: setting, SMTP_PUBLISHED_ON: publishedOn, ...proxy }) => {
      if (publishedOn === undefined || isLoopbackPublish(publishedOn)) return [];
      // With the PROXY protocol the relay networks see the header's address, and the
      // trusted proxies are the ones the gateway must not be among.
      const trusted = proxy.SMTP_PROXY_PROTOCOL ? proxy.SMTP_PROXY_TRUSTED : setting.networks;
      const covering = new Set(bridgeCoveringNetworks(trusted));
      const candidates = trusted.filter((network) => !covering.has(network));
      if (candidates.length === 0) return [];
      const gateway = readGateway();
      if (gateway === undefined) return [];
      const holding = networksHolding(candidates, gateway);
      if (holding.length === 0) return [];
      const published = `SMTP is published beyond this machine (SMTP_PUBLISHED_ON=${publishedOn}, from SMTP_PUBLISH)`;
      const hostNetwork = `If ingress runs with network_mode: host or macvlan, ${gateway} is your router and Docker publishes nothing: then set SMTP_PUBLISHED_ON to empty`;
      if (proxy.SMTP_PROXY_PROTOCOL) {
        return problem(
          'SMTP_PROXY_TRUSTED',
          `trusting ${holding.join(', ')} as PROXY protocol senders trusts ${gateway}, this container's default gateway, and ${published}: anyone forwarded by Docker's proxy comes from that address and could claim any client address. List only the load balancer's addresses. ${hostNetwork}`,
        );
      }
      return problem(
        'SMTP_RELAY_NETWORKS',
        `trusting ${holding.join(', ')} trusts ${gateway}, this container's default gateway, and ${published}: clients forwarded by Docker's proxy (IPv6, Docker Desktop) come from that address, so anyone who reaches the port could relay without AUTH. List only your devices' networks and let other clients use AUTH, publish SMTP on 127.0.0.1, or give ingress the clients' own addresses (SMTP_PROXY_PROTOCOL behind a load balancer, or network_mode: host). ${hostNetwork}`,
      );
    },
  );
}

/** Start-up warnings about whom SMTP_RELAY_NETWORKS trusts (never a refusal). */
export function relayTrustWarnings(config: IngressConfig): string[] {
  const warnings: string[] = [];
  if (config.containerBridges) {
    const refusal = containerBridgesRefusal(config.smtpPublishedOn, config.smtpsPort);
    if (refusal !== undefined) {
      warnings.push(
        `SMTP_RELAY_NETWORKS: ${CONTAINER_BRIDGES} trusts nothing here, because ${refusal}; ` +
          `clients on this machine must now use AUTH, or list your devices' networks in SMTP_RELAY_NETWORKS (e.g. 192.168.10.0/24)`,
      );
    }
  }
  // With SMTPS_PORT set the keyword adds nothing, so these are the explicit entries.
  const covering = bridgeCoveringNetworks(config.relayNetworks);
  const { smtpPublishedOn: publishedOn, smtpsPort, proxyProtocol } = config;
  const onLoopback = publishedOn !== undefined && isLoopbackPublish(publishedOn);
  if (covering.length > 0 && onLoopback && smtpsPort !== undefined && !proxyProtocol) {
    warnings.push(
      `SMTP_RELAY_NETWORKS: trusting ${covering.join(', ')} trusts the container bridge ranges (${BRIDGES}); ` +
        "if SMTPS_PORT is published beyond this machine, clients forwarded by Docker's proxy relay without AUTH: list only your devices' networks",
    );
  }
  return warnings;
}
