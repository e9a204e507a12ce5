/**
 * The flags every MQTT client command shares and the connection they lead to.
 * The broker URL, topic prefix, protocol, credentials and TLS settings come
 * from the bridge's config file (so the tools talk to the broker the bridge
 * uses, as the bridge does), unless a flag overrides them. The credential and
 * TLS flags are the mosquitto clients' (`-u`, `-P`, `--cafile`, `--cert`,
 * `--key`, `--insecure`), so a mosquitto_pub command line carries over.
 *
 * Every command names its device the same way: `-d <name>`, or (for the
 * commands whose first argument can only be a device) that argument; a config
 * with one device makes it the default.
 */
import { existsSync, readFileSync } from 'node:fs';
import type { Command } from 'commander';
import type { MqttConfig } from '../config/schema.js';
import { Topics } from '../mqtt/topics.js';
import type { MqttClient } from 'mqtt';
import { loadConfigFile } from './config-file.js';
import { EXIT_CODES_HELP, ExitCode, fail } from './exit.js';
import { parseBrokerUrl, parseMilliseconds } from './flag-parsers.js';
import { type CliBrokerOptions, type CliTlsOptions, connectCli } from './mqtt-request.js';

/** Read when --config is not given and the file exists. */
const DEFAULT_CONFIG_FILE = 'bridge.config.json';
const DEFAULT_URL = 'mqtt://127.0.0.1:1883';
const DEFAULT_PREFIX = 'jet';
const TLS_URL = /^(mqtts|ssl|tls|wss):/;

export interface BrokerFlags {
  config?: string;
  url?: string;
  prefix?: string;
  mqtt3?: boolean;
  timeout: number;
  username?: string;
  password?: string;
  cafile?: string;
  cert?: string;
  key?: string;
  insecure?: boolean;
  device?: string;
}

export interface CliConnection {
  client: MqttClient;
  topics: Topics;
  timeoutMs: number;
  /** The device the command addresses. */
  device: string;
}

/** Adds `-d, --device`, for the commands that take the device as a flag only. */
export function withDeviceFlag(cmd: Command): Command {
  return cmd.option('-d, --device <name>', "device name (default: the config file's only device)");
}

export function withBrokerFlags(cmd: Command): Command {
  return cmd
    .option(
      '-c, --config <file>',
      `bridge config file to read the broker URL, topic prefix, credentials and TLS from (default: ${DEFAULT_CONFIG_FILE} when present)`,
    )
    .option('--url <url>', `MQTT broker URL (overrides the config; default ${DEFAULT_URL})`, parseBrokerUrl)
    .option('--prefix <prefix>', `topic prefix (overrides the config; default "${DEFAULT_PREFIX}")`)
    .option('-u, --username <name>', 'broker user name (overrides mqtt.username)')
    .option('-P, --password <password>', 'broker password (overrides mqtt.password)')
    .option('--cafile <file>', 'CA certificate(s) to trust for the broker (PEM; overrides mqtt.tls.ca)')
    .option('--cert <file>', 'client certificate for mutual TLS (PEM; with --key; overrides mqtt.tls.cert)')
    .option('--key <file>', 'private key of --cert (PEM; overrides mqtt.tls.key)')
    .option('--insecure', "do not check that the broker certificate's host name matches the URL's")
    .option(
      '--mqtt3',
      'use MQTT 3.1.1: replies are matched by id on the public result topic (otherwise MQTT 5, falling back to 3.1.1 when the broker refuses 5)',
    )
    .option('--timeout <ms>', 'how long to wait for each reply', parseMilliseconds, 10_000)
    .addHelpText('after', EXIT_CODES_HELP);
}

interface ConfigView {
  mqtt?: MqttConfig;
  devices: string[];
}

function readConfig(flags: BrokerFlags): ConfigView {
  const file = flags.config ?? (existsSync(DEFAULT_CONFIG_FILE) ? DEFAULT_CONFIG_FILE : undefined);
  if (file === undefined) return { devices: [] };
  const config = loadConfigFile(file);
  return { mqtt: config.mqtt, devices: config.devices.map((device) => device.name) };
}

