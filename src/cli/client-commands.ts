/**
 * The commands that talk to a running bridge over MQTT, as any publisher would:
 * `send`, `watch`, `routes` and `apply`. They read the broker URL and topic prefix
 * from the bridge's config file (or --url / --prefix) and never touch the router.
 */
import { randomUUID } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { SingleBar } from 'cli-progress';
import { type Command, Option } from 'commander';
import type { MqttClient } from 'mqtt';
import { loadConfig } from '../config/load.js';
import type { ResultMessage } from '../mqtt/results.js';
import { Topics } from '../mqtt/topics.js';
import { readRoutesFile } from '../intent/routes-file.js';
import { ExitCode, fail } from './exit.js';
import { type CliBrokerOptions, connectCli, Requester, RequestTimeoutError } from './mqtt-request.js';

interface BrokerFlags {
  config: string;
  url?: string;
  prefix?: string;
  mqtt3?: boolean;
  timeout: string;
}

function brokerOptions(flags: BrokerFlags): CliBrokerOptions & { prefix: string } {
  let url = flags.url;
  let prefix = flags.prefix;
  let protocolVersion: 4 | 5 = flags.mqtt3 ? 4 : 5;
  let username: string | undefined;
  let password: string | undefined;
  if (existsSync(flags.config)) {
    const cfg = loadConfig(flags.config);
    url ??= cfg.mqtt.url;
    prefix ??= cfg.mqtt.topicPrefix;
    if (!flags.mqtt3) protocolVersion = cfg.mqtt.protocolVersion;
    username = cfg.mqtt.username;
    password = cfg.mqtt.password?.value;
  }
  return { url: url ?? 'mqtt://127.0.0.1:1883', prefix: prefix ?? 'jet', protocolVersion, username, password };
}

function withBrokerFlags(cmd: Command): Command {
  return cmd
    .option('-c, --config <file>', 'bridge config file to read the broker URL and topic prefix from', 'bridge.config.json')
    .option('--url <url>', 'MQTT broker URL (overrides the config)')
    .option('--prefix <prefix>', 'topic prefix (overrides the config)')
    .option('--mqtt3', 'use MQTT 3.1.1 (replies are matched by id on the public result topic)')
    .option('--timeout <ms>', 'how long to wait for each reply', '10000');
}

async function connect(flags: BrokerFlags): Promise<{ client: MqttClient; topics: Topics; timeoutMs: number }> {
  const opts = brokerOptions(flags);
  const timeoutMs = Number(flags.timeout);
  if (!Number.isInteger(timeoutMs) || timeoutMs <= 0) fail(ExitCode.Usage, `--timeout must be a positive number of milliseconds, got "${flags.timeout}"`);
  try {
    return { client: await connectCli(opts), topics: new Topics(opts.prefix), timeoutMs };
  } catch (err) {
    return fail(ExitCode.Unreachable, `cannot connect to ${opts.url}: ${(err as Error).message}`);
  }
}

function parseJsonArg(text: string, what: string): unknown {
  try {
    return JSON.parse(text);
  } catch (err) {
    return fail(ExitCode.Usage, `${what} is not valid JSON: ${(err as Error).message}`);
  }
}

/** `send`: one intent (or a file of them) as one request; prints the result. */
async function send(intentArg: string | undefined, flags: BrokerFlags & { device: string; file?: string }): Promise<void> {
  const text = flags.file ? readFileSync(flags.file, 'utf8') : intentArg;
  if (!text) fail(ExitCode.Usage, 'give an intent as JSON or --file <intents.json>');
  const parsed = parseJsonArg(text!, flags.file ?? 'the intent');
  const id = `cli-${randomUUID().slice(0, 8)}`;
  const payload = Array.isArray(parsed) ? { id, intents: parsed } : { id, ...(parsed as object) };
  const { client, topics, timeoutMs } = await connect(flags);
  try {
    const reply = await new Requester(client).request(topics.intent(flags.device), payload, topics.intentResult(flags.device), timeoutMs);
    const result = JSON.parse(reply.toString()) as ResultMessage;
    process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
    process.exitCode = result.ok ? ExitCode.Ok : ExitCode.Failed;
  } catch (err) {
    if (err instanceof RequestTimeoutError) fail(ExitCode.Unreachable, err.message);
    throw err;
  } finally {
    await client.endAsync();
  }
}

/** `routes`: asks the bridge to Get the device's programmed routes. */
async function routes(device: string, flags: BrokerFlags & { prefix?: string; match?: string; orLonger?: boolean; json?: boolean }): Promise<void> {
  const { client, topics, timeoutMs } = await connect(flags);
  try {
    const id = `cli-${randomUUID().slice(0, 8)}`;
    const query = { id, ...(flags.match ? { prefix: flags.match, orLonger: !!flags.orLonger } : {}) };
    const reply = JSON.parse((await new Requester(client).request(topics.get(device), query, topics.getResult(device), timeoutMs)).toString()) as {
      ok: boolean;
      error?: string;
      routes?: Array<{ prefix: string; table: string; nextHops: string[]; cookie: string; localPref?: number; routePref?: number }>;
    };
    if (flags.json) process.stdout.write(`${JSON.stringify(reply, null, 2)}\n`);
    else if (!reply.ok) process.stderr.write(`error: ${reply.error}\n`);
    else {
      for (const r of reply.routes ?? []) {
        process.stdout.write(`${r.table.padEnd(10)} ${r.prefix.padEnd(22)} via ${r.nextHops.join(', ').padEnd(18)} lp ${r.localPref ?? '-'} pref ${r.routePref ?? '-'} cookie ${r.cookie}\n`);
      }
      process.stdout.write(`${reply.routes?.length ?? 0} paths\n`);
    }
    process.exitCode = reply.ok ? ExitCode.Ok : ExitCode.Failed;
  } catch (err) {
    if (err instanceof RequestTimeoutError) fail(ExitCode.Unreachable, err.message);
    throw err;
  } finally {
    await client.endAsync();
  }
}

