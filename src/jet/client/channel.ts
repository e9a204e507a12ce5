/**
 * How the bridge opens the one gRPC channel it keeps per router: credentials
 * (insecure, TLS, mutual TLS), channel options, and noticing when the
 * connection is gone.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  connectivityState,
  credentials,
  type ChannelCredentials,
  type ChannelInterface,
  type ChannelOptions,
} from '@grpc/grpc-js';
import { demoCaFileName } from '../demo-tls.js';

/** TLS material as file paths. A client certificate and its key go together (mutual TLS). */
export interface JetTlsOptions {
  /** CA that signed the router's certificate; the system roots when absent. */
  caFile?: string;
  certFile?: string;
  keyFile?: string;
  /** Name to check the router's certificate against when it differs from the address. */
  serverName?: string;
}

export interface KeepaliveOptions {
  timeMs: number;
  timeoutMs: number;
}

export interface JetChannelOptions {
  /** `host:port` of the router's JET server. */
  address: string;
  credentials: ChannelCredentials;
  serverName?: string;
  keepalive?: KeepaliveOptions;
}

/**
 * gRPC C-core servers such as the router's refuse pings more often than every
 * five minutes on a quiet connection (and then close it), so that is the default.
 */
export const DEFAULT_KEEPALIVE: KeepaliveOptions = { timeMs: 300_000, timeoutMs: 20_000 };

/** grpc-js's longest timer; used to keep an idle channel from closing its connection. */
const LONGEST_TIMER_MS = 2 ** 31 - 1;

/**
 * The file layout of the 2018 JET demo apps: `ca.crt` (or the Go app's
 * `CA.crt`), `client.crt`, `client.key` in one folder. With neither CA file
 * there, `ca.crt` is named, so the read fails naming it.
 */
export function demoAppTls(dir: string, serverName?: string): JetTlsOptions {
  const tls: JetTlsOptions = {
    caFile: join(dir, demoCaFileName(dir) ?? 'ca.crt'),
    certFile: join(dir, 'client.crt'),
    keyFile: join(dir, 'client.key'),
  };
  if (serverName !== undefined) tls.serverName = serverName;
  return tls;
}

function readPem(field: keyof JetTlsOptions, path: string): Buffer {
  try {
    return readFileSync(path);
  } catch (err) {
    throw new Error(`tls.${field}: cannot read ${path}: ${(err as Error).message}`);
  }
}

/** Insecure credentials without `tls`; otherwise TLS, with a client certificate when given. */
export function channelCredentials(tls?: JetTlsOptions): ChannelCredentials {
  if (!tls) return credentials.createInsecure();
  if ((tls.certFile === undefined) !== (tls.keyFile === undefined)) {
    throw new Error('tls.certFile and tls.keyFile must be given together (mutual TLS needs both)');
  }
  return credentials.createSsl(
    tls.caFile === undefined ? null : readPem('caFile', tls.caFile),
    tls.keyFile === undefined ? null : readPem('keyFile', tls.keyFile),
    tls.certFile === undefined ? null : readPem('certFile', tls.certFile),
  );
}

export function channelOptions(options: JetChannelOptions): ChannelOptions {
  const keepalive = options.keepalive ?? DEFAULT_KEEPALIVE;
  const channel: ChannelOptions = {
    // The router authenticates a TCP connection, not a call: two sessions to one
    // address must never share a connection from grpc-js's global pool.
    'grpc.use_local_subchannel_pool': 1,
    // An idle channel drops its connection, which starts the router's purge timer.
    'grpc.client_idle_timeout_ms': LONGEST_TIMER_MS,
    'grpc.keepalive_time_ms': keepalive.timeMs,
    'grpc.keepalive_timeout_ms': keepalive.timeoutMs,
    'grpc.keepalive_permit_without_calls': 1,
    // Room for a Get stream of many routes to arrive without waiting on each 64 KiB window.
    'grpc-node.flow_control_window': 4 * 1024 * 1024,
  };
  if (options.serverName !== undefined) channel['grpc.ssl_target_name_override'] = options.serverName;
  return channel;
}

/**
 * Resolves once the channel leaves READY (connection dropped, closed by the
 * server or by us), with the new state's name. Resolves at once when not READY.
 */
export function whenNotReady(channel: ChannelInterface): Promise<string> {
  return new Promise((resolve) => {
    const check = (): void => {
      const state = channel.getConnectivityState(false);
      if (state !== connectivityState.READY) {
        resolve(connectivityState[state]);
        return;
      }
      channel.watchConnectivityState(state, Infinity, check);
    };
    check();
  });
}
