/**
 * The operations pack in deploy/: the Prometheus alert rules and the Grafana
 * dashboard. Every PromQL expression parses (with the Prometheus project's own
 * PromQL grammar, @prometheus-io/lezer-promql; Debian's `prometheus` package,
 * which has promtool, is ~96 MB and is not installed for this) and names only
 * metrics the bridge exports at /metrics, and every rule has what an on-call
 * engineer needs (severity, summary, description).
 */
import { readFileSync } from 'node:fs';
import { parser } from '@prometheus-io/lezer-promql';
import { describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import { BridgeMetrics } from '../../src/http/metrics.js';
import { parseExposition } from '../http/prom-text.js';

const RULES_FILE = 'deploy/prometheus/jetbridge-alerts.yml';
const DASHBOARD_FILE = 'deploy/grafana/jetbridge-dashboard.json';

interface Rule {
  alert?: string;
  expr?: string;
  for?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
}

/** Every series name /metrics can show: histograms as their _bucket, _sum and _count series. */
async function exportedSeries(): Promise<Set<string>> {
  const metrics = new BridgeMetrics({ devices: ['r1'], version: '0.0.0' });
  const { types } = parseExposition(await metrics.render());
  const names = new Set<string>();
  for (const [name, type] of types) {
    if (type === 'histogram') for (const suffix of ['_bucket', '_sum', '_count']) names.add(name + suffix);
    else names.add(name);
  }
  return names;
}

/** The metric names a PromQL expression selects; throws at a syntax error. */
function selectedMetrics(expr: string): string[] {
  const names: string[] = [];
  parser.parse(expr).iterate({
    enter(node) {
      if (node.type.isError) throw new Error(`PromQL syntax error at ${node.from} in: ${expr}`);
      if (node.name === 'Identifier' && node.node.parent?.name === 'VectorSelector')
        names.push(expr.slice(node.from, node.to));
    },
  });
  return names;
}

/** Grafana's variables replaced by what Prometheus would see. */
function withoutGrafanaVariables(expr: string): string {
  return expr.replaceAll('$__rate_interval', '5m').replace(/\$[a-z_]+/g, '.*');
}

const rules = (
  parseYaml(readFileSync(RULES_FILE, 'utf8')) as { groups: { name: string; rules: Rule[] }[] }
).groups.flatMap((group) => group.rules);
const dashboard = JSON.parse(readFileSync(DASHBOARD_FILE, 'utf8')) as {
  panels: { title: string; targets: { expr: string }[] }[];
  templating: { list: { name: string; query: unknown }[] };
};

describe('the PromQL checks themselves', () => {
  it('find the metric names of an expression and refuse broken syntax', () => {
    expect(selectedMetrics('sum by (device) (rate(a_total{x="y"}[5m])) / on() group_left b')).toEqual(['a_total', 'b']);
    expect(() => selectedMetrics('rate(a_total[5m]')).toThrow(/syntax error/);
  });
});

describe(RULES_FILE, () => {
  it('alerts on a device down, unreconciled paths, DEVICE_UNAVAILABLE, the queue high-water and ownership changes', () => {
    expect(rules.map((rule) => rule.alert)).toEqual(
      expect.arrayContaining([
        'JetbridgeDeviceDown',
        'JetbridgeUnreconciledPaths',
        'JetbridgeDeviceUnavailableResults',
        'JetbridgeQueueHighWater',
        'JetbridgeOwnershipChurn',
      ]),
    );
  });

  it.each(rules.map((rule) => [rule.alert ?? '(unnamed)', rule] as const))(
    '%s parses, names exported metrics and says what is wrong',
    async (_, rule) => {
      const exported = await exportedSeries();
      expect(rule.expr).toBeTypeOf('string');
      const names = selectedMetrics(rule.expr ?? '');
      expect(names.length).toBeGreaterThan(0);
      for (const name of names) expect([...exported]).toContain(name);
      expect(['critical', 'warning', 'info']).toContain(rule.labels?.severity);
      expect(rule.annotations?.summary).toBeTruthy();
      expect(rule.annotations?.description).toBeTruthy();
      if (rule.for !== undefined) expect(rule.for).toMatch(/^[0-9]+[smh]$/);
    },
  );
});

describe(DASHBOARD_FILE, () => {
  it('has panels, each with at least one query', () => {
    expect(dashboard.panels.length).toBeGreaterThan(10);
    for (const panel of dashboard.panels) expect(panel.targets.length, panel.title).toBeGreaterThan(0);
  });

  it('queries only metrics the bridge exports, in valid PromQL', async () => {
    const known = await exportedSeries();
    const queries = dashboard.panels.flatMap((panel) => panel.targets.map((target) => target.expr));
    const unknown = queries
      .flatMap((expr) => selectedMetrics(withoutGrafanaVariables(expr)))
      .filter((n) => !known.has(n));
    expect(unknown).toEqual([]);
  });

  it('fills its instance and device choices from exported metrics', async () => {
    const exported = await exportedSeries();
    const queries = dashboard.templating.list.flatMap((variable) =>
      typeof variable.query === 'string' && variable.query.startsWith('label_values(') ? [variable.query] : [],
    );
    expect(queries.length).toBe(2);
    for (const query of queries) expect(exported).toContain(/label_values\(([a-z_]+)/.exec(query)?.[1]);
  });
});

describe('the metric names', () => {
  it('follow Prometheus conventions: counters end in _total, a build info gauge, no unitless histogram', async () => {
    const { types } = parseExposition(await new BridgeMetrics().render());
    for (const [name, type] of types) {
      if (!name.startsWith('jetbridge_')) continue;
      if (type === 'counter') expect(name).toMatch(/_total$/);
      if (type === 'histogram') expect(name).toMatch(/_(seconds|routes|bytes)$/);
    }
    expect(types.get('jetbridge_build_info')).toBe('gauge');
  });
});
