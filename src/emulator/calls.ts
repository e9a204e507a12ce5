/**
 * grpc-js plumbing shared by the emulator's services: handler wrappers that turn
 * every failure into a gRPC status (a bad request never crashes the emulator or
 * leaves a call hanging), and a server-stream writer that honours backpressure.
 */
import * as grpc from '@grpc/grpc-js';
import type { Logger } from 'pino';
import type { MonitorEntry } from '../jet/model.js';
import type { MonitorSink } from './monitor.js';

/** A failure to answer with a gRPC status rather than a JET status (no login, faults). */
export class RpcError extends Error {
  override readonly name = 'RpcError';
  constructor(
    readonly code: grpc.status,
    message: string,
  ) {
    super(message);
  }
}

function toStatus(error: unknown, log: Logger, method: string): Partial<grpc.StatusObject> {
  if (error instanceof RpcError) return { code: error.code, details: error.message };
  log.error({ err: error, method }, 'handler failed');
  return { code: grpc.status.INTERNAL, details: `internal error in ${method}: ${(error as Error).message}` };
}

/** A unary handler from an async function; a thrown error becomes the call's status. */
export function unary<Req, Res>(
  log: Logger,
  handle: (call: grpc.ServerUnaryCall<Req, Res>) => Promise<Res>,
): grpc.handleUnaryCall<Req, Res> {
  return (call, callback) => {
    handle(call).then(
      (reply) => callback(null, reply),
      (error: unknown) => callback(toStatus(error, log, call.getPath())),
    );
  };
}

/** A server-streaming handler from an async function; a thrown error ends the stream with that status. */
export function serverStream<Req, Res>(
  log: Logger,
  handle: (call: grpc.ServerWritableStream<Req, Res>) => Promise<void>,
): grpc.handleServerStreamingCall<Req, Res> {
  return (call) => {
    handle(call).catch((error: unknown) => {
      const status = toStatus(error, log, call.getPath());
      if (!call.writableEnded && !call.destroyed) call.emit('error', status);
    });
  };
}

/** Writes replies to a server stream, waiting for 'drain' when grpc-js's buffer is full. */
export class StreamWriter<Res> {
  constructor(private readonly call: grpc.ServerWritableStream<unknown, Res>) {}

  /** True once the stream ended or the client went away: writing more is pointless. */
  get closed(): boolean {
    return this.call.cancelled || this.call.writableEnded || this.call.destroyed;
  }

  /** Writes one reply; false means wait for `drained()` before the next. */
  write(reply: Res): boolean {
    if (this.closed) return true;
    return this.call.write(reply);
  }

  drained(): Promise<void> {
    if (this.closed || !this.call.writableNeedDrain) return Promise.resolve();
    return new Promise((resolve) => {
      const done = (): void => {
        this.call.off('drain', done);
        this.call.off('close', done);
        resolve();
      };
      this.call.on('drain', done);
      this.call.on('close', done);
    });
  }

  /** Encodes and writes one reply per item, pausing whenever the transport is full. */
  async writeEach<T>(items: Iterable<T>, encode: (item: T) => Res): Promise<void> {
    for (const item of items) {
      if (this.closed) return;
      if (!this.write(encode(item))) await this.drained();
    }
  }

  end(): void {
    if (!this.closed) this.call.end();
  }
}

/** A Monitor/Subscribe sink writing each batch of entries as one reply of the dialect's shape. */
export function monitorSink<Res>(writer: StreamWriter<Res>, encode: (entries: MonitorEntry[]) => Res): MonitorSink {
  return {
    write: (entries) => writer.write(encode(entries)),
    drained: () => writer.drained(),
    end: () => writer.end(),
    get closed() {
      return writer.closed;
    },
  };
}
