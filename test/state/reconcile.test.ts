import { describe, expect, it } from 'vitest';
import type { BgpPath } from '../../src/jet/model.js';
import { planReconcile, samePath } from '../../src/state/reconcile.js';

const base: BgpPath = {
  table: 'inet.0',
  prefix: '10.1.0.0',
  length: 24,
  cookie: 1n,
  nextHops: ['10.0.0.1'],
  localPref: 200,
};
const ours = (p: BgpPath) => p.cookie < 100n;

describe('planReconcile', () => {
  it('adds what the router lacks, updates what differs, leaves equal paths alone', () => {
    const missing = { ...base, cookie: 2n, prefix: '10.2.0.0' };
    const differs = { ...base, cookie: 3n, prefix: '10.3.0.0' };
    const plan = planReconcile([base, missing, differs], [base, { ...differs, localPref: 100 }], ours);
    expect(plan).toEqual({ add: [missing], update: [differs], remove: [] });
  });

  it('removes paths this bridge owns but no longer wants, never paths of other clients', () => {
    const stale = { ...base, cookie: 5n };
    const foreign = { ...base, cookie: 500n };
    const plan = planReconcile([], [stale, foreign], ours);
    expect(plan.remove).toEqual([{ table: 'inet.0', prefix: '10.1.0.0', length: 24, cookie: 5n }]);
    expect(plan.add).toEqual([]);
  });
});

describe('samePath', () => {
  it('treats JET defaults as absent', () => {
    expect(samePath(base, { ...base, peerType: 'internal', communities: [], noExport: false })).toBe(true);
  });
  it('notices a changed next hop, community or flag', () => {
    expect(samePath(base, { ...base, nextHops: ['10.0.0.2'] })).toBe(false);
    expect(samePath(base, { ...base, communities: ['65000:1'] })).toBe(false);
    expect(samePath(base, { ...base, noAdvertise: true })).toBe(false);
  });
});
