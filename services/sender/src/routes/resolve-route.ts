import { DEFAULT_ROUTE_NAME, type RouteConfig } from '@smtp-relay/config';
import { matchesSenderPattern, parseSenderPattern, type SenderPattern } from '@smtp-relay/policy';

// Which route a message takes (docs/reference.md "Failover, routes and rate
// limits"): the routes of SMART_HOST_ROUTES_FILE in file order, the first whose
// envelope-sender patterns or user names match; otherwise the default route
// (the SMART_HOST_* variables). Pure: decided once per message and recorded on
// its job.

export interface RouteMatcher {
  readonly name: string;
  readonly senders: readonly SenderPattern[];
  /** Authenticated user names, compared exactly (as SMTP_AUTH_FILE names are). */
  readonly users: ReadonlySet<string>;
}

export interface RoutedMessage {
  /** '' is the null sender. */
  readonly mailFrom: string;
  readonly authUser: string | null;
}

/** The configuration checked the patterns already; one that does not parse matches nothing. */
export function routeMatchers(routes: readonly RouteConfig[]): readonly RouteMatcher[] {
  return routes.map((route) => ({
    name: route.name,
    senders: route.match.senders.flatMap((text) => {
      const parsed = parseSenderPattern(text);
      return parsed.ok ? [parsed.pattern] : [];
    }),
    users: new Set(route.match.users),
  }));
}

export function resolveRoute(matchers: readonly RouteMatcher[], message: RoutedMessage): string {
  for (const matcher of matchers) {
    if (message.authUser !== null && matcher.users.has(message.authUser)) return matcher.name;
    // The null sender (a bounce ingress accepted) has no address to match.
    if (
      message.mailFrom !== '' &&
      matcher.senders.some((pattern) => matchesSenderPattern(pattern, message.mailFrom))
    ) {
      return matcher.name;
    }
  }
  return DEFAULT_ROUTE_NAME;
}
