/** The two dialect codecs, looked up by name. */
import type { DialectName } from '../model.js';
import { jnxCodec } from './jnx.js';
import { legacyCodec } from './legacy.js';

export { jnxCodec, legacyCodec };
export type { DialectCodec, WireMatch, WirePath } from './types.js';

export const codecs = { legacy: legacyCodec, jnx: jnxCodec } as const;

export function codecFor(dialect: DialectName) {
  return codecs[dialect];
}
