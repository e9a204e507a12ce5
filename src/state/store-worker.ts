/**
 * The thread that owns the programmed-state file (see threaded-store.ts):
 * it opens a SqliteProgrammedStore on `workerData.file` and serves requests
 * from the bridge's main thread, one at a time, in the order they came.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { SqliteProgrammedStore } from './store.js';
import type { StoreReply, StoreRequest } from './threaded-store.js';

const port = parentPort;
if (port === null) throw new Error('store-worker.ts runs as a worker thread of the bridge');

const reply = (message: StoreReply): void => port.postMessage(message);
const reason = (error: unknown): string => (error instanceof Error ? error.message : String(error));

let store: SqliteProgrammedStore | undefined;
try {
  store = new SqliteProgrammedStore((workerData as { file: string }).file);
  reply({ kind: 'ready' });
} catch (error) {
  reply({ kind: 'open-failed', error: reason(error) });
}

port.on('message', (request: StoreRequest) => {
  if (store === undefined) return;
  if (request.kind === 'close') {
    store.close();
    store = undefined;
    reply({ kind: 'closed' });
    port.close();
    return;
  }
  try {
    if (request.kind === 'apply') {
      store.apply(request.device, request.upserts, request.removes);
      reply({ kind: 'done', id: request.id });
    } else {
      reply({ kind: 'loaded', id: request.id, paths: store.load(request.device) });
    }
  } catch (error) {
    reply({ kind: 'failed', id: request.id, error: reason(error) });
  }
});
