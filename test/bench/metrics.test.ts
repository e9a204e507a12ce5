import { describe, expect, it } from 'vitest';
import { processCpuMs, processMemory, sumSamples } from '../../bench/lib/metrics.js';

const EXPOSITION = [
  '# HELP jetbridge_jet_request_seconds JET request time',
  '# TYPE jetbridge_jet_request_seconds histogram',
  'jetbridge_jet_request_seconds_bucket{le="0.01",device="r1",op="update"} 1',
  'jetbridge_jet_request_seconds_count{device="r1",op="update"} 3',
  'jetbridge_jet_request_seconds_count{device="r1",op="remove"} 2',
  'jetbridge_jet_request_seconds_count_total 99',
  'jetbridge_mqtt_connected 1',
].join('\n');

describe('sumSamples', () => {
  it('adds every label set of exactly the named metric', () => {
    expect(sumSamples(EXPOSITION, 'jetbridge_jet_request_seconds_count')).toBe(5);
    expect(sumSamples(EXPOSITION, 'jetbridge_mqtt_connected')).toBe(1);
    expect(sumSamples(EXPOSITION, 'jetbridge_batch_size_count')).toBe(0);
  });

  it('says which line it cannot read', () => {
    expect(() => sumSamples('jetbridge_x{a="b"} oops', 'jetbridge_x')).toThrow(/jetbridge_x\{a="b"\} oops/);
  });
});

describe('/proc readings', () => {
  it('reads this process: a peak RSS at least its RSS, and CPU time that grows with work', () => {
    const memory = processMemory(process.pid);
    expect(memory.rssBytes).toBeGreaterThan(0);
    expect(memory.peakRssBytes).toBeGreaterThanOrEqual(memory.rssBytes);
    const before = processCpuMs(process.pid);
    const until = Date.now() + 50;
    while (Date.now() < until);
    expect(processCpuMs(process.pid)).toBeGreaterThan(before);
  });
});
