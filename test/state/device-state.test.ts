import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { BgpPath } from '../../src/jet/model.js';
import type { StateBackend } from '../../src/state/backend.js';
import { BACKENDS, type BackendFixture } from './backends.js';

const path1: BgpPath = {
  table: 'inet.0',
  prefix: '10.1.0.0',
  length: 24,
  cookie: 2n ** 64n - 3n,
  nextHops: ['10.0.0.1'],
  localPref: 200,
  communities: ['65000:1'],
};
const path2: BgpPath = { ...path1, cookie: 7n, nextHops: ['10.0.0.2'] };
const byCookie = (a: BgpPath, b: BgpPath) => (a.cookie < b.cookie ? -1 : a.cookie > b.cookie ? 1 : 0);
const intent = (device: string, text: string) => ({
  topic: `jet/${device}/bgp/intent`,
  payload: Buffer.from(text),
  qos: 1 as const,
});
const tick = () => new Promise<void>((resolve) => setImmediate(resolve));

// The SQLite store starts a worker thread that loads tsx: seconds on a busy machine.
describe.each(BACKENDS)(
  'device state on $kind',
  ({ kind, create }) => {
    let fixture: BackendFixture;
    let backend: StateBackend | undefined;
    beforeAll(async () => {
      fixture = await create(`device_state_${kind}`);
    });
    afterEach(async () => {
      await backend?.close();
      backend = undefined;
      await fixture.reset();
    });
    afterAll(() => fixture?.dispose());
    /** Closes the backend (if open) and opens it again on the same storage. */
    const reopen = async (): Promise<StateBackend> => {
      await backend?.close();
      backend = await fixture.open();
      return backend;
    };

    describe('programmed paths', () => {
      it('keeps applied paths across a reopen, with 64-bit cookies exact', async () => {
        const r1 = await (await reopen()).openDevice('r1');
        await r1.applyProgrammed([path1, path2], []);
        const again = await (await reopen()).openDevice('r1');
        expect((await again.loadProgrammed()).sort(byCookie)).toEqual([path2, path1]);
      });

      it('keeps every path of a large batch, and replaces them', async () => {
        const r1 = await (await reopen()).openDevice('r1');
        const paths = Array.from(
          { length: 250 },
          (_, i): BgpPath => ({ ...path1, prefix: `10.${i >> 8}.${i & 255}.0`, cookie: BigInt(i + 1) }),
        );
        await r1.applyProgrammed(paths, []);
        await r1.applyProgrammed(
          paths.slice(0, 120).map((p) => ({ ...p, localPref: 50 })),
          [],
        );
        const again = await (await reopen()).openDevice('r1');
        expect((await again.loadProgrammed()).sort(byCookie)).toEqual(
          paths.map((p, i) => (i < 120 ? { ...p, localPref: 50 } : p)),
        );
      });

      it('reads the key back from a table name that holds the separator', async () => {
        const r1 = await (await reopen()).openDevice('r1');
        const odd: BgpPath = { ...path1, table: 'vrf|a.inet.0' };
        await r1.applyProgrammed([odd], []);
        expect(await r1.loadProgrammed()).toEqual([odd]);
      });

      it('removes and replaces paths per device without touching other devices', async () => {
        const state = await reopen();
        const r1 = await state.openDevice('r1');
        const r2 = await state.openDevice('r2');
        await Promise.all([r1.applyProgrammed([path1, path2], []), r2.applyProgrammed([path1], [])]);
        await r1.applyProgrammed([{ ...path1, localPref: 300 }], [path2]);
        expect(await r1.loadProgrammed()).toEqual([{ ...path1, localPref: 300 }]);
        expect(await r2.loadProgrammed()).toEqual([path1]);
      });

      it('keeps the last word when batches for one path follow each other without waiting', async () => {
        const r1 = await (await reopen()).openDevice('r1');
        const writes = [
          r1.applyProgrammed([path1], []),
          r1.applyProgrammed([], [path1]),
          r1.applyProgrammed([{ ...path1, med: 5 }], []),
          r1.applyProgrammed([path2], []),
          r1.applyProgrammed([], [path2]),
        ];
        await Promise.all(writes);
        const again = await (await reopen()).openDevice('r1');
        expect(await again.loadProgrammed()).toEqual([{ ...path1, med: 5 }]);
      });
    });

    describe('inbox', () => {
      it('keeps unsettled messages across a reopen, in arrival order, with MQTT 5 reply details', async () => {
        const r1 = await (await reopen()).openDevice('r1');
        const a = r1.put({ ...intent('r1', 'first'), responseTopic: 'app/reply', correlationData: Buffer.from('c1') });
        const b = r1.put(intent('r1', 'second'));
        const c = r1.put({ ...intent('r1', 'third'), qos: 2 });
        await Promise.all([a.committed, b.committed, c.committed]);
        r1.settle(b.seq);
        const pending = await (await reopen()).openDevice('r1').then((d) => d.pending());
        expect(pending.map((m) => m.payload.toString())).toEqual(['first', 'third']);
        expect(pending[0]).toMatchObject({
          seq: a.seq,
          responseTopic: 'app/reply',
          correlationData: Buffer.from('c1'),
          qos: 1,
        });
        expect(pending[1]?.qos).toBe(2);
        expect(pending[1]?.responseTopic).toBeUndefined();
      });

      it('serves pending messages in arrival order after the newest was settled and more arrived', async () => {
        const r1 = await (await reopen()).openDevice('r1');
        r1.put(intent('r1', 'first'));
        const second = r1.put(intent('r1', 'second'));
        await second.committed;
        r1.settle(second.seq);
        await tick();
        r1.put(intent('r1', 'third'));
        await r1.put(intent('r1', 'fourth')).committed;
        expect((await r1.pending()).map((m) => m.payload.toString())).toEqual(['first', 'third', 'fourth']);
      });

      it('gives each device its own messages, and a reopened device the ones it had', async () => {
        const state = await reopen();
        const r1 = await state.openDevice('r1');
        const r2 = await state.openDevice('r2');
        r1.put(intent('r1', 'for r1'));
        await r2.put(intent('r2', 'for r2')).committed;
        await r1.put(intent('r1', 'for r1 again')).committed;
        expect((await r1.pending()).map((m) => m.payload.toString())).toEqual(['for r1', 'for r1 again']);
        expect((await r2.pending()).map((m) => m.payload.toString())).toEqual(['for r2']);
        await r2.close();
        const r2again = await state.openDevice('r2');
        expect((await r2again.pending()).map((m) => m.payload.toString())).toEqual(['for r2']);
        await r2again.put(intent('r2', 'later')).committed;
        expect((await r2again.pending()).map((m) => m.payload.toString())).toEqual(['for r2', 'later']);
      });

      it('settles many messages, grouped, soon after', async () => {
        const r1 = await (await reopen()).openDevice('r1');
        const entries = Array.from({ length: 50 }, (_, i) => r1.put(intent('r1', String(i))));
        await Promise.all(entries.map((e) => e.committed));
        for (const e of entries) r1.settle(e.seq);
        await expect.poll(async () => (await r1.pending()).length, { timeout: 5000 }).toBe(0);
        const again = await (await reopen()).openDevice('r1');
        expect(await again.pending()).toEqual([]);
      });

      it('refuses writes once the device is closed', async () => {
        const state = await reopen();
        const r1 = await state.openDevice('r1');
        await r1.close();
        expect(() => r1.put(intent('r1', 'late'))).toThrow(/state of device r1 is closed/);
        expect(() => r1.applyProgrammed([path1], [])).toThrow(/state of device r1 is closed/);
      });
    });
  },
  60_000,
);
