import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import {
  ConfigError,
  findConfigWarnings,
  formatConfig,
  loadAllInOneConfig,
  loadIngressConfig,
  loadSenderConfig,
  type Environment,
} from '../src/index.ts';
import { InvalidValueError } from '../src/errors.ts';
import {
  bridgeCoveringNetworks,
  isLoopbackPublish,
  networkCovers,
  networksHolding,
  parsePublishAddress,
  parseRelayNetworks,
} from '../src/relay-trust.ts';
import { FIXTURES, createTempDir } from './temp-files.ts';

// docs/adr/001: docker-compose.yml trusts the container bridges only while SMTP is
// published on loopback; explicit bridge ranges published beyond it are refused.

const temp = createTempDir();
after(() => {
  temp.remove();
});

/** A /proc/net/route whose default route goes through `gateway` (hex, little-endian). */
function routeFile(name: string, gateway: string): string {
  return temp.file(
    name,
    'Iface\tDestination\tGateway \tFlags\tRefCnt\tUse\tMetric\tMask\t\tMTU\tWindow\tIRTT\n' +
      `eth0\t00000000\t${gateway}\t0003\t0\t0\t0\t00000000\t0\t0\t0\n`,
  );
}

// No default route: these tests do not depend on the routing table of the machine they run on.
const HOST = {
  hostname: 'relay.example.com',
  routeFile: temp.file('no-default-route', 'Iface\tDestination\tGateway \tFlags\tMetric\tMask\n'),
};
const BRIDGES = ['172.16.0.0/12', '10.89.0.0/16'];

function problemsOf(load: () => unknown): readonly string[] {
  try {
    load();
  } catch (error) {
    if (error instanceof ConfigError) return error.problems;
    throw error;
  }
  return [];
}

describe('parsePublishAddress and isLoopbackPublish (SMTP_PUBLISHED_ON)', () => {
  const VALID: readonly (readonly [string, boolean])[] = [
    ['127.0.0.1:2525', true],
    ['127.1.2.3:25', true],
    ['127.0.0.1:', true], // a random host port, still on loopback
    ['127.0.0.1:2525-2530', true],
    ['[::1]:2525', true],
    ['[::ffff:127.0.0.1]:2525', true],
    ['2525', false], // every interface
    ['0.0.0.0:2525', false],
    ['[::]:2525', false],
    ['192.0.2.10:2525', false],
    ['[2001:db8::25]:2525', false],
  ];
  for (const [text, loopback] of VALID) {
    it(`${text}: ${loopback ? 'loopback' : 'beyond this machine'}`, () => {
      assert.equal(parsePublishAddress(text), text);
      assert.equal(isLoopbackPublish(text), loopback);
    });
  }
  for (const text of ['localhost:2525', '::1:2525', '127.0.0.1:smtp', '10.1:2525', 'x']) {
    it(`refuses ${text}`, () => {
      assert.throws(
        () => parsePublishAddress(text),
        (error: unknown) =>
          error instanceof InvalidValueError &&
          /its SMTP_PUBLISH/.test(error.reasons[0] ?? '') &&
          error.reasons[0]?.includes(text) === true,
      );
    });
  }
});

describe('parseRelayNetworks (SMTP_RELAY_NETWORKS)', () => {
  it('reads the keyword apart from the networks, in any case and position', () => {
    assert.deepEqual(parseRelayNetworks('container-bridges'), {
      networks: [],
      containerBridges: true,
    });
    assert.deepEqual(parseRelayNetworks('10.0.0.7, Container-Bridges 192.168.1.0/24'), {
      networks: ['10.0.0.7/32', '192.168.1.0/24'],
      containerBridges: true,
    });
    assert.deepEqual(parseRelayNetworks(''), { networks: [], containerBridges: false });
  });

  it('reports a bad entry as before', () => {
    assert.throws(() => parseRelayNetworks('container-bridges, lan'), /got "lan"/);
  });
});

