/**
 * What a dialect codec must provide: the mapping between the neutral route model
 * and one dialect's protobuf messages, in both directions (the bridge encodes
 * requests and decodes replies; the emulator does the reverse).
 */
import type { BgpPath, DialectName, MonitorOp, PathMatch } from '../model.js';

/** A path as read off the wire, before validation: the emulator checks it. */
export interface WirePath extends BgpPath {
  family: 'inet' | 'inet6' | 'other';
}

export interface WireMatch extends PathMatch {
  family?: 'inet' | 'inet6' | 'other';
}

export interface DialectCodec<Entry, Match> {
  readonly dialect: DialectName;
  encodePath(path: BgpPath): Entry;
  decodePath(entry: Entry): WirePath;
  encodeMatch(match: PathMatch): Match;
  decodeMatch(match: Match | undefined): WireMatch;
  /** Enum number of a route-operation status name, or undefined when this dialect lacks it. */
  operStatusCode(name: string): number | undefined;
  operStatusName(code: number): string;
  monitorOpCode(op: MonitorOp): number;
  monitorOpOf(code: number): MonitorOp;
}
