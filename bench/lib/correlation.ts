/**
 * The MQTT 5 correlation data the bench stamps on every request: which message
 * it is and when it was published. The bridge, the baseline and the echo peer
 * copy it into their reply, and the sink peer reads it on arrival, so every
 * process measures latency from the same two numbers without shared state.
 *
 * The clock is `process.hrtime` (CLOCK_MONOTONIC on Linux), which all
 * processes on one machine share.
 */

/** 4 bytes of message number, 8 bytes of publish time in milliseconds. */
export const CORRELATION_BYTES = 12;

export interface Stamp {
  /** The message's number in its scenario, from 0. */
  seq: number;
  /** Monotonic milliseconds when the request was published. */
  sentMs: number;
}

/** Monotonic milliseconds, comparable between processes on this machine. */
export function monotonicMs(): number {
  return Number(process.hrtime.bigint()) / 1e6;
}

export function encodeStamp(seq: number, sentMs: number): Buffer {
  const buffer = Buffer.allocUnsafe(CORRELATION_BYTES);
  buffer.writeUInt32BE(seq, 0);
  buffer.writeDoubleBE(sentMs, 4);
  return buffer;
}

/** The stamp in a reply's correlation data, or undefined when it carries none the bench wrote. */
export function decodeStamp(data: Buffer | undefined): Stamp | undefined {
  if (data === undefined || data.length !== CORRELATION_BYTES) return undefined;
  return { seq: data.readUInt32BE(0), sentMs: data.readDoubleBE(4) };
}
