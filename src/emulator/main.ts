/**
 * `jetbridge emulator`: runs the JET emulator as a process, with its admin HTTP
 * API, its notification publisher and its operational commands. The same stack
 * is available in-process through `startEmulatorStack`, which the bridge's
 * embedded defaults and the tests use.
 */
import { InvalidArgumentError, Option, type Command } from 'commander';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Logger } from 'pino';
import { ExitCode, fail } from '../cli/exit.js';
import { demoCaFileName } from '../jet/demo-tls.js';
import { createLogger } from '../logging.js';
import { startAdminServer, type AdminServer } from './admin-http.js';
import { JetEmulator, type EmulatorOptions } from './emulator.js';
import { startNotifier, type Notifier } from './notify.js';
import { createOpCommandHandler } from './ops.js';

export type DialectChoice = 'both' | 'legacy' | 'jnx';

export interface EmulatorStackOptions {
  /** The gRPC server; `hostname` and `logger` are filled in from below when absent. */
  emulator: EmulatorOptions;
  /** The admin HTTP API; omitted means none. */
  admin?: { host: string; port: number };
  /** The notification publisher; omitted means none. */
  notify?: { url: string; topicRoot?: string };
  /** The router's hostname in `show version` and notifications. */
  hostname: string;
  /** The version `show version` reports. */
  version: string;
  logger: Logger;
}

export interface EmulatorStack {
  emulator: JetEmulator;
  admin?: AdminServer;
  notifier?: Notifier;
  /** Stops the admin API, the emulator, then the notifier; never rejects. */
  stop(): Promise<void>;
}

/** Stops the parts in the order given, logging (not throwing) failures so every part gets its turn. */
async function stopAll(parts: Array<[name: string, stop: () => Promise<void>]>, logger: Logger): Promise<void> {
  for (const [name, stop] of parts) {
    try {
      await stop();
    } catch (error) {
      logger.warn({ err: error }, `stopping the emulator's ${name} failed`);
    }
  }
}

/** Starts the emulator, then its notifier, operational commands and admin API. */
export async function startEmulatorStack(options: EmulatorStackOptions): Promise<EmulatorStack> {
  const { logger } = options;
  const emulator = await JetEmulator.start({ hostname: options.hostname, logger, ...options.emulator });
  const started: Array<[string, () => Promise<void>]> = [['gRPC server', () => emulator.stop()]];
  try {
    const notifier = options.notify
      ? await startNotifier(emulator, { ...options.notify, hostname: options.hostname, logger })
      : undefined;
    if (notifier) started.push(['notifier', () => notifier.stop()]);
    emulator.opCommand = createOpCommandHandler(emulator, { hostname: options.hostname, version: options.version });
    const admin = options.admin
      ? await startAdminServer(emulator, { ...options.admin, logger, ...(notifier && { notifier }) })
      : undefined;
    if (admin) started.unshift(['admin API', () => admin.close()]);
    return {
      emulator,
      ...(admin && { admin }),
      ...(notifier && { notifier }),
      stop: () => stopAll(started, logger),
    };
  } catch (error) {
    await stopAll(started, logger);
    throw error;
  }
}

// ---------------------------------------------------------------------------
// The command line

/** The emulator command's options after parsing and validation. */
export interface EmulatorCommandOptions {
  host: string;
  port: number;
  dialect: DialectChoice;
  users: Record<string, string>;
  purgeTimeoutSeconds: number;
  maxConnections: number;
  tables: string[];
  /** `false` with --no-admin. */
  adminPort: number | false;
  tlsDir?: string;
  notifyMqtt?: string;
  notifyTopicRoot: string;
  hostname: string;
  logLevel: string;
  /** Reported by `show version`. */
  version: string;
}

/** The login accepted when no --user is given; a demo default, announced in the startup log. */
const DEFAULT_USERS = ['jet:secret'];
const LOG_LEVELS = ['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent'];

function parsePort(text: string): number {
  const port = Number(text);
  if (!/^[0-9]+$/.test(text) || port > 65535)
    throw new InvalidArgumentError('expected a TCP port 0..65535 (0 picks a free one)');
  return port;
}