describe('networkCovers and bridgeCoveringNetworks', () => {
  const ROWS: readonly (readonly [string, string, boolean])[] = [
    ['172.16.0.0/12', '172.16.0.0/12', true],
    ['172.0.0.0/8', '172.16.0.0/12', true],
    ['0.0.0.0/0', '10.89.0.0/16', true],
    ['10.0.0.0/8', '10.89.0.0/16', true],
    ['::ffff:a00:0/104', '10.89.0.0/16', true], // ::ffff:10.0.0.0/104, read as 10.0.0.0/8
    ['172.17.0.0/16', '172.16.0.0/12', false],
    ['172.20.5.0/24', '172.16.0.0/12', false],
    ['::/0', '10.89.0.0/16', false],
  ];
  for (const [outer, inner, covers] of ROWS) {
    it(`${outer} ${covers ? 'covers' : 'does not cover'} ${inner}`, () => {
      assert.equal(networkCovers(outer, inner), covers);
    });
  }

  it('picks the entries that hold a whole bridge range', () => {
    assert.deepEqual(
      bridgeCoveringNetworks(['192.168.10.0/24', '10.0.0.0/8', '172.20.5.0/24', '172.16.0.0/12']),
      ['10.0.0.0/8', '172.16.0.0/12'],
    );
  });
});

describe('start-up refusal: bridge ranges trusted while SMTP is published beyond loopback', () => {
  const REFUSED: readonly Environment[] = [
    // the old compose default, kept in a .env, with SMTP_PUBLISH=2525
    { SMTP_RELAY_NETWORKS: '172.16.0.0/12,10.89.0.0/16', SMTP_PUBLISHED_ON: '2525' },
    {
      SMTP_RELAY_NETWORKS: '10.0.0.0/8,172.16.0.0/12,192.168.0.0/16',
      SMTP_PUBLISHED_ON: '0.0.0.0:25',
    },
    { SMTP_RELAY_NETWORKS: '10.0.0.0/8', SMTP_PUBLISHED_ON: '192.0.2.10:2525' },
    // AUTH does not make it safe: trusted clients relay without it
    {
      SMTP_RELAY_NETWORKS: '172.16.0.0/12',
      SMTP_PUBLISHED_ON: '[::]:2525',
      SMTP_AUTH_FILE: FIXTURES.cert,
      SMTP_ALLOW_INSECURE_AUTH: 'true',
    },
  ];
  for (const env of REFUSED) {
    it(`refuses ${JSON.stringify(env)}`, () => {
      const problems = problemsOf(() => loadIngressConfig(env, HOST));
      assert.equal(problems.length, 1, problems.join('\n'));
      assert.match(
        problems[0] ?? '',
        /^SMTP_RELAY_NETWORKS: trusting .* trusts the container bridge ranges \(172\.16\.0\.0\/12, 10\.89\.0\.0\/16\), and SMTP is published beyond this machine \(SMTP_PUBLISHED_ON=.*, from SMTP_PUBLISH\): clients forwarded by Docker's proxy .* anyone who reaches the port could relay without AUTH/,
      );
    });
  }

  it('names each covering entry once, also for all-in-one and the CLI', () => {
    const env = { SMTP_RELAY_NETWORKS: '10.0.0.0/8', SMTP_PUBLISHED_ON: '2525' };
    const problems = problemsOf(() =>
      loadAllInOneConfig({ ...env, SMART_HOST: 'smtp.example.com' }, HOST),
    );
    assert.equal(problems.length, 1, problems.join('\n'));
    assert.match(problems[0] ?? '', /^SMTP_RELAY_NETWORKS: trusting 10\.0\.0\.0\/8 trusts/);
  });

  // The PROXY protocol: the proxy names the client, so who may send the header matters.
  const PROXY_ROWS: readonly (readonly [Environment, string])[] = [
    [
      { SMTP_PROXY_PROTOCOL: 'true' },
      'SMTP_PROXY_TRUSTED: required when SMTP_PROXY_PROTOCOL=true: list the load balancer addresses (every connection would be refused)',
    ],
    [
      {
        SMTP_PROXY_PROTOCOL: 'true',
        SMTP_PROXY_TRUSTED: '172.16.0.0/12',
        SMTP_PUBLISHED_ON: '2525',
      },
      "SMTP_PROXY_TRUSTED: trusting 172.16.0.0/12 as PROXY protocol senders trusts the container bridge ranges (172.16.0.0/12, 10.89.0.0/16), and SMTP is published beyond this machine (SMTP_PUBLISHED_ON=2525): anyone forwarded by Docker's proxy could claim any client address. List only the load balancer's addresses",
    ],
  ];
  for (const [env, expected] of PROXY_ROWS) {
    it(`refuses ${JSON.stringify(env)}`, () => {
      assert.deepEqual(
        problemsOf(() => loadIngressConfig(env, HOST)),
        [expected],
      );
    });
  }

  const ALLOWED: readonly Environment[] = [
    // the documented LAN set-up, also with a LAN inside 172.16.0.0/12
    { SMTP_RELAY_NETWORKS: '192.168.10.0/24', SMTP_PUBLISHED_ON: '2525' },
    { SMTP_RELAY_NETWORKS: '172.20.5.0/24,fd00:1::/64', SMTP_PUBLISHED_ON: '192.0.2.10:2525' },
    // on loopback, the bridges stand for this machine only
    { SMTP_RELAY_NETWORKS: '172.16.0.0/12', SMTP_PUBLISHED_ON: '127.0.0.1:2525' },
    // the keyword beyond loopback trusts nothing (a warning, below)
    { SMTP_RELAY_NETWORKS: 'container-bridges', SMTP_PUBLISHED_ON: '2525' },
    // the PROXY protocol gives the client's own address
    {
      SMTP_RELAY_NETWORKS: '10.0.0.0/8',
      SMTP_PUBLISHED_ON: '2525',
      SMTP_PROXY_PROTOCOL: 'true',
      SMTP_PROXY_TRUSTED: '192.0.2.1',
    },
    // not started by docker-compose.yml (Kubernetes, a VM): no opinion
    { SMTP_RELAY_NETWORKS: '10.0.0.0/8' },
  ];
  for (const env of ALLOWED) {
    it(`allows ${JSON.stringify(env)}`, () => {
      assert.deepEqual(
        problemsOf(() => loadIngressConfig(env, HOST)),
        [],
      );
    });
  }
});

