/**
 * Runs a number of random schedules from a seed and reports the figures. The
 * same seed and count give the same schedules, so a failure printed by CI is
 * replayed with `npm run test:convergence -- --runs N --seed S` (and
 * `--only K` for the K-th schedule alone).
 */
import fc from 'fast-check';
import type { Logger } from 'pino';
import { Figures, runSchedule, type Step, scheduleArbitrary } from './schedule.js';

export interface SuiteOptions {
  runs: number;
  seed: number;
  /** Runs only the schedule with this index (0-based) of the sequence. */
  only?: number;
  logger?: Logger;
  /** Told about every schedule that diverged; the run goes on. */
  onDivergence?: (index: number, steps: readonly Step[], error: Error) => void;
  /** Told after every schedule. */
  onProgress?: (done: number, figures: Figures) => void;
}

export interface SuiteReport {
  figures: Figures;
  failures: Array<{ index: number; error: string }>;
  seconds: number;
}

export async function runSuite(options: SuiteOptions): Promise<SuiteReport> {
  const started = Date.now();
  const figures = new Figures();
  const failures: SuiteReport['failures'] = [];
  const schedules = fc.sample(scheduleArbitrary, { numRuns: options.runs, seed: options.seed });
  for (const [index, steps] of schedules.entries()) {
    if (options.only !== undefined && index !== options.only) continue;
    try {
      await runSchedule(steps, figures, options.logger);
    } catch (error) {
      const err = error instanceof Error ? error : new Error(String(error));
      failures.push({ index, error: err.message });
      options.onDivergence?.(index, steps, err);
    }
    options.onProgress?.(index + 1, figures);
  }
  return { figures, failures, seconds: (Date.now() - started) / 1000 };
}
