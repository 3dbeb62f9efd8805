// The Grafana dashboard and the Prometheus alert rules of infra/grafana held against the
// metrics the relay exports (packages/observability/src/metrics.ts): every metric and label
// they query exists, every alert of docs/monitoring.md is there with its severity, summary
// and runbook, points only to sections of this repository, and has a promtool unit test
// that fires it and one that stays quiet. Where promtool is installed (on PATH, or
// PROMTOOL=/path/to/promtool) also `promtool check rules` and `promtool test rules`.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import {
  createMetrics,
  registerOldestMessageAge,
  registerQueueDepth,
  registerRouteGauges,
} from '@smtp-relay/observability';
import { parse } from 'yaml';
import { REPOSITORY_ROOT } from './k8s/product.ts';

const GRAFANA = join(REPOSITORY_ROOT, 'infra/grafana');
const RULES_FILE = join(GRAFANA, 'alert-rules.yaml');
const RULE_TESTS_FILE = join(GRAFANA, 'alert-rules.test.yaml');
const DASHBOARD_FILE = join(GRAFANA, 'smtp-relay-dashboard.json');
const PROMTOOL = process.env.PROMTOOL ?? 'promtool';
const HAS_PROMTOOL = spawnSync(PROMTOOL, ['--version']).status === 0;
const NO_PROMTOOL =
  !HAS_PROMTOOL &&
  `${PROMTOOL} is not installed: the rules are only checked statically (docs/monitoring.md "Check the rules")`;

/** The alerts docs/monitoring.md describes. */
const REQUIRED_ALERTS = [
  'SmtpRelayQueueGrowing',
  'SmtpRelayOldestMessageOld',
  'SmtpRelaySystemicHold',
  'SmtpRelayOAuth2Failing',
  'SmtpRelayBounceRateHigh',
  'SmtpRelayNoDeliveriesWhileMailWaits',
  'SmtpRelaySmartHostDown',
  'SmtpRelayDown',
  'SmtpRelayMetricsAbsent',
];
const SEVERITIES = ['warning', 'critical'];

/** Labels Prometheus adds to every series it scrapes (target and Kubernetes labels). */
const TARGET_LABELS = ['job', 'instance', 'namespace', 'pod', 'container', 'service', 'endpoint'];

type JsonObject = Record<string, unknown>;
const isObject = (value: unknown): value is JsonObject =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

function record(value: unknown, what: string): JsonObject {
  assert.ok(isObject(value), `${what} is not a mapping`);
  return value;
}

function list(value: unknown, what: string): unknown[] {
  assert.ok(Array.isArray(value), `${what} is not a list`);
  return value as unknown[];
}

function text(value: unknown, what: string): string {
  assert.ok(typeof value === 'string' && value.trim() !== '', `${what} is missing`);
  return value;
}

/** Every metric a relay process exports, with its label names. */
function exportedMetrics(): Map<string, readonly string[]> {
  const metrics = createMetrics();
  registerQueueDepth(metrics, () => Promise.resolve({}));
  registerOldestMessageAge(metrics, () => Promise.resolve({}));
  registerRouteGauges(metrics, () => Promise.resolve([]));
  const found = new Map<string, readonly string[]>();
  for (const metric of metrics.registry.getMetricsAsArray()) {
    // prom-client keeps the label names on the metric without typing them, and types
    // `type` as a numeric enum where it is the text of the exposition format.
    const names: unknown = Reflect.get(metric, 'labelNames');
    const type: unknown = Reflect.get(metric, 'type');
    const labels = Array.isArray(names)
      ? names.filter((name): name is string => typeof name === 'string')
      : [];
    found.set(metric.name, labels);
    if (type === 'histogram') {
      found.set(`${metric.name}_bucket`, [...labels, 'le']);
      found.set(`${metric.name}_sum`, labels);
      found.set(`${metric.name}_count`, labels);
    }
  }
  return found;
}

const EXPORTED = exportedMetrics();
/** What a query may select: the relay's metrics and Prometheus's `up`. */
const KNOWN: ReadonlyMap<string, readonly string[]> = new Map([...EXPORTED, ['up', []]]);

