import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { DEFAULT_ROUTE_NAME, type RouteConfig } from '@smtp-relay/config';
import { newDeliveryJob, type DeliveryJob } from '@smtp-relay/queue';
import { createMemoryRouteLimits } from '@smtp-relay/smart-host';
import {
  deliveryRoutes,
  type DeliveryRoute,
  type DeliveryRoutes,
} from '../src/routes/delivery-route.ts';
import { resolveRoute, routeMatchers, type RoutedMessage } from '../src/routes/resolve-route.ts';
import { createManualClock } from './fakes/manual-clock.ts';
import { createMemoryHold } from './fakes/memory-hold.ts';
import { routeConfig } from './fakes/route-config.ts';
import { createScriptedSmartHostClient } from './fakes/scripted-smart-host-client.ts';

// Which route a message takes (docs/reference.md "Failover, routes and rate
// limits"), and when the sender writes it on the job.

// In file order; `printer@example.com` is in both, so is the user name (in another case).
const ROUTES: readonly RouteConfig[] = [
  routeConfig('sales', ['*@Sales.Example.com', 'printer@example.com'], ['scanner-3f']),
  routeConfig('isp', ['*@example.org', 'printer@example.com'], ['Scanner-3F']),
];

describe('resolveRoute', () => {
  const matchers = routeMatchers(ROUTES);
  const rows: readonly { name: string; message: RoutedMessage; expected: string }[] = [
    {
      name: 'a sender at a domain pattern',
      message: { mailFrom: 'ann@sales.example.com', authUser: null },
      expected: 'sales',
    },
    {
      name: 'the address in another case: still that pattern',
      message: { mailFrom: 'ANN@SALES.EXAMPLE.COM', authUser: null },
      expected: 'sales',
    },
    {
      name: 'a subdomain is not the domain',
      message: { mailFrom: 'ann@eu.sales.example.com', authUser: null },
      expected: DEFAULT_ROUTE_NAME,
    },
    {
      name: 'an address pattern, case-insensitive',
      message: { mailFrom: 'Printer@Example.COM', authUser: null },
      expected: 'sales',
    },
    {
      name: 'a sender only the second route matches',
      message: { mailFrom: 'bob@example.org', authUser: null },
      expected: 'isp',
    },
    {
      name: 'an authenticated user, whatever the sender',
      message: { mailFrom: 'nobody@elsewhere.example', authUser: 'scanner-3f' },
      expected: 'sales',
    },
    {
      name: 'user names are compared exactly: the other case is the other route’s',
      message: { mailFrom: 'nobody@elsewhere.example', authUser: 'Scanner-3F' },
      expected: 'isp',
    },
    {
      name: 'a user name no route lists',
      message: { mailFrom: 'nobody@elsewhere.example', authUser: 'SCANNER-3F' },
      expected: DEFAULT_ROUTE_NAME,
    },
    {
      name: 'first match in file order: a sender of the first beats a user of the second',
      message: { mailFrom: 'ann@sales.example.com', authUser: 'Scanner-3F' },
      expected: 'sales',
    },
    {
      name: 'first match in file order: a user of the first beats a sender of the second',
      message: { mailFrom: 'bob@example.org', authUser: 'scanner-3f' },
      expected: 'sales',
    },
    {
      name: 'the null sender matches no sender pattern',
      message: { mailFrom: '', authUser: null },
      expected: DEFAULT_ROUTE_NAME,
    },
    {
      name: 'the null sender of a matching user takes that user’s route',
      message: { mailFrom: '', authUser: 'Scanner-3F' },
      expected: 'isp',
    },
    {
      name: 'nothing matches: the default route',
      message: { mailFrom: 'ann@example.net', authUser: 'printer' },
      expected: DEFAULT_ROUTE_NAME,
    },
  ];
  for (const row of rows) {
    it(row.name, () => {
      assert.equal(resolveRoute(matchers, row.message), row.expected);
    });
  }

  it('without routes every message takes the default route', () => {
    assert.equal(
      resolveRoute([], { mailFrom: 'ann@sales.example.com', authUser: 'scanner-3f' }),
      DEFAULT_ROUTE_NAME,
    );
  });

  it('`*` matches any sender but not the null sender', () => {
    const anyone = routeMatchers([routeConfig('all', ['*'], [])]);
    assert.equal(resolveRoute(anyone, { mailFrom: 'x@y.example', authUser: null }), 'all');
    assert.equal(resolveRoute(anyone, { mailFrom: '', authUser: null }), DEFAULT_ROUTE_NAME);
  });

  it('a pattern that does not parse matches nothing, the others still do', () => {
    const matchers = routeMatchers([
      routeConfig('odd', ['<bad@example.com>', '*@good.example'], []),
    ]);
    assert.equal(
      resolveRoute(matchers, { mailFrom: '<bad@example.com>', authUser: null }),
      DEFAULT_ROUTE_NAME,
    );
    assert.equal(resolveRoute(matchers, { mailFrom: 'x@good.example', authUser: null }), 'odd');
  });
});

