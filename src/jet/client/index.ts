/** Opens a JET connection in the dialect a device speaks; callers see only JetRpc. */
import type { DialectName } from '../model.js';
import type { JetChannelOptions } from './channel.js';
import { JnxJetRpc } from './jnx.js';
import { LegacyJetRpc } from './legacy.js';
import type { JetRpc } from './types.js';

export { channelCredentials, demoAppTls, DEFAULT_KEEPALIVE } from './channel.js';
export type { JetChannelOptions, JetTlsOptions, KeepaliveOptions } from './channel.js';
export { JetStatusError } from './types.js';
export type { JetRpc, LoginOutcome, OperRequest } from './types.js';

/** A new channel to the router (it connects on the first call). */
export function createJetRpc(dialect: DialectName, options: JetChannelOptions): JetRpc {
  return dialect === 'legacy' ? new LegacyJetRpc(options) : new JnxJetRpc(options);
}