// PromQL, as much as these files need: functions, aggregations and keywords, so that
// every other name is a metric.
const FUNCTIONS = new Set(
  [
    'abs absent absent_over_time avg_over_time ceil changes clamp clamp_max clamp_min',
    'count_over_time delta deriv exp floor histogram_quantile holt_winters idelta increase',
    'irate label_join label_replace last_over_time ln log2 log10 max_over_time',
    'min_over_time predict_linear present_over_time quantile_over_time rate resets round',
    'scalar sgn sort sort_desc sqrt stddev_over_time stdvar_over_time sum_over_time time',
    'timestamp vector',
  ]
    .join(' ')
    .split(' '),
);
const AGGREGATIONS = new Set(
  'sum min max avg group stddev stdvar count count_values bottomk topk quantile'.split(' '),
);
const GROUPING = new Set(['by', 'without', 'on', 'ignoring', 'group_left', 'group_right']);
const OPERATORS = new Set(['and', 'or', 'unless', 'bool', 'offset']);

interface Selector {
  readonly metric: string;
  readonly labels: readonly string[];
}

interface Query {
  readonly selectors: readonly Selector[];
  /** Label names of by, without, on, ignoring, group_left and group_right. */
  readonly grouping: readonly string[];
}

type Token =
  | { readonly kind: 'name' | 'punct'; readonly text: string }
  | { readonly kind: 'matchers'; readonly labels: readonly string[] };