function parseUser(text: string, previous: string[]): string[] {
  const colon = text.indexOf(':');
  if (colon <= 0 || colon === text.length - 1) {
    throw new InvalidArgumentError('expected user:password, both non-empty (e.g. jet:secret)');
  }
  // commander hands the default in as `previous` on the first use; a given --user replaces it.
  return previous === DEFAULT_USERS ? [text] : [...previous, text];
}

function parseSeconds(text: string): number {
  const seconds = Number(text);
  if (text.trim() === '' || !Number.isFinite(seconds) || seconds < 0) {
    throw new InvalidArgumentError('expected seconds, 0 or more (fractions allowed, e.g. 0.5)');
  }
  return seconds;
}

function parseMaxConnections(text: string): number {
  const n = Number(text);
  if (!/^[0-9]+$/.test(text) || n < 1 || n > 30) throw new InvalidArgumentError('expected 1..30, as a router allows');
  return n;
}

function collect(text: string, previous: string[] | undefined): string[] {
  return [...(previous ?? []), text];
}

function parseMqttUrl(text: string): string {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new InvalidArgumentError('expected a broker URL such as mqtt://127.0.0.1:1883');
  }
  if (!['mqtt:', 'mqtts:', 'ws:', 'wss:', 'tcp:', 'tls:'].includes(url.protocol)) {
    throw new InvalidArgumentError(`unsupported scheme ${url.protocol} (use mqtt:, mqtts:, ws: or wss:)`);
  }
  return text;
}

/** `jet:secret` strings into a user → password map; a user given twice is an error. */
function usersOf(pairs: string[]): Record<string, string> {
  const users: Record<string, string> = {};
  for (const pair of pairs) {
    const colon = pair.indexOf(':');
    const user = pair.slice(0, colon);
    if (Object.hasOwn(users, user)) fail(ExitCode.Usage, `--user ${user} is given more than once`);
    users[user] = pair.slice(colon + 1);
  }
  return users;
}

interface RawFlags {
  host: string;
  port: number;
  dialect: DialectChoice;
  user: string[];
  purgeTimeout: number;
  maxConnections: number;
  table?: string[];
  admin: boolean;
  adminPort: number;
  tlsDir?: string;
  notifyMqtt?: string;
  notifyTopicRoot: string;
  hostname: string;
  logLevel: string;
}

/**
 * Adds `jetbridge emulator` to `program`. `run` is what the command does with
 * its parsed options (tests pass their own to check parsing alone).
 */
export function registerEmulatorCommand(
  program: Command,
  run: (options: EmulatorCommandOptions) => Promise<void> = runEmulatorCommand,
): Command {
  return program
    .command('emulator')
    .description(
      "run the JET emulator: a router's JET gRPC server (legacy and jnx dialects) for tests and demos, " +
        'with an admin HTTP API, notifications and operational commands. Not a router.',
    )
    .option('--host <address>', 'address the gRPC and admin ports listen on', '127.0.0.1')
    .option('--port <port>', 'JET gRPC port', parsePort, 32767)
    .addOption(
      new Option('--dialect <dialect>', 'JET API dialect(s) to serve')
        .choices(['both', 'legacy', 'jnx'])
        .default('both'),
    )
    .addOption(
      new Option('--user <user:password>', 'a login the emulator accepts; repeat for more')
        .argParser(parseUser)
        .default(DEFAULT_USERS, DEFAULT_USERS[0]),
    )
    .option('--purge-timeout <seconds>', "how long a dropped client's routes survive", parseSeconds, 120)
    .option('--max-connections <n>', 'concurrent client connections (1..30)', parseMaxConnections, 5)
    .option('--table <name>', 'an extra routing table besides inet.0 and inet6.0; repeatable', collect)
    .option('--admin-port <port>', 'admin HTTP API port (GET /routes, POST /peer-routes, ...)', parsePort, 8181)
    .option('--no-admin', 'do not open the admin HTTP API')
    .option(
      '--tls-dir <dir>',
      'serve TLS with server.crt and server.key from DIR; with ca.crt (or CA.crt) there, require client certificates',
    )
    .option(
      '--notify-mqtt <url>',
      'publish JET notifications (route add/delete jet-events) to this MQTT broker',
      parseMqttUrl,
    )
    .option('--notify-topic-root <root>', 'topic root of the notifications', '/junos/events')
    .option('--hostname <name>', 'router hostname shown by show version and in notifications', 'jet-emulator')
    .addOption(new Option('--log-level <level>', 'log level').choices(LOG_LEVELS).default('info'))
    .action(async (flags: RawFlags) => {
      await run({
        host: flags.host,
        port: flags.port,
        dialect: flags.dialect,
        users: usersOf(flags.user),
        purgeTimeoutSeconds: flags.purgeTimeout,
        maxConnections: flags.maxConnections,
        tables: flags.table ?? [],
        adminPort: flags.admin ? flags.adminPort : false,
        ...(flags.tlsDir !== undefined && { tlsDir: flags.tlsDir }),
        ...(flags.notifyMqtt !== undefined && { notifyMqtt: flags.notifyMqtt }),
        notifyTopicRoot: flags.notifyTopicRoot,
        hostname: flags.hostname,
        logLevel: flags.logLevel,
        version: program.version() ?? 'unknown',
      });
    });
}