/** The device a command addresses: `-d`, else the positional argument, else the config's only device. */
export function chooseDevice(flag: string | undefined, positional: string | undefined, configured: string[]): string {
  if (flag !== undefined && positional !== undefined && flag !== positional)
    fail(ExitCode.Usage, `two devices given: ${positional} and -d ${flag}; give one`);
  const device = flag ?? positional ?? (configured.length === 1 ? configured[0] : undefined);
  if (device !== undefined) return device;
  const which = configured.length > 1 ? ` (the config has ${configured.join(', ')})` : '';
  return fail(ExitCode.Usage, `which device? give -d <name>${which}`);
}

function readPem(file: string, flag: string): Buffer {
  try {
    return readFileSync(file);
  } catch (err) {
    return fail(ExitCode.Usage, `${flag}: cannot read ${file} (${(err as NodeJS.ErrnoException).code ?? err})`);
  }
}

/** TLS settings: the flags' files over the config's, or undefined when neither asks for TLS. */
function tlsOptions(flags: BrokerFlags, url: string, config: MqttConfig['tls']): CliTlsOptions | undefined {
  const fromFlags = flags.cafile !== undefined || flags.cert !== undefined || flags.key !== undefined;
  if (fromFlags && !TLS_URL.test(url))
    fail(ExitCode.Usage, `--cafile, --cert and --key need a TLS broker URL (mqtts:// or wss://), not ${url}`);
  if ((flags.cert === undefined) !== (flags.key === undefined)) fail(ExitCode.Usage, '--cert and --key go together');
  if (!fromFlags && config === undefined && !flags.insecure) return undefined;
  const files = {
    ca: flags.cafile
      ? { file: flags.cafile, flag: '--cafile' }
      : config?.ca && { file: config.ca, flag: 'mqtt.tls.ca' },
    cert: flags.cert
      ? { file: flags.cert, flag: '--cert' }
      : config?.cert && { file: config.cert, flag: 'mqtt.tls.cert' },
    key: flags.key ? { file: flags.key, flag: '--key' } : config?.key && { file: config.key, flag: 'mqtt.tls.key' },
  };
  return {
    ...(files.ca && { ca: readPem(files.ca.file, files.ca.flag) }),
    ...(files.cert && { cert: readPem(files.cert.file, files.cert.flag) }),
    ...(files.key && { key: readPem(files.key.file, files.key.flag) }),
    rejectUnauthorized: config?.rejectUnauthorized ?? true,
    ...(config?.servername !== undefined && { servername: config.servername }),
    checkHostname: !flags.insecure,
  };
}

function brokerOptions(flags: BrokerFlags, mqtt: MqttConfig | undefined): CliBrokerOptions {
  const url = flags.url ?? mqtt?.url ?? DEFAULT_URL;
  const password = flags.password ?? mqtt?.password?.value;
  const username = flags.username ?? mqtt?.username;
  const tls = tlsOptions(flags, url, mqtt?.tls);
  return {
    url,
    protocolVersion: flags.mqtt3 ? 4 : (mqtt?.protocolVersion ?? 5),
    fallbackToMqtt3: !flags.mqtt3,
    ...(username !== undefined && { username }),
    ...(password !== undefined && { password }),
    ...(tls !== undefined && { tls }),
  };
}

function topicsFor(prefix: string): Topics {
  try {
    return new Topics(prefix);
  } catch (err) {
    return fail(ExitCode.Usage, `--prefix: ${(err as Error).message}`);
  }
}

/**
 * Settles the device and connects to the broker; bad flags stop the command with
 * exit code 2 before anything is sent, an unreachable broker with exit code 3.
 */
export async function connect(flags: BrokerFlags, positionalDevice?: string): Promise<CliConnection> {
  const config = readConfig(flags);
  const device = chooseDevice(flags.device, positionalDevice, config.devices);
  const topics = topicsFor(flags.prefix ?? config.mqtt?.topicPrefix ?? DEFAULT_PREFIX);
  // Checks the device name as a topic level before connecting.
  topicsOrFail(() => topics.intent(device));
  const opts = brokerOptions(flags, config.mqtt);
  const onFallback = () =>
    process.stderr.write(
      `jetbridge: ${opts.url} does not speak MQTT 5 (the embedded broker does not); using MQTT 3.1.1\n`,
    );
  try {
    return { client: await connectCli(opts, onFallback), topics, timeoutMs: flags.timeout, device };
  } catch (err) {
    return fail(ExitCode.Unreachable, `cannot connect to ${opts.url}: ${(err as Error).message}`);
  }
}

function topicsOrFail(build: () => string): void {
  try {
    build();
  } catch (err) {
    fail(ExitCode.Usage, (err as Error).message);
  }
}