describe("start-up refusal: the container's default gateway trusted while SMTP is published beyond loopback", () => {
  // Docker's proxy gives every client it forwards the gateway of the container network.
  const COMPOSE = { hostname: HOST.hostname, routeFile: routeFile('compose', '010012AC') };
  const POOL_192 = { hostname: HOST.hostname, routeFile: routeFile('pool-192', '0110A8C0') };
  const PODMAN = { hostname: HOST.hostname, routeFile: routeFile('podman', '0100590A') };
  type Options = typeof COMPOSE;

  it('networksHolding picks the entries that hold an address', () => {
    assert.deepEqual(
      networksHolding(['192.168.1.0/24', '172.18.0.0/16', '172.18.0.1/32', '::/0'], '172.18.0.1'),
      ['172.18.0.0/16', '172.18.0.1/32'],
    );
    assert.deepEqual(networksHolding(['::ffff:ac12:0/112'], '172.18.0.1'), ['::ffff:ac12:0/112']);
    assert.deepEqual(networksHolding(['fd00::/8'], 'fd00::1'), ['fd00::/8']);
  });

  const REFUSED: readonly (readonly [Environment, Options, string, string])[] = [
    // the Compose network itself, e.g. the peer address a user saw in the log
    [
      { SMTP_RELAY_NETWORKS: '172.18.0.0/16', SMTP_PUBLISHED_ON: '2525' },
      COMPOSE,
      '172.18.0.0/16',
      '172.18.0.1',
    ],
    [
      { SMTP_RELAY_NETWORKS: '172.18.0.1', SMTP_PUBLISHED_ON: '0.0.0.0:2525' },
      COMPOSE,
      '172.18.0.1/32',
      '172.18.0.1',
    ],
    [
      { SMTP_RELAY_NETWORKS: '192.168.1.0/24,::ffff:ac12:0/112', SMTP_PUBLISHED_ON: '[::]:2525' },
      COMPOSE,
      '::ffff:ac12:0/112',
      '172.18.0.1',
    ],
    // "all of RFC 1918" once Docker has moved on to its 192.168.0.0/16 pool
    [
      { SMTP_RELAY_NETWORKS: '192.168.0.0/16', SMTP_PUBLISHED_ON: '192.0.2.10:2525' },
      POOL_192,
      '192.168.0.0/16',
      '192.168.16.1',
    ],
    [
      { SMTP_RELAY_NETWORKS: '10.89.0.0/24', SMTP_PUBLISHED_ON: '2525' },
      PODMAN,
      '10.89.0.0/24',
      '10.89.0.1',
    ],
    // AUTH does not make it safe: trusted clients relay without it
    [
      {
        SMTP_RELAY_NETWORKS: '172.18.0.0/16',
        SMTP_PUBLISHED_ON: '2525',
        SMTP_AUTH_FILE: FIXTURES.cert,
        SMTP_ALLOW_INSECURE_AUTH: 'true',
      },
      COMPOSE,
      '172.18.0.0/16',
      '172.18.0.1',
    ],
  ];
  for (const [env, options, network, gateway] of REFUSED) {
    it(`refuses ${JSON.stringify(env)} with the gateway ${gateway}`, () => {
      const problems = problemsOf(() => loadIngressConfig(env, options));
      assert.deepEqual(problems, [
        `SMTP_RELAY_NETWORKS: trusting ${network} trusts ${gateway}, this container's default gateway, and SMTP is published beyond this machine (SMTP_PUBLISHED_ON=${env['SMTP_PUBLISHED_ON'] ?? ''}, from SMTP_PUBLISH): clients forwarded by Docker's proxy (IPv6, Docker Desktop) come from that address, so anyone who reaches the port could relay without AUTH. List only your devices' networks and let other clients use AUTH, publish SMTP on 127.0.0.1, or give ingress the clients' own addresses (SMTP_PROXY_PROTOCOL behind a load balancer, or network_mode: host). If ingress runs with network_mode: host or macvlan, ${gateway} is your router and Docker publishes nothing: then set SMTP_PUBLISHED_ON to empty`,
      ]);
    });
  }

  it('also for all-in-one', () => {
    const env = { SMTP_RELAY_NETWORKS: '172.18.0.0/16', SMTP_PUBLISHED_ON: '2525' };
    const problems = problemsOf(() =>
      loadAllInOneConfig({ ...env, SMART_HOST: 'smtp.example.com' }, COMPOSE),
    );
    assert.equal(problems.length, 1, problems.join('\n'));
    assert.match(
      problems[0] ?? '',
      /^SMTP_RELAY_NETWORKS: trusting 172\.18\.0\.0\/16 trusts 172\.18\.0\.1, /,
    );
  });

  it('names a whole bridge range once, by the bridge rule, and the rest by this one', () => {
    const env = { SMTP_RELAY_NETWORKS: '172.16.0.0/12,172.18.0.0/16', SMTP_PUBLISHED_ON: '2525' };
    const problems = problemsOf(() => loadIngressConfig(env, COMPOSE));
    assert.equal(problems.length, 2, problems.join('\n'));
    assert.match(
      problems[0] ?? '',
      /^SMTP_RELAY_NETWORKS: trusting 172\.16\.0\.0\/12 trusts the container bridge ranges/,
    );
    assert.match(
      problems[1] ?? '',
      /^SMTP_RELAY_NETWORKS: trusting 172\.18\.0\.0\/16 trusts 172\.18\.0\.1, /,
    );
    assert.deepEqual(
      problemsOf(() =>
        loadIngressConfig(
          { SMTP_RELAY_NETWORKS: '172.16.0.0/12', SMTP_PUBLISHED_ON: '2525' },
          COMPOSE,
        ),
      ).length,
      1,
    );
  });

  it('refuses the gateway among the PROXY protocol senders', () => {
    const env = {
      SMTP_PUBLISHED_ON: '2525',
      SMTP_PROXY_PROTOCOL: 'true',
      SMTP_PROXY_TRUSTED: '172.18.0.0/16',
      SMTP_RELAY_NETWORKS: '172.18.0.0/16',
    };
    assert.deepEqual(
      problemsOf(() => loadIngressConfig(env, COMPOSE)),
      [
        "SMTP_PROXY_TRUSTED: trusting 172.18.0.0/16 as PROXY protocol senders trusts 172.18.0.1, this container's default gateway, and SMTP is published beyond this machine (SMTP_PUBLISHED_ON=2525, from SMTP_PUBLISH): anyone forwarded by Docker's proxy comes from that address and could claim any client address. List only the load balancer's addresses. If ingress runs with network_mode: host or macvlan, 172.18.0.1 is your router and Docker publishes nothing: then set SMTP_PUBLISHED_ON to empty",
      ],
    );
  });

  const ALLOWED: readonly (readonly [string, Environment, Options | typeof HOST])[] = [
    // the devices' LAN, also one inside Docker's ranges: only the gateway counts
    ['a LAN', { SMTP_RELAY_NETWORKS: '192.168.1.0/24', SMTP_PUBLISHED_ON: '2525' }, COMPOSE],
    [
      'a LAN in 172.16.0.0/12',
      { SMTP_RELAY_NETWORKS: '172.20.5.0/24', SMTP_PUBLISHED_ON: '2525' },
      COMPOSE,
    ],
    [
      'a LAN in 192.168.0.0/16',
      { SMTP_RELAY_NETWORKS: '192.168.1.0/24', SMTP_PUBLISHED_ON: '2525' },
      POOL_192,
    ],
    // on loopback only this machine reaches the port
    [
      'on loopback',
      { SMTP_RELAY_NETWORKS: '172.18.0.0/16', SMTP_PUBLISHED_ON: '127.0.0.1:2525' },
      COMPOSE,
    ],
    // not published by docker-compose.yml (network_mode: host, Kubernetes, a VM)
    ['not published by Compose', { SMTP_RELAY_NETWORKS: '172.18.0.0/16' }, COMPOSE],
    // the relay networks see the header's address, and the proxy is not the gateway
    [
      'the PROXY protocol from a load balancer',
      {
        SMTP_RELAY_NETWORKS: '172.18.0.0/16',
        SMTP_PUBLISHED_ON: '2525',
        SMTP_PROXY_PROTOCOL: 'true',
        SMTP_PROXY_TRUSTED: '198.51.100.7',
      },
      COMPOSE,
    ],
    // no /proc/net/route (not Linux), no default route
    [
      'no routing table',
      { SMTP_RELAY_NETWORKS: '172.18.0.0/16', SMTP_PUBLISHED_ON: '2525' },
      { hostname: HOST.hostname, routeFile: temp.missing('route') },
    ],
    ['no default route', { SMTP_RELAY_NETWORKS: '172.18.0.0/16', SMTP_PUBLISHED_ON: '2525' }, HOST],
  ];
  for (const [title, env, options] of ALLOWED) {
    it(`allows ${title}: ${JSON.stringify(env)}`, () => {
      assert.deepEqual(
        problemsOf(() => loadIngressConfig(env, options)),
        [],
      );
    });
  }
});

