/** Number formats the bench's rows and tables share. */
import type { LatencySummary } from './stats.js';

export const MIB = 1024 ** 2;
export const GIB = 1024 ** 3;

export const int = (n: number): string => (Number.isFinite(n) ? Math.round(n).toLocaleString('en-US') : 'n/a');
export const ms = (n: number): string => `${n < 10 ? n.toFixed(1) : int(n)} ms`;

export function latencyText({ p50Ms, p99Ms }: Pick<LatencySummary, 'p50Ms' | 'p99Ms'>): string {
  return `p50 ${ms(p50Ms)}, p99 ${ms(p99Ms)}`;
}