/** `apply`: pushes a routes file (demo-app TOML or JSON) through the bridge, in chunks. */
async function apply(file: string, flags: BrokerFlags & { device: string; withdraw?: boolean; chunk: string }): Promise<void> {
  let intents;
  try {
    intents = readRoutesFile(file);
  } catch (err) {
    return fail(ExitCode.Usage, (err as Error).message);
  }
  if (flags.withdraw) intents = intents.map((i) => ({ id: i.id, action: 'withdraw' as const, prefix: `${i.prefix}/${i.length}`, table: i.table }));
  else intents = intents.map((i) => intentPayload(i));
  const size = Number(flags.chunk);
  const { client, topics, timeoutMs } = await connect(flags);
  const bar = process.stderr.isTTY ? new SingleBar({ format: 'applying {bar} {value}/{total} routes', hideCursor: true }) : undefined;
  bar?.start(intents.length, 0);
  const requester = new Requester(client);
  const tally = new Map<string, number>();
  try {
    for (let i = 0; i < intents.length; i += size) {
      const part = intents.slice(i, i + size);
      const reply = JSON.parse(
        (await requester.request(topics.intent(flags.device), { id: `cli-${randomUUID().slice(0, 8)}`, intents: part }, topics.intentResult(flags.device), timeoutMs)).toString(),
      ) as ResultMessage;
      if (reply.error) tally.set(reply.error, (tally.get(reply.error) ?? 0) + part.length);
      for (const r of reply.results) tally.set(r.status, (tally.get(r.status) ?? 0) + 1);
      bar?.increment(part.length);
    }
  } catch (err) {
    bar?.stop();
    if (err instanceof RequestTimeoutError) fail(ExitCode.Unreachable, err.message);
    throw err;
  } finally {
    await client.endAsync();
  }
  bar?.stop();
  const summary = [...tally].map(([status, n]) => `${status}: ${n}`).join(', ');
  process.stdout.write(`${flags.withdraw ? 'withdrew' : 'applied'} ${intents.length} routes from ${file} on ${flags.device} — ${summary}\n`);
  process.exitCode = [...tally.keys()].every((s) => s === 'SUCCESS') ? ExitCode.Ok : ExitCode.Failed;
}

/** An Intent back into its MQTT payload form. */
function intentPayload(i: ReturnType<typeof readRoutesFile>[number]): Record<string, unknown> {
  return { ...(i.id ? { id: i.id } : {}), action: i.action, prefix: `${i.prefix}/${i.length}`, table: i.table, nextHops: i.nextHops, ...i.attributes };
}

/** `watch`: prints results, events, state and notifications of a device as they come. */
async function watch(device: string, flags: BrokerFlags & { json?: boolean }): Promise<void> {
  const { client, topics } = await connect(flags);
  const filters = [topics.intentResult(device), topics.state(device), topics.bgpEvents(device), `${topics.state(device).replace(/\/state$/, '')}/notify/#`, topics.getResult(device), topics.opResult(device)];
  await client.subscribeAsync(filters, { qos: 1 });
  process.stderr.write(`watching ${filters.join(', ')} (Ctrl-C to stop)\n`);
  client.on('message', (topic, payload) => {
    const time = new Date().toISOString().slice(11, 23);
    if (flags.json) process.stdout.write(`${JSON.stringify({ time, topic, payload: payload.toString() })}\n`);
    else process.stdout.write(`${time} ${topic}\n  ${payload.toString()}\n`);
  });
  await new Promise<void>((resolve) => {
    process.once('SIGINT', resolve);
    process.once('SIGTERM', resolve);
  });
  await client.endAsync();
}

export function registerClientCommands(program: Command): void {
  withBrokerFlags(
    program
      .command('send')
      .description('publish one intent (JSON) or a file of intents and wait for the result (MQTT 5 request/response)')
      .argument('[intent]', 'the intent as JSON, e.g. \'{"prefix":"10.1.0.0/24","nextHops":["10.0.0.1"]}\'')
      .requiredOption('-d, --device <name>', 'device name (topic segment)')
      .option('-f, --file <intents.json>', 'a JSON file with one intent or an array of them'),
  ).action((intent, flags) => send(intent, flags));

  withBrokerFlags(
    program
      .command('routes')
      .description("list a device's programmed routes (Get through the bridge's query topic)")
      .argument('<device>', 'device name')
      .option('--match <prefix>', 'only routes for this prefix, e.g. 10.0.0.0/8')
      .option('--or-longer', 'with --match: also more specific prefixes')
      .option('--json', 'print the raw reply'),
  ).action((device, flags) => routes(device, flags));

  withBrokerFlags(
    program
      .command('apply')
      .description('push a routes file (the 2018 demo apps\' TOML, or a JSON array of intents) through the bridge')
      .argument('<file>', 'routes.toml or routes.json')
      .requiredOption('-d, --device <name>', 'device name')
      .option('--withdraw', 'withdraw the routes instead of announcing them')
      .addOption(new Option('--chunk <n>', 'intents per MQTT message').default('1000')),
  ).action((file, flags) => apply(file, flags));

  withBrokerFlags(
    program.command('watch').description('pretty-print results, events, state and notifications of a device').argument('<device>', 'device name').option('--json', 'one JSON line per message'),
  ).action((device, flags) => watch(device, flags));
}