describe('deliveryRoutes: the route of a job, and whether to record it', () => {
  const clock = createManualClock(Date.UTC(2026, 10, 26, 12, 0, 0));
  const deliveryRoute = (name: string): DeliveryRoute => ({
    name,
    client: createScriptedSmartHostClient([]),
    rewriteFrom: undefined,
    hold: createMemoryHold(clock),
    holdsQueue: false,
    limits: createMemoryRouteLimits({ route: name, rate: undefined, recipientRate: undefined }),
  });
  const all = [deliveryRoute('sales'), deliveryRoute('isp'), deliveryRoute(DEFAULT_ROUTE_NAME)];
  const routed: DeliveryRoutes = deliveryRoutes(all, routeMatchers(ROUTES));

  function job(mailFrom: string, recorded?: string): DeliveryJob {
    return newDeliveryJob({
      messageId: '01M8BYCJJG0123456789ABCDEF',
      size: 100,
      mailFrom,
      recipients: ['alice@example.com'],
      receivedAt: clock.now(),
      client: { address: '192.0.2.7', helo: 'printer.lan' },
      authUser: null,
      bodyType: '7bit',
      smtpUtf8: false,
      route: recorded,
    });
  }
  const nameOf = (routes: DeliveryRoutes, data: DeliveryJob) => {
    const { route, record } = routes.routeOf(data);
    return { route: route.name, record };
  };

  const rows: readonly {
    name: string;
    routes: DeliveryRoutes;
    job: DeliveryJob;
    expected: { route: string; record: boolean };
  }[] = [
    {
      name: 'no routes file: the default route, nothing recorded',
      routes: deliveryRoutes(all, []),
      job: job('ann@sales.example.com'),
      expected: { route: DEFAULT_ROUTE_NAME, record: false },
    },
    {
      name: 'no routes file any more: a job naming a route takes the default, recorded as such',
      routes: deliveryRoutes(all, []),
      job: job('ann@sales.example.com', 'sales'),
      expected: { route: DEFAULT_ROUTE_NAME, record: true },
    },
    {
      name: 'not routed yet: resolved and recorded',
      routes: routed,
      job: job('ann@sales.example.com'),
      expected: { route: 'sales', record: true },
    },
    {
      name: 'not routed yet, no match: the default route, recorded',
      routes: routed,
      job: job('ann@example.net'),
      expected: { route: DEFAULT_ROUTE_NAME, record: true },
    },
    {
      name: 'a recorded route that exists: kept, even if the sender now matches another',
      routes: routed,
      job: job('ann@sales.example.com', 'isp'),
      expected: { route: 'isp', record: false },
    },
    {
      name: 'the recorded default route: kept',
      routes: routed,
      job: job('ann@sales.example.com', DEFAULT_ROUTE_NAME),
      expected: { route: DEFAULT_ROUTE_NAME, record: false },
    },
    {
      name: 'a recorded route removed from the file: resolved again and recorded',
      routes: routed,
      job: job('ann@sales.example.com', 'gone'),
      expected: { route: 'sales', record: true },
    },
  ];
  for (const row of rows) {
    it(row.name, () => {
      assert.deepEqual(nameOf(row.routes, row.job), row.expected);
    });
  }

  it('refuses a set of routes without the default one', () => {
    assert.throws(() => deliveryRoutes([deliveryRoute('sales')], routeMatchers(ROUTES)), {
      message: 'the default route is missing',
    });
  });
});