describe('start-up warnings about whom container-bridges trusts', () => {
  function warningsOf(env: Environment): string[] {
    return findConfigWarnings(env, loadIngressConfig(env, HOST));
  }

  it('says nothing out of the box (published on loopback)', () => {
    assert.deepEqual(
      warningsOf({ SMTP_RELAY_NETWORKS: 'container-bridges', SMTP_PUBLISHED_ON: '127.0.0.1:2525' }),
      [],
    );
  });

  const WARNED: readonly (readonly [string, Environment, RegExp])[] = [
    [
      'published beyond loopback',
      { SMTP_RELAY_NETWORKS: 'container-bridges', SMTP_PUBLISHED_ON: '0.0.0.0:2525' },
      /^SMTP_RELAY_NETWORKS: container-bridges trusts nothing here, because SMTP is published beyond this machine \(SMTP_PUBLISHED_ON=0\.0\.0\.0:2525, from SMTP_PUBLISH\); clients on this machine must now use AUTH/,
    ],
    [
      'not run by docker-compose.yml',
      { SMTP_RELAY_NETWORKS: 'container-bridges' },
      /^SMTP_RELAY_NETWORKS: container-bridges trusts nothing here, because SMTP_PUBLISHED_ON is not set/,
    ],
    [
      'SMTPS, which an override file may publish',
      {
        SMTP_RELAY_NETWORKS: 'container-bridges',
        SMTP_PUBLISHED_ON: '127.0.0.1:2525',
        SMTPS_PORT: '4650',
        TLS_CERT_FILE: FIXTURES.cert,
        TLS_KEY_FILE: FIXTURES.key,
      },
      /^SMTP_RELAY_NETWORKS: container-bridges trusts nothing here, because SMTPS_PORT is set/,
    ],
    [
      'explicit bridge ranges with SMTPS',
      {
        SMTP_RELAY_NETWORKS: '172.16.0.0/12',
        SMTP_PUBLISHED_ON: '127.0.0.1:2525',
        SMTPS_PORT: '4650',
        TLS_CERT_FILE: FIXTURES.cert,
        TLS_KEY_FILE: FIXTURES.key,
      },
      /^SMTP_RELAY_NETWORKS: trusting 172\.16\.0\.0\/12 trusts the container bridge ranges .*if SMTPS_PORT is published beyond this machine/,
    ],
  ];
  for (const [title, env, pattern] of WARNED) {
    it(`warns: ${title}`, () => {
      const warnings = warningsOf(env).filter((w) => !w.includes('no client can relay'));
      assert.equal(warnings.length, 1, warnings.join('\n'));
      assert.match(warnings[0] ?? '', pattern);
    });
  }

  it('and then also says that nobody can relay without AUTH', () => {
    const warnings = warningsOf({
      SMTP_RELAY_NETWORKS: 'container-bridges',
      SMTP_PUBLISHED_ON: '2525',
    });
    assert.ok(
      warnings.some((w) => /no client can relay/.test(w)),
      warnings.join('\n'),
    );
  });

  it('config shows the networks in effect and where SMTP is published', () => {
    const shown = (env: Environment) =>
      formatConfig(loadIngressConfig(env, HOST))
        .split('\n')
        .filter((line) => /^SMTP_(RELAY_NETWORKS|PUBLISHED_ON)=/.test(line));
    assert.deepEqual(
      shown({ SMTP_RELAY_NETWORKS: 'container-bridges', SMTP_PUBLISHED_ON: '127.0.0.1:2525' }),
      [`SMTP_RELAY_NETWORKS=${BRIDGES.join(',')}`, 'SMTP_PUBLISHED_ON=127.0.0.1:2525'],
    );
    assert.deepEqual(
      shown({ SMTP_RELAY_NETWORKS: 'container-bridges', SMTP_PUBLISHED_ON: '2525' }),
      ['SMTP_RELAY_NETWORKS=<unset>', 'SMTP_PUBLISHED_ON=2525'],
    );
  });
});

