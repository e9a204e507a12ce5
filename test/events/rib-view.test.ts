import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { PeerRibView } from '../../src/events/rib-view.js';
import { destinationKey, type BgpPath, type MonitorEntry } from '../../src/jet/model.js';

function peerPath(octet: number, cookie = 1n): BgpPath {
  return { table: 'inet.0', prefix: `10.${octet}.0.0`, length: 16, cookie, nextHops: ['192.0.2.1'] };
}

const update = (path: BgpPath): MonitorEntry => ({ op: 'update', path });
const remove = (path: BgpPath): MonitorEntry => ({ op: 'remove', path });
const endOfRib: MonitorEntry = { op: 'end-of-rib' };

/** Applies entries and returns the keys of the destinations reported changed. */
function applyAll(view: PeerRibView, entries: MonitorEntry[]): string[] {
  return entries.flatMap((entry) => view.apply(entry)).map(destinationKey);
}

describe('PeerRibView', () => {
  it('reports each destination an update or remove changes, and keeps several cookies per prefix', () => {
    const view = new PeerRibView();
    const a1 = peerPath(1, 1n);
    const a2 = peerPath(1, 2n);
    expect(applyAll(view, [update(a1), update(a2), endOfRib])).toEqual(['inet.0|10.1.0.0/16', 'inet.0|10.1.0.0/16']);
    expect(view.pathsTo(a1)).toEqual([a1, a2]);
    expect(applyAll(view, [remove(a1)])).toEqual(['inet.0|10.1.0.0/16']);
    expect(view.pathsTo(a1)).toEqual([a2]);
    expect(view.size).toBe(1);
    expect(applyAll(view, [remove(a2)])).toEqual(['inet.0|10.1.0.0/16']);
    expect(view.size).toBe(0);
  });

  it('ignores the removal of a path it never saw', () => {
    const view = new PeerRibView();
    view.apply(update(peerPath(1, 1n)));
    expect(view.apply(remove(peerPath(1, 9n)))).toEqual([]);
    expect(view.apply(remove(peerPath(2)))).toEqual([]);
  });

  it('after a resync, sweeps at end-of-rib what the new full set did not repeat', () => {
    const view = new PeerRibView();
    const [a, b, c] = [peerPath(1), peerPath(2), peerPath(3)];
    applyAll(view, [update(a), update(b), endOfRib, update(c)]);
    view.beginResync();
    expect(applyAll(view, [update(b)])).toEqual(['inet.0|10.2.0.0/16']);
    // a (from the first full set) and c (learned later) were not repeated.
    expect(applyAll(view, [endOfRib])).toEqual(['inet.0|10.1.0.0/16', 'inet.0|10.3.0.0/16']);
    expect(view.size).toBe(1);
    expect(view.pathsTo(b)).toEqual([b]);
  });

  it('sweeps one cookie of a prefix and keeps the other', () => {
    const view = new PeerRibView();
    const [a1, a2] = [peerPath(1, 1n), peerPath(1, 2n)];
    applyAll(view, [update(a1), update(a2), endOfRib]);
    view.beginResync();
    expect(applyAll(view, [update(a2), endOfRib])).toEqual(['inet.0|10.1.0.0/16', 'inet.0|10.1.0.0/16']);
    expect(view.pathsTo(a1)).toEqual([a2]);
  });

  it('does not sweep at the first end-of-rib, nor changes after it', () => {
    const view = new PeerRibView();
    const [a, b] = [peerPath(1), peerPath(2)];
    expect(applyAll(view, [update(a), endOfRib, update(b)])).toEqual(['inet.0|10.1.0.0/16', 'inet.0|10.2.0.0/16']);
    expect(view.size).toBe(2);
  });

  it('treats a second end-of-rib without a resync as the end of a new full set', () => {
    const view = new PeerRibView();
    const [a, b] = [peerPath(1), peerPath(2)];
    applyAll(view, [update(a), update(b), endOfRib]);
    // The stream was reopened without the view being told: a full set of b alone.
    expect(applyAll(view, [update(b), endOfRib])).toEqual(['inet.0|10.2.0.0/16', 'inet.0|10.1.0.0/16']);
    expect(view.pathsTo(a)).toEqual([]);
  });

  it('never sweeps a path the latest full set announced (property)', () => {
    const octets = fc.uniqueArray(fc.integer({ min: 0, max: 40 }), { maxLength: 12 });
    const step = fc.record({ before: octets, incremental: octets, fullSet: octets, resync: fc.boolean() });
    fc.assert(
      fc.property(fc.array(step, { minLength: 1, maxLength: 5 }), (steps) => {
        const view = new PeerRibView();
        for (const { before, incremental, fullSet, resync } of steps) {
          applyAll(
            view,
            before.map((o) => update(peerPath(o))),
          );
          applyAll(
            view,
            incremental.map((o) => remove(peerPath(o))),
          );
          if (resync) view.beginResync();
          applyAll(view, [...fullSet.map((o) => update(peerPath(o))), endOfRib]);
          for (const o of fullSet) expect(view.pathsTo(peerPath(o))).toHaveLength(1);
          // With a resync the sweep is exact: only the full set remains.
          if (resync) expect(view.size).toBe(fullSet.length);
        }
      }),
    );
  });
});
