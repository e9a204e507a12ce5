import { describe, expect, it } from 'vitest';
import type { DeviceStatus } from '../../src/jet/device.js';
import { assessReadiness } from '../../src/http/readiness.js';

const since = new Date('2024-05-01T10:00:00.000Z');

function devices(entries: Record<string, DeviceStatus>): Map<string, DeviceStatus> {
  return new Map(Object.entries(entries));
}

describe('assessReadiness', () => {
  it('is ready when the broker is connected and every device is ready or rebound', () => {
    const report = assessReadiness(true, devices({ r1: { state: 'ready', since }, r2: { state: 'rebound', since } }));
    expect(report.ready).toBe(true);
    expect(report.detail).toEqual({
      mqtt: { connected: true },
      devices: {
        r1: { state: 'ready', since: '2024-05-01T10:00:00.000Z' },
        r2: { state: 'rebound', since: '2024-05-01T10:00:00.000Z' },
      },
    });
  });

  it('is not ready while the broker is disconnected', () => {
    expect(assessReadiness(false, devices({ r1: { state: 'ready', since } })).ready).toBe(false);
  });

  it.each(['connecting', 'down'] as const)('is not ready while a device is %s, and says why', (state) => {
    const report = assessReadiness(
      true,
      devices({ r1: { state: 'ready', since }, r2: { state, since, error: 'connect ECONNREFUSED 10.0.0.9:32767' } }),
    );
    expect(report.ready).toBe(false);
    expect(report.detail.devices.r2).toEqual({
      state,
      since: '2024-05-01T10:00:00.000Z',
      error: 'connect ECONNREFUSED 10.0.0.9:32767',
    });
  });
});
