/**
 * The flags every MQTT client command shares (--config, --url, --prefix,
 * --mqtt3, --timeout) and the connection they lead to. The broker URL, topic
 * prefix, protocol and credentials come from the bridge's config file unless a
 * flag overrides them, so that the tools talk to the broker the bridge uses.
 */
import { existsSync } from 'node:fs';
import type { Command } from 'commander';
import type { MqttClient } from 'mqtt';
import { Topics } from '../mqtt/topics.js';
import { loadConfigFile } from './config-file.js';
import { EXIT_CODES_HELP, ExitCode, fail } from './exit.js';
import { parseBrokerUrl, parseMilliseconds } from './flag-parsers.js';
import { type CliBrokerOptions, connectCli } from './mqtt-request.js';

/** Read when --config is not given and the file exists. */
const DEFAULT_CONFIG_FILE = 'bridge.config.json';
const DEFAULT_URL = 'mqtt://127.0.0.1:1883';
const DEFAULT_PREFIX = 'jet';

export interface BrokerFlags {
  config?: string;
  url?: string;
  prefix?: string;
  mqtt3?: boolean;
  timeout: number;
}

export interface CliConnection {
  client: MqttClient;
  topics: Topics;
  timeoutMs: number;
}

export function withBrokerFlags(cmd: Command): Command {
  return cmd
    .option(
      '-c, --config <file>',
      `bridge config file to read the broker URL, topic prefix and credentials from (default: ${DEFAULT_CONFIG_FILE} when present)`,
    )
    .option('--url <url>', `MQTT broker URL (overrides the config; default ${DEFAULT_URL})`, parseBrokerUrl)
    .option('--prefix <prefix>', `topic prefix (overrides the config; default "${DEFAULT_PREFIX}")`)
    .option(
      '--mqtt3',
      'use MQTT 3.1.1: replies are matched by id on the public result topic (otherwise MQTT 5, falling back to 3.1.1 when the broker refuses 5)',
    )
    .option('--timeout <ms>', 'how long to wait for each reply', parseMilliseconds, 10_000)
    .addHelpText('after', EXIT_CODES_HELP);
}

function brokerOptions(flags: BrokerFlags): CliBrokerOptions & { prefix: string } {
  const file = flags.config ?? (existsSync(DEFAULT_CONFIG_FILE) ? DEFAULT_CONFIG_FILE : undefined);
  const mqtt = file === undefined ? undefined : loadConfigFile(file).mqtt;
  return {
    url: flags.url ?? mqtt?.url ?? DEFAULT_URL,
    prefix: flags.prefix ?? mqtt?.topicPrefix ?? DEFAULT_PREFIX,
    protocolVersion: flags.mqtt3 ? 4 : (mqtt?.protocolVersion ?? 5),
    fallbackToMqtt3: !flags.mqtt3,
    ...(mqtt?.username !== undefined && { username: mqtt.username }),
    ...(mqtt?.password !== undefined && { password: mqtt.password.value }),
  };
}

/** Connects to the broker; an unreachable broker stops the command with exit code 3. */
export async function connect(flags: BrokerFlags): Promise<CliConnection> {
  const opts = brokerOptions(flags);
  let topics: Topics;
  try {
    topics = new Topics(opts.prefix);
  } catch (err) {
    return fail(ExitCode.Usage, `--prefix: ${(err as Error).message}`);
  }
  const onFallback = () =>
    process.stderr.write(
      `jetbridge: ${opts.url} does not speak MQTT 5 (the embedded broker does not); using MQTT 3.1.1\n`,
    );
  try {
    return { client: await connectCli(opts, onFallback), topics, timeoutMs: flags.timeout };
  } catch (err) {
    return fail(ExitCode.Unreachable, `cannot connect to ${opts.url}: ${(err as Error).message}`);
  }
}
