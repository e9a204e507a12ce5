import pino from 'pino';
import { describe, expect, it } from 'vitest';
import { DeviceUnavailableError } from '../../src/jet/device.js';
import type { BgpPath } from '../../src/jet/model.js';
import { ProgrammedPaths } from '../../src/state/programmed.js';
import { replayOnReinitialize, replayProgrammed } from '../../src/state/replay.js';
import { FakeDevice, stopAt } from '../pipeline/fake-device.js';

function programmedWith(n: number): ProgrammedPaths {
  const programmed = new ProgrammedPaths();
  for (let i = 0; i < n; i++) {
    const path: BgpPath = { table: 'inet.0', prefix: `10.${i >> 8}.${i & 255}.0`, length: 24, cookie: BigInt(i + 1), nextHops: ['192.0.2.1'] };
    programmed.apply(path);
  }
  return programmed;
}

describe('replayProgrammed', () => {
  it('re-sends every programmed path with Update, at most 1000 per request', async () => {
    const device = new FakeDevice('r1');
    const programmed = programmedWith(2500);
    const summary = await replayProgrammed(device, programmed);

    expect(device.requests.map((r) => [r.op, r.paths.length])).toEqual([
      ['update', 1000],
      ['update', 1000],
      ['update', 500],
    ]);
    expect(summary).toEqual({ requests: 3, replayed: 2500, failed: [] });
    expect(device.routes.size).toBe(2500);
  });

  it('drops a path the router refuses and goes on with the ones after it', async () => {
    const device = new FakeDevice('r1');
    const programmed = programmedWith(5);
    const refused = [...programmed.allPaths()][2]!;
    device.answerNext(stopAt(2, 'NEXTHOP_ADDRESS_INVALID'));
    const summary = await replayProgrammed(device, programmed);

    expect(device.requests.map((r) => r.paths.length)).toEqual([5, 2]);
    expect(summary.replayed).toBe(4);
    expect(summary.failed).toEqual([{ path: refused, status: 'NEXTHOP_ADDRESS_INVALID', jetStatus: 12 }]);
    expect(programmed.size).toBe(4);
    expect([...programmed.allPaths()]).not.toContain(refused);
  });

  it('lets DeviceUnavailableError through, keeping the programmed state', async () => {
    const device = new FakeDevice('r1');
    device.setAvailable(false);
    const programmed = programmedWith(3);
    await expect(replayProgrammed(device, programmed)).rejects.toBeInstanceOf(DeviceUnavailableError);
    expect(programmed.size).toBe(3);
  });
});

describe('replayOnReinitialize', () => {
  it('replays after a fresh Initialize and sends nothing after a rebound one', async () => {
    const device = new FakeDevice('r1');
    replayOnReinitialize(device, programmedWith(3), pino({ level: 'silent' }));

    await device.reinitialize(true);
    expect(device.requests).toEqual([]);
    await device.reinitialize(false);
    expect(device.requests).toHaveLength(1);
    expect(device.routes.size).toBe(3);
  });

  it('sends nothing when nothing is programmed', async () => {
    const device = new FakeDevice('r1');
    replayOnReinitialize(device, new ProgrammedPaths(), pino({ level: 'silent' }));
    await device.reinitialize(false);
    expect(device.requests).toEqual([]);
  });
});