describe('REDIS_PASSWORD', () => {
  it('is folded into the URL every connection uses, and shown redacted', () => {
    const config = loadSenderConfig(
      { SMART_HOST: 'smtp.example.com', REDIS_URL: 'redis://redis:6379', REDIS_PASSWORD: 'x y' },
      HOST,
    );
    assert.equal(config.redisUrl, 'redis://:x%20y@redis:6379');
    const text = formatConfig(config);
    assert.match(text, /^REDIS_URL=redis:\/\/:<redacted>@redis:6379$/m);
    assert.match(text, /^REDIS_PASSWORD=<redacted>$/m);
    assert.doesNotMatch(text, /x y|x%20y/);
  });

  it('cannot be set together with a password in REDIS_URL', () => {
    const env = { REDIS_URL: 'redis://:a@redis:6379', REDIS_PASSWORD: 'b' };
    for (const load of [
      () => loadIngressConfig(env, HOST),
      () => loadAllInOneConfig({ ...env, SMART_HOST: 'smtp.example.com' }, HOST),
    ]) {
      const problems = problemsOf(load);
      assert.equal(problems.length, 1, problems.join('\n'));
      assert.match(problems[0] ?? '', /^REDIS_PASSWORD: REDIS_URL holds a password too/);
    }
  });
});
