/**
 * The programmed-state store on a thread of its own.
 *
 * Writing a confirmed batch to SQLite is the largest single cost of a
 * 1000-route request on the bridge's event loop (two microseconds a route, a
 * tenth of the whole). Handing the batch to a worker thread costs the event
 * loop a fifth of that; the writing then runs beside it, on another core when
 * there is one. The guarantee does not change: `apply` resolves once the batch
 * is committed, and the pipeline publishes a result only after that.
 *
 * Requests are served in the order they are made, so the file always holds a
 * prefix of the confirmed batches. If the thread dies, every pending and later
 * request rejects with the reason; routes are still programmed on the router,
 * and the next start's reconciliation works from the router's own view.
 *
 * The thread keeps the process alive only while a request waits for it, so
 * a bridge that fails to start still exits.
 */
import { Worker } from 'node:worker_threads';
import type { BgpPath, PathKey } from '../jet/model.js';
import type { ProgrammedStore } from './store.js';

export type StoreRequest =
  | { kind: 'apply'; id: number; device: string; upserts: readonly BgpPath[]; removes: readonly PathKey[] }
  | { kind: 'load'; id: number; device: string }
  | { kind: 'close' };

export type StoreReply =
  | { kind: 'ready' }
  | { kind: 'open-failed'; error: string }
  | { kind: 'done'; id: number }
  | { kind: 'loaded'; id: number; paths: BgpPath[] }
  | { kind: 'failed'; id: number; error: string }
  | { kind: 'closed' };

interface Pending {
  resolve(paths: BgpPath[] | undefined): void;
  reject(error: Error): void;
}

/**
 * The worker's entry next to this module: store-worker.js in the build. From
 * the TypeScript sources (tests, tsx) it is the .ts file, which the thread
 * loads after registering tsx (Node 20 does not pass `--import` hooks on to a
 * worker's entry).
 */
function startWorker(file: string): Worker {
  const options = { workerData: { file } };
  if (!import.meta.url.endsWith('.ts')) return new Worker(new URL('./store-worker.js', import.meta.url), options);
  const tsx = JSON.stringify(import.meta.resolve('tsx/esm/api'));
  const entry = JSON.stringify(new URL('./store-worker.ts', import.meta.url).href);
  return new Worker(`import(${tsx}).then((tsx) => { tsx.register(); return import(${entry}); });`, {
    ...options,
    eval: true,
  });
}

export class ThreadedProgrammedStore implements ProgrammedStore {
  private readonly pending = new Map<number, Pending>();
  private nextId = 1;
  /** Why the thread can no longer serve; set once. */
  private broken: Error | undefined;
  private closing: Promise<void> | undefined;

  private constructor(private readonly worker: Worker) {
    worker.on('message', (reply: StoreReply) => this.onReply(reply));
    worker.on('error', (error) => this.fail(new Error(`the state store thread failed: ${error.message}`)));
    worker.on('exit', (code) => this.fail(new Error(`the state store thread exited (code ${code})`)));
  }

  /** Opens `file` on a new thread; rejects when it cannot be opened. */
  static open(file: string): Promise<ThreadedProgrammedStore> {
    const worker = startWorker(file);
    return new Promise((resolve, reject) => {
      const onExit = (code: number) =>
        reject(new Error(`the state store thread exited (code ${code}) before opening ${file}`));
      const onError = (error: Error) => reject(new Error(`the state store thread failed: ${error.message}`));
      worker.once('exit', onExit);
      worker.once('error', onError);
      worker.once('message', (first: StoreReply) => {
        worker.off('exit', onExit);
        worker.off('error', onError);
        if (first.kind === 'ready') {
          worker.unref();
          resolve(new ThreadedProgrammedStore(worker));
        } else {
          void worker.terminate();
          reject(
            new Error(`cannot open the state file ${file}: ${first.kind === 'open-failed' ? first.error : first.kind}`),
          );
        }
      });
    });
  }

  /** Every path recorded for `device`. */
  async load(device: string): Promise<BgpPath[]> {
    return (await this.request({ kind: 'load', id: this.nextId++, device })) ?? [];
  }

  async apply(device: string, upserts: readonly BgpPath[], removes: readonly PathKey[]): Promise<void> {
    if (upserts.length === 0 && removes.length === 0) return;
    await this.request({ kind: 'apply', id: this.nextId++, device, upserts, removes });
  }

  /** Finishes the requests made so far, closes the file and ends the thread. */
  close(): Promise<void> {
    this.closing ??= (async () => {
      if (this.broken !== undefined) return;
      const closed = new Promise<void>((resolve) => this.worker.once('exit', () => resolve()));
      this.worker.ref();
      this.worker.postMessage({ kind: 'close' } satisfies StoreRequest);
      await closed;
    })();
    return this.closing;
  }

  private request(request: Exclude<StoreRequest, { kind: 'close' }>): Promise<BgpPath[] | undefined> {
    if (this.broken !== undefined) return Promise.reject(this.broken);
    if (this.closing !== undefined) return Promise.reject(new Error('the state store is closed'));
    return new Promise((resolve, reject) => {
      if (this.pending.size === 0) this.worker.ref();
      this.pending.set(request.id, { resolve, reject });
      this.worker.postMessage(request);
    });
  }

  private onReply(reply: StoreReply): void {
    if (reply.kind !== 'done' && reply.kind !== 'loaded' && reply.kind !== 'failed') return;
    const pending = this.pending.get(reply.id);
    this.pending.delete(reply.id);
    if (this.pending.size === 0) this.worker.unref();
    if (reply.kind === 'failed') pending?.reject(new Error(reply.error));
    else pending?.resolve(reply.kind === 'loaded' ? reply.paths : undefined);
  }

  private fail(error: Error): void {
    // A clean close ends the thread too; only requests still waiting then need the reason.
    this.broken ??= error;
    for (const pending of this.pending.values()) pending.reject(error);
    this.pending.clear();
  }
}