const TOKEN =
  /\s+|(?<matchers>\{(?:[^}"']|"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*')*\})|(?<range>\[[^\]]*\])|(?<string>"(?:[^"\\]|\\.)*")|(?<number>\d+(?:\.\d+)?(?:ms|[smhdwy])*)|(?<name>[A-Za-z_:][A-Za-z0-9_:]*)|(?<punct>==|!=|>=|<=|=~|!~|[-+*/%^<>(),])/y;

function tokens(expr: string): Token[] {
  const found: Token[] = [];
  TOKEN.lastIndex = 0;
  while (TOKEN.lastIndex < expr.length) {
    const at = TOKEN.lastIndex;
    const match = TOKEN.exec(expr);
    assert.ok(match, `cannot read the query at "${expr.slice(at, at + 30)}": ${expr}`);
    const groups = match.groups ?? {};
    if (groups.matchers !== undefined) {
      const labels = [
        ...groups.matchers.matchAll(
          /([A-Za-z_][A-Za-z0-9_]*)\s*(?:=~|!~|!=|=)\s*(?:"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*')/g,
        ),
      ].map((m) => m[1] ?? '');
      found.push({ kind: 'matchers', labels });
    } else if (groups.name !== undefined) found.push({ kind: 'name', text: groups.name });
    else if (groups.punct !== undefined) found.push({ kind: 'punct', text: groups.punct });
  }
  return found;
}

/** The metrics a PromQL expression selects, with their matchers' labels, and its grouping labels. */
function readQuery(expr: string): Query {
  const all = tokens(expr);
  const selectors: Selector[] = [];
  const grouping: string[] = [];
  for (let i = 0; i < all.length; i++) {
    const token = all[i];
    if (token === undefined) break;
    if (token.kind === 'matchers') {
      assert.fail(`a selector without a metric name: ${expr}`);
    }
    if (token.kind !== 'name') continue;
    const next = all[i + 1];
    const opens = next?.kind === 'punct' && next.text === '(';
    if (GROUPING.has(token.text)) {
      if (!opens) continue; // group_left without labels
      for (i += 2; i < all.length; i++) {
        const label = all[i];
        if (label?.kind === 'punct' && label.text === ')') break;
        if (label?.kind === 'name') grouping.push(label.text);
      }
    } else if (OPERATORS.has(token.text)) {
      continue;
    } else if (AGGREGATIONS.has(token.text)) {
      assert.ok(opens || next?.kind === 'name', `${token.text} without arguments: ${expr}`);
    } else if (FUNCTIONS.has(token.text)) {
      assert.ok(opens, `${token.text} without arguments: ${expr}`);
    } else {
      assert.ok(!opens, `unknown PromQL function ${token.text}: ${expr}`);
      const labels = next?.kind === 'matchers' ? next.labels : [];
      if (next?.kind === 'matchers') i++;
      selectors.push({ metric: token.text, labels });
    }
  }
  assert.ok(selectors.length > 0, `no metric in ${expr}`);
  return { selectors, grouping };
}

/** Fails unless every metric and label of the query is one the relay (or Prometheus) has. */
function assertKnownQuery(expr: string, where: string): Query {
  const query = readQuery(expr);
  const labelsOfQuery = new Set([...TARGET_LABELS]);
  for (const { metric, labels } of query.selectors) {
    const known = KNOWN.get(metric);
    assert.ok(known, `${where}: ${metric} is not a metric of metrics.ts: ${expr}`);
    for (const label of labels) {
      assert.ok(
        known.includes(label) || TARGET_LABELS.includes(label),
        `${where}: ${metric} has no label ${label}`,
      );
    }
    for (const label of known) labelsOfQuery.add(label);
  }
  for (const label of query.grouping) {
    assert.ok(labelsOfQuery.has(label), `${where}: no metric of the query has label ${label}`);
  }
  return query;
}

interface Rule {
  readonly alert: string;
  readonly expr: string;
  readonly for: string;
  readonly severity: string;
  readonly annotations: Readonly<Record<string, string>>;
}

function readRules(): Rule[] {
  const file = record(parse(readFileSync(RULES_FILE, 'utf8')), 'alert-rules.yaml');
  const groups = list(file.groups, 'groups');
  assert.ok(groups.length > 0, 'no rule groups');
  return groups.flatMap((group, g) => {
    const { name, rules } = record(group, `group ${String(g)}`);
    text(name, `group ${String(g)}: name`);
    return list(rules, `group ${String(name)}: rules`).map((value, r): Rule => {
      const rule = record(value, `group ${String(name)}, rule ${String(r)}`);
      const alert = text(rule.alert, `group ${String(name)}, rule ${String(r)}: alert`);
      const labels = record(rule.labels, `${alert}: labels`);
      const annotations = record(rule.annotations, `${alert}: annotations`);
      return {
        alert,
        expr: text(rule.expr, `${alert}: expr`),
        for: text(rule.for, `${alert}: for`),
        severity: text(labels.severity, `${alert}: labels.severity`),
        annotations: Object.fromEntries(
          Object.entries(annotations).map(([key, v]) => [key, text(v, `${alert}: ${key}`)]),
        ),
      };
    });
  });
}

const rules = readRules();

/** The headings of a Markdown file, without their #s. */
function headings(markdown: string): Set<string> {
  return new Set([...markdown.matchAll(/^#+ (.+)$/gm)].map((m) => (m[1] ?? '').trim()));
}

describe('alert rules (infra/grafana/alert-rules.yaml), statically', () => {
  it('has every alert of docs/monitoring.md, each once', () => {
    const names = rules.map((rule) => rule.alert);
    assert.deepEqual([...names].sort(), [...REQUIRED_ALERTS].sort());
  });

  it('gives each alert a for, a severity, a summary, a description and a runbook', () => {
    for (const rule of rules) {
      assert.match(rule.for, /^\d+[smh]$/, `${rule.alert}: for`);
      assert.ok(SEVERITIES.includes(rule.severity), `${rule.alert}: severity ${rule.severity}`);
      assert.deepEqual(
        Object.keys(rule.annotations).sort(),
        ['description', 'runbook', 'summary'],
        rule.alert,
      );
      assert.equal(rule.annotations.runbook, `docs/monitoring.md "${rule.alert}"`);
    }
  });

  it('queries only metrics and labels the relay exports', () => {
    for (const rule of rules) assertKnownQuery(rule.expr, rule.alert);
  });

  it('points only to sections of this repository that exist', () => {
    const files = new Map<string, Set<string>>();
    const sectionsOf = (file: string): Set<string> => {
      const path = join(REPOSITORY_ROOT, file === 'README' ? 'README.md' : file);
      const found = files.get(file) ?? headings(readFileSync(path, 'utf8'));
      files.set(file, found);
      return found;
    };
    for (const rule of rules) {
      for (const [key, value] of Object.entries(rule.annotations)) {
        const where = `${rule.alert}: ${key}`;
        assert.doesNotMatch(value, /https?:\/\//, `${where}: a link outside the repository`);
        const references = value.matchAll(/(README|docs\/[\w-]+\.md)((?:[ ,]+"[^"]+")*)/g);
        for (const [, file = '', sections = ''] of references) {
          for (const [, section = ''] of sections.matchAll(/"([^"]+)"/g)) {
            assert.ok(
              sectionsOf(file).has(section),
              `${where}: ${file} has no section "${section}"`,
            );
          }
        }
      }
    }
  });

  it('has a promtool test per alert that fires it and one that does not', () => {
    const file = record(parse(readFileSync(RULE_TESTS_FILE, 'utf8')), 'alert-rules.test.yaml');
    assert.deepEqual(file.rule_files, ['alert-rules.yaml']);
    const fires = new Set<string>();
    const quiet = new Set<string>();
    for (const [i, test] of list(file.tests, 'tests').entries()) {
      const { alert_rule_test: cases } = record(test, `test ${String(i)}`);
      for (const [j, value] of list(cases, `test ${String(i)}: alert_rule_test`).entries()) {
        const testCase = record(value, `test ${String(i)}, case ${String(j)}`);
        const alert = text(testCase.alertname, `test ${String(i)}, case ${String(j)}: alertname`);
        const expected = list(testCase.exp_alerts, `${alert}: exp_alerts`);
        (expected.length > 0 ? fires : quiet).add(alert);
      }
    }
    for (const alert of REQUIRED_ALERTS) {
      assert.ok(fires.has(alert), `no test makes ${alert} fire`);
      assert.ok(quiet.has(alert), `no test checks ${alert} stays quiet`);
    }
  });
});

describe('alert rules with promtool', () => {
  it('promtool check rules', { skip: NO_PROMTOOL }, () => {
    const run = spawnSync(PROMTOOL, ['check', 'rules', RULES_FILE], { encoding: 'utf8' });
    assert.equal(run.status, 0, run.stdout + run.stderr);
    assert.match(run.stdout, new RegExp(`SUCCESS: ${String(rules.length)} rules found`));
  });

  it('promtool test rules', { skip: NO_PROMTOOL }, () => {
    const run = spawnSync(PROMTOOL, ['test', 'rules', RULE_TESTS_FILE], { encoding: 'utf8' });
    assert.equal(run.status, 0, run.stdout + run.stderr);
    assert.match(run.stdout, /SUCCESS/);
  });
});

interface Panel {
  readonly id: number;
  readonly type: string;
  readonly title: string;
  readonly datasource: unknown;
  readonly gridPos: { x: number; y: number; w: number; h: number };
  readonly targets: readonly JsonObject[];
}

const dashboard = record(JSON.parse(readFileSync(DASHBOARD_FILE, 'utf8')), 'the dashboard');

function readPanel(value: unknown, what: string): Panel {
  const panel = record(value, what);
  const title = text(panel.title, `${what}: title`);
  const { x, y, w, h } = record(panel.gridPos, `${title}: gridPos`);
  assert.ok(Number.isInteger(panel.id), `${title}: id`);
  return {
    id: Number(panel.id),
    type: text(panel.type, `${title}: type`),
    title,
    datasource: panel.datasource,
    gridPos: { x: Number(x), y: Number(y), w: Number(w), h: Number(h) },
    targets: list(panel.targets ?? [], `${title}: targets`).map((target, i) =>
      record(target, `${title}: target ${String(i)}`),
    ),
  };
}

/** Every panel, rows and those inside collapsed rows too. */
function panels(): Panel[] {
  return list(dashboard.panels, 'panels').flatMap((value, i) => {
    const panel = record(value, `panel ${String(i)}`);
    const nested = panel.type === 'row' ? list(panel.panels ?? [], `row ${String(i)}`) : [];
    return [value, ...nested].map((p, j) => readPanel(p, `panel ${String(i)}.${String(j)}`));
  });
}

const variables = list(record(dashboard.templating, 'templating').list, 'templating.list').map(
  (variable, i) => record(variable, `variable ${String(i)}`),
);

const PROMETHEUS = { type: 'prometheus', uid: '${DS_PROMETHEUS}' };

describe('dashboard (infra/grafana/smtp-relay-dashboard.json)', () => {
  it('is a Grafana dashboard of schema 39 or later', () => {
    assert.ok(
      Number(dashboard.schemaVersion) >= 39,
      `schemaVersion ${String(dashboard.schemaVersion)}`,
    );
    assert.equal(dashboard.uid, 'smtp-relay');
    text(dashboard.title, 'title');
    assert.equal(dashboard.id, undefined, 'an exported id would clash on import');
  });

  it('takes its Prometheus from a datasource variable, in every panel and query', () => {
    const datasource = variables.find((v) => v.type === 'datasource');
    assert.ok(datasource, 'no datasource variable');
    assert.equal(datasource.name, 'DS_PROMETHEUS');
    assert.equal(datasource.query, 'prometheus');
    for (const variable of variables) {
      if (variable.type === 'query')
        assert.deepEqual(variable.datasource, PROMETHEUS, String(variable.name));
    }
    for (const panel of panels().filter((p) => p.type !== 'row')) {
      assert.deepEqual(panel.datasource, PROMETHEUS, panel.title);
      assert.ok(panel.targets.length > 0, `${panel.title}: no query`);
      for (const target of panel.targets)
        assert.deepEqual(target.datasource, PROMETHEUS, panel.title);
    }
  });

  it('gives every panel its own id and a place on the 24-column grid no other panel takes', () => {
    const all = panels();
    const ids = all.map((panel) => panel.id);
    assert.equal(new Set(ids).size, ids.length, `ids repeat: ${ids.join(', ')}`);
    for (const [i, a] of all.entries()) {
      const { x, y, w, h } = a.gridPos;
      assert.ok(x >= 0 && w > 0 && h > 0 && x + w <= 24, `${a.title}: gridPos`);
      for (const b of all.slice(i + 1)) {
        const overlap =
          x < b.gridPos.x + b.gridPos.w &&
          b.gridPos.x < x + w &&
          y < b.gridPos.y + b.gridPos.h &&
          b.gridPos.y < y + h;
        assert.ok(!overlap, `${a.title} overlaps ${b.title}`);
      }
    }
  });

  it('queries only metrics and labels the relay exports, and shows every one of them', () => {
    const shown = new Set<string>();
    for (const panel of panels()) {
      for (const target of panel.targets) {
        const expr = text(target.expr, `${panel.title}: expr`);
        for (const { metric } of assertKnownQuery(expr, panel.title).selectors) {
          shown.add(metric.replace(/_(bucket|sum|count)$/, ''));
        }
      }
    }
    // The relay's own metrics (not Node's process metrics).
    const relayMetrics = [...EXPORTED.keys()].filter(
      (name) => !name.startsWith('smtp_relay_process_') && !/_(bucket|sum|count)$/.test(name),
    );
    const missing = relayMetrics.filter((name) => !shown.has(name));
    assert.deepEqual(missing, [], 'metrics no panel shows');
  });

  it('takes the values of its query variables from labels the relay exports', () => {
    const queries = variables.filter((variable) => variable.type === 'query');
    assert.ok(queries.length > 0, 'no query variable');
    for (const variable of queries) {
      const name = text(variable.name, 'variable name');
      const query = text(record(variable.query, `${name}: query`).query, `${name}: query`);
      assert.equal(variable.definition, query, `${name}: definition`);
      const match = /^label_values\(([a-z_:][a-z0-9_:]*), *([a-z_][a-z0-9_]*)\)$/i.exec(query);
      assert.ok(match, `${name}: not label_values(metric, label): ${query}`);
      const [, metric = '', label = ''] = match;
      assertKnownQuery(`${metric}{${label}!=""}`, `variable ${name}`);
    }
  });

  it('has the panels the alerts point to', () => {
    const titles = new Set(panels().map((panel) => panel.title));
    for (const title of [
      'Messages per second',
      'Queue depth by state',
      'Delivery latency',
      'Bounce share (1h)',
      'Systemic failures by category',
      'OAuth2',
      'AUTH failures, client blocks, refused connections',
      'Smart host failures',
      'Attempts per route',
    ]) {
      assert.ok(titles.has(title), `no panel "${title}"`);
    }
  });
});
