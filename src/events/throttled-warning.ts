/**
 * A warning that can happen thousands of times a second (events dropped,
 * malformed notifications) logged as counts: the first occurrence right away,
 * then at most one line per interval saying how many happened since the last
 * line, by cause. Nothing is left out of the counts; only the lines are fewer.
 */
import type { Logger } from 'pino';
import { Subject, throttleTime, type Subscription } from 'rxjs';

const DEFAULT_WARNING_INTERVAL_MS = 10_000;

export interface ThrottledWarningOptions {
  log: Logger;
  /** Follows the count in each line: `"3 " + message`. */
  message: string;
  /** Fields describing the current state (for example a running total), added to every line. */
  context?: () => Record<string, unknown>;
  intervalMs?: number;
}

export class ThrottledWarning<Cause extends string> {
  private readonly occurred = new Subject<void>();
  private readonly logging: Subscription;
  private counts = new Map<Cause, number>();
  private detail: Record<string, unknown> = {};
  private stopped = false;

  constructor(private readonly options: ThrottledWarningOptions) {
    this.logging = this.occurred
      .pipe(
        throttleTime(options.intervalMs ?? DEFAULT_WARNING_INTERVAL_MS, undefined, { leading: true, trailing: true }),
      )
      .subscribe(() => this.flush());
  }

  /** Counts `count` occurrences of `cause`; `detail` (for example the last error) goes on the next line. */
  note(cause: Cause, count = 1, detail: Record<string, unknown> = {}): void {
    this.counts.set(cause, (this.counts.get(cause) ?? 0) + count);
    this.detail = { ...this.detail, ...detail };
    // After stop() there is no timer: say it at once rather than never.
    if (this.stopped) this.flush();
    else this.occurred.next();
  }

  /** Logs what was counted since the last line, if anything. */
  flush(): void {
    if (this.counts.size === 0) return;
    const byCause = Object.fromEntries(this.counts);
    const count = [...this.counts.values()].reduce((sum, n) => sum + n, 0);
    const { log, message, context } = this.options;
    log.warn({ count, byCause, ...this.detail, ...context?.() }, `${count} ${message}`);
    this.counts = new Map();
    this.detail = {};
  }

  /** Logs what is pending and stops the timer. */
  stop(): void {
    this.stopped = true;
    this.logging.unsubscribe();
    this.flush();
  }
}
