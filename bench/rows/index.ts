/**
 * Every row of `npm run bench`, in the order they run, and the targets that
 * judge them against their references from the same run (issue 15).
 *
 * To add a row: define it (a RowDefinition, see bench/lib/row.ts and the
 * files beside this one), put it in ROWS after the rows it needs, and give it
 * targets in TARGETS. The table, the JSON record and the README table follow.
 */
import { GIB, int, MIB } from '../lib/format.js';
import type { RowDefinition, TargetDefinition } from '../lib/row.js';
import { DEFAULT_DEBOUNCE_MS } from '../lib/sizes.js';
import { cpuPerItemAtMost, limit, p99AtMost, rateAtLeast } from '../lib/targets.js';
import { bulk, bulkNoop, jetBulk } from './bulk.js';
import { bulkDevices, bulkProcesses } from './cores.js';
import { baseline, coalescing, single, singleSmall, steady } from './intents.js';
import { ceiling, echo, echoSteady, oneWay } from './mqtt.js';

export const ROWS: readonly RowDefinition[] = [
  ceiling,
  oneWay,
  echo,
  echoSteady,
  baseline,
  singleSmall,
  single,
  steady,
  coalescing,
  jetBulk,
  bulk,
  bulkNoop,
  bulkDevices,
  bulkProcesses,
];

export const TARGETS: readonly TargetDefinition[] = [
  rateAtLeast('single-small vs baseline', 'single-small', 'baseline', 10),
  cpuPerItemAtMost('single-small CPU', 'single-small', 'echo', 2),
  rateAtLeast('single vs baseline', 'single', 'baseline', 10),
  cpuPerItemAtMost('single CPU', 'single', 'echo', 2),
  p99AtMost('steady p99', 'steady', 'echo-steady', 3, DEFAULT_DEBOUNCE_MS),
  rateAtLeast('bulk rate', 'bulk', 'jet-bulk', 0.6),
  limit('bulk memory', 'bulk', 'peak RSS <= 1 GiB', (row) => {
    const peak = (row.data as { peakRssBytes?: number } | undefined)?.peakRssBytes ?? Number.NaN;
    return { value: peak, shown: `${int(peak / MIB)} MiB`, pass: peak <= GIB };
  }),
  limit('more cores', 'bulk-4proc', 'bridges use > 1 core', (row) => {
    const cores = (row.data as { bridgeCores?: number } | undefined)?.bridgeCores ?? Number.NaN;
    return { value: cores, shown: `${cores.toFixed(2)} cores`, pass: cores > 1 };
  }),
  rateAtLeast('processes vs one', 'bulk-4proc', 'bulk-4dev', 1),
  limit('coalescing', 'coalescing', 'exactly 1 JET request', (row) => {
    const requests = (row.data as { jetRequests?: number } | undefined)?.jetRequests ?? Number.NaN;
    return { value: requests, shown: `${requests} request(s)`, pass: requests === 1 };
  }),
];