/** Reads server.crt, server.key and optional ca.crt (or CA.crt, as the Go demo app names it); a CA turns on mutual TLS. */
export function readTlsDir(dir: string): NonNullable<EmulatorOptions['tls']> {
  const read = (name: string, required: boolean): Buffer | undefined => {
    try {
      return readFileSync(join(dir, name));
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      if (!required && code === 'ENOENT') return undefined;
      return fail(ExitCode.Usage, `--tls-dir ${dir}: cannot read ${name} (${code ?? (error as Error).message})`);
    }
  };
  const cert = read('server.crt', true)!;
  const key = read('server.key', true)!;
  const caName = demoCaFileName(dir);
  const ca = caName === undefined ? undefined : read(caName, false);
  return ca ? { cert, key, ca, requireClientCert: true } : { cert, key };
}

function waitForSignal(): Promise<NodeJS.Signals> {
  return new Promise((resolve) => {
    const onSignal = (signal: NodeJS.Signals) => {
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
      resolve(signal);
    };
    process.on('SIGINT', onSignal);
    process.on('SIGTERM', onSignal);
  });
}

/** Runs the emulator stack until SIGINT or SIGTERM, then stops it and leaves exit code 0. */
export async function runEmulatorCommand(options: EmulatorCommandOptions): Promise<void> {
  const logger = createLogger(options.logLevel);
  const tls = options.tlsDir === undefined ? undefined : readTlsDir(options.tlsDir);
  const stack = await startEmulatorStack({
    emulator: {
      host: options.host,
      port: options.port,
      dialects: options.dialect,
      users: options.users,
      purgeTimeoutMs: Math.round(options.purgeTimeoutSeconds * 1000),
      maxConnections: options.maxConnections,
      tables: options.tables,
      ...(tls && { tls }),
    },
    ...(options.adminPort !== false && { admin: { host: options.host, port: options.adminPort } }),
    ...(options.notifyMqtt !== undefined && {
      notify: { url: options.notifyMqtt, topicRoot: options.notifyTopicRoot },
    }),
    hostname: options.hostname,
    version: options.version,
    logger,
  });
  logger.warn(
    {
      grpc: `${options.host}:${stack.emulator.port}`,
      grpcPort: stack.emulator.port,
      dialects: options.dialect,
      tls: tls ? (tls.requireClientCert ? 'mutual' : 'server') : 'off',
      users: Object.keys(options.users),
      ...(stack.admin && { admin: `http://${options.host}:${stack.admin.port}`, adminPort: stack.admin.port }),
      ...(options.notifyMqtt !== undefined && { notify: options.notifyMqtt }),
    },
    'JET emulator — not a router: listening (Ctrl-C stops it)',
  );
  const signal = await waitForSignal();
  logger.info({ signal }, 'stopping the JET emulator');
  await stack.stop();
  logger.info('emulator stack stopped; exiting');
  process.exitCode = ExitCode.Ok;
}
