/**
 * The commands that talk to a running bridge over MQTT, as any publisher would:
 * `send`, `watch`, `routes`, `op` and `apply`. They read the broker settings
 * from the bridge's config file or their flags (broker-flags.ts) and never
 * touch the router.
 */
import { flowMatchJson } from '../jet/flowspec.js';
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { SingleBar } from 'cli-progress';
import { type Command, Option } from 'commander';
import { DEFAULT_INTENT_LIMITS, type Intent } from '../intent/intent.js';
import { readRoutesFile } from '../intent/routes-file.js';
import type { IntentResult, ResultMessage } from '../mqtt/results.js';
import { type BrokerFlags, type CliConnection, connect, withBrokerFlags, withDeviceFlag } from './broker-flags.js';
import { ExitCode, fail } from './exit.js';
import { wholeNumberIn } from './flag-parsers.js';
import { intentRequest } from './intent-request.js';
import { Requester, RequestTimeoutError } from './mqtt-request.js';

/** The bridge refuses a message with more intents than this. */
const MAX_CHUNK = DEFAULT_INTENT_LIMITS.maxIntentsPerMessage;

function newRequestId(): string {
  return `cli-${randomUUID().slice(0, 8)}`;
}

function parseJsonArg(text: string, what: string): unknown {
  try {
    return JSON.parse(text);
  } catch (err) {
    return fail(ExitCode.Usage, `${what} is not valid JSON: ${(err as Error).message}`);
  }
}

function readTextFile(file: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch (err) {
    return fail(
      ExitCode.Usage,
      `cannot read ${file}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`,
    );
  }
}

/**
 * Runs `work` with a Requester on the connection, then disconnects. A reply
 * that does not come in time stops the command with exit code 3.
 */
async function withRequester(connection: CliConnection, work: (requester: Requester) => Promise<void>): Promise<void> {
  try {
    await work(new Requester(connection.client));
  } catch (err) {
    if (err instanceof RequestTimeoutError) fail(ExitCode.Unreachable, err.message);
    throw err;
  } finally {
    await connection.client.endAsync();
  }
}

/** `send`: one intent (or a file of them) as one request; prints the result. */
async function send(intentArg: string | undefined, flags: BrokerFlags & { file?: string }): Promise<void> {
  if (intentArg !== undefined && flags.file !== undefined)
    fail(ExitCode.Usage, 'give the intent as an argument or --file, not both');
  const what = flags.file ?? 'the intent';
  const text = flags.file !== undefined ? readTextFile(flags.file) : intentArg;
  if (text === undefined) fail(ExitCode.Usage, 'give an intent as JSON or --file <intents.json>');
  const request = intentRequest(parseJsonArg(text, what), newRequestId, what);
  const connection = await connect(flags);
  const { topics, timeoutMs, device } = connection;
  await withRequester(connection, async (requester) => {
    const reply = await requester.request(
      topics.intent(device),
      request.payload,
      request.correlationId,
      topics.intentResult(device),
      timeoutMs,
    );
    const result = JSON.parse(reply.toString()) as ResultMessage;
    process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
    process.exitCode = result.ok ? ExitCode.Ok : ExitCode.Failed;
  });
}

interface RoutesReply {
  ok: boolean;
  error?: string;
  routes?: Array<{
    prefix: string;
    table: string;
    nextHops: string[];
    cookie: string;
    localPref?: number;
    routePref?: number;
  }>;
}

/** `routes`: asks the bridge to Get the device's programmed routes. */
async function routes(
  positionalDevice: string | undefined,
  flags: BrokerFlags & { match?: string; orLonger?: boolean; json?: boolean },
): Promise<void> {
  if (flags.orLonger && flags.match === undefined) fail(ExitCode.Usage, '--or-longer needs --match <prefix>');
  const connection = await connect(flags, positionalDevice);
  const { topics, timeoutMs, device } = connection;
  await withRequester(connection, async (requester) => {
    const id = newRequestId();
    const query = { id, ...(flags.match !== undefined && { prefix: flags.match, orLonger: flags.orLonger === true }) };
    const reply = JSON.parse(
      (await requester.request(topics.get(device), query, id, topics.getResult(device), timeoutMs)).toString(),
    ) as RoutesReply;
    if (flags.json) process.stdout.write(`${JSON.stringify(reply, null, 2)}\n`);
    else if (!reply.ok) process.stderr.write(`error: ${reply.error}\n`);
    else {
      for (const r of reply.routes ?? []) {
        process.stdout.write(
          `${r.table.padEnd(10)} ${r.prefix.padEnd(22)} via ${r.nextHops.join(', ').padEnd(18)} lp ${r.localPref ?? '-'} pref ${r.routePref ?? '-'} cookie ${r.cookie}\n`,
        );
      }
      process.stdout.write(`${reply.routes?.length ?? 0} paths\n`);
    }
    process.exitCode = reply.ok ? ExitCode.Ok : ExitCode.Failed;
  });
}

/** An Intent back into its MQTT payload form. */
function announcePayload(i: Intent): Record<string, unknown> {
  if (i.flowspec !== undefined) {
    const { id, action, table, flowspec, attributes } = i;
    return { ...(id !== undefined && { id }), action, table, flowspec: flowMatchJson(flowspec), ...attributes };
  }
  return {
    ...(i.id !== undefined && { id: i.id }),
    action: i.action,
    prefix: `${i.prefix}/${i.length}`,
    table: i.table,
    nextHops: i.nextHops,
    ...i.attributes,
  };
}

/** A withdraw of every path of the intent's destination. */
function withdrawPayload(i: Intent): Record<string, unknown> {
  if (i.flowspec !== undefined) {
    const { id, table, flowspec } = i;
    return { ...(id !== undefined && { id }), action: 'withdraw', table, flowspec: flowMatchJson(flowspec) };
  }
  return {
    ...(i.id !== undefined && { id: i.id }),
    action: 'withdraw',
    prefix: `${i.prefix}/${i.length}`,
    table: i.table,
  };
}

/** What `apply` prints at the end: routes by status, and the paths the router changed. */
class ApplyTally {
  private readonly byStatus = new Map<string, number>();
  private readonly paths = { added: 0, modified: 0, removed: 0 };

  count(reply: ResultMessage, sent: number): void {
    // A message refused as a whole may carry no per-route results.
    if (reply.results.length === 0) this.add(reply.error ?? 'NO_RESULT', sent);
    for (const result of reply.results) this.addResult(result);
  }

  get allSucceeded(): boolean {
    return [...this.byStatus.keys()].every((status) => status === 'SUCCESS');
  }

  toString(): string {
    const statuses = [...this.byStatus].map(([status, n]) => `${status} ${n}`).join(', ');
    return `${statuses} (paths added ${this.paths.added}, modified ${this.paths.modified}, removed ${this.paths.removed})`;
  }

  private addResult(result: IntentResult): void {
    this.add(result.status, 1);
    this.paths.added += result.added;
    this.paths.modified += result.modified;
    this.paths.removed += result.removed;
  }

  private add(status: string, n: number): void {
    this.byStatus.set(status, (this.byStatus.get(status) ?? 0) + n);
  }
}

/** `apply`: pushes a routes file (demo-app TOML or JSON) through the bridge, in chunks. */
async function apply(file: string, flags: BrokerFlags & { withdraw?: boolean; chunk: number }): Promise<void> {
  let intents: Intent[];
  try {
    intents = readRoutesFile(file);
  } catch (err) {
    return fail(ExitCode.Usage, (err as Error).message);
  }
  const payloads = intents.map(flags.withdraw ? withdrawPayload : announcePayload);
  const connection = await connect(flags);
  const { topics, timeoutMs, device } = connection;
  const bar = process.stderr.isTTY
    ? new SingleBar({ format: 'applying {bar} {value}/{total} routes', hideCursor: true })
    : undefined;
  const tally = new ApplyTally();
  bar?.start(payloads.length, 0);
  try {
    await withRequester(connection, async (requester) => {
      for (let i = 0; i < payloads.length; i += flags.chunk) {
        const part = payloads.slice(i, i + flags.chunk);
        const request = intentRequest(part, newRequestId, file);
        const reply = await requester.request(
          topics.intent(device),
          request.payload,
          request.correlationId,
          topics.intentResult(device),
          timeoutMs,
        );
        tally.count(JSON.parse(reply.toString()) as ResultMessage, part.length);
        bar?.increment(part.length);
      }
    });
  } finally {
    bar?.stop();
  }
  process.stdout.write(
    `${flags.withdraw ? 'withdrew' : 'announced'} ${payloads.length} routes from ${file} on ${device}: ${tally}\n`,
  );
  process.exitCode = tally.allSucceeded ? ExitCode.Ok : ExitCode.Failed;
}

/** A payload as JSON when it is JSON (results, events, state), else as text. */
function payloadValue(payload: Buffer): unknown {
  const text = payload.toString();
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return text;
  }
}

/**
 * `watch`: prints results, events, state and notifications of a device as they
 * come, until SIGINT or SIGTERM (exit code 0) or the broker goes away (exit code 3).
 */
async function watch(positionalDevice: string | undefined, flags: BrokerFlags & { json?: boolean }): Promise<void> {
  const { client, topics, device } = await connect(flags, positionalDevice);
  const filters = [
    topics.intentResult(device),
    topics.state(device),
    topics.bgpEvents(device),
    topics.notifyFilter(device),
    topics.getResult(device),
    topics.opResult(device),
  ];
  client.on('message', (topic, payload) => {
    const time = new Date().toISOString();
    if (flags.json) process.stdout.write(`${JSON.stringify({ time, topic, payload: payloadValue(payload) })}\n`);
    else process.stdout.write(`${time.slice(11, 23)} ${topic}\n  ${payload.toString()}\n`);
  });
  const ended = new Promise<'signal' | 'lost'>((resolve) => {
    process.once('SIGINT', () => resolve('signal'));
    process.once('SIGTERM', () => resolve('signal'));
    client.once('close', () => resolve('lost'));
  });
  await client.subscribeAsync(filters, { qos: 1 });
  process.stderr.write(`watching ${filters.join(', ')} (Ctrl-C to stop)\n`);
  if ((await ended) === 'lost') fail(ExitCode.Unreachable, 'the broker closed the connection');
  await client.endAsync();
}

interface OpReply {
  ok: boolean;
  output?: string;
  error?: string;
}

/**
 * `op`: runs an operational command on the device through the bridge. Without
 * -d, the first of two or more words is the device (`op r1 'show version'`).
 */
async function op(words: string[], flags: BrokerFlags & { format: string; json?: boolean }): Promise<void> {
  const [first, ...rest] = words;
  const positionalDevice = flags.device === undefined && rest.length > 0 ? first : undefined;
  const command = (positionalDevice === undefined ? words : rest).join(' ');
  if (command.trim() === '') fail(ExitCode.Usage, "give a command, e.g. jetbridge op r1 'show version'");
  const connection = await connect(flags, positionalDevice);
  const { topics, timeoutMs, device } = connection;
  await withRequester(connection, async (requester) => {
    const id = newRequestId();
    const body = { id, command, format: flags.format };
    const raw = await requester.request(topics.op(device), body, id, topics.opResult(device), timeoutMs);
    const reply = JSON.parse(raw.toString()) as OpReply;
    if (flags.json) process.stdout.write(`${JSON.stringify(reply, null, 2)}\n`);
    else if (reply.ok) process.stdout.write(reply.output?.endsWith('\n') ? reply.output : `${reply.output ?? ''}\n`);
    else process.stderr.write(`error: ${reply.error}\n`);
    process.exitCode = reply.ok ? ExitCode.Ok : ExitCode.Failed;
  });
}

const DEVICE_ARGUMENT = "device name (or -d; default: the config file's only device)";

export function registerClientCommands(program: Command): void {
  withBrokerFlags(
    withDeviceFlag(
      program
        .command('send')
        .description(
          'publish one intent (JSON) or a file of intents and wait for the result; exit 0 when every route succeeded, 1 when not',
        )
        .argument('[intent]', 'the intent as JSON, e.g. \'{"prefix":"10.1.0.0/24","nextHops":["10.0.0.1"]}\''),
    ).option('-f, --file <intents.json>', 'a JSON file with one intent, an array of them, or {"intents": [...]}'),
  ).action((intent: string | undefined, flags: BrokerFlags & { file?: string }) => send(intent, flags));

  withBrokerFlags(
    withDeviceFlag(
      program
        .command('routes')
        .description("list a device's programmed routes (Get through the bridge's query topic)")
        .argument('[device]', DEVICE_ARGUMENT),
    )
      .option('--match <prefix>', 'only routes for this prefix, e.g. 10.0.0.0/8')
      .option('--or-longer', 'with --match: also more specific prefixes')
      .option('--json', 'print the raw reply'),
  ).action((device: string | undefined, flags: BrokerFlags & { match?: string; orLonger?: boolean; json?: boolean }) =>
    routes(device, flags),
  );

  withBrokerFlags(
    withDeviceFlag(
      program
        .command('op')
        .description(
          "run an operational command on the device through the bridge (the device's op.allowedCommands decide which); prints its output",
        )
        .argument('<words...>', "[device] and the command, e.g. r1 'show version'"),
    )
      .addOption(new Option('--format <format>', 'output format').choices(['text', 'json', 'xml']).default('text'))
      .option('--json', 'print the raw reply'),
  ).action((words: string[], flags: BrokerFlags & { format: string; json?: boolean }) => op(words, flags));

  withBrokerFlags(
    withDeviceFlag(
      program
        .command('apply')
        .description(
          "push a routes file (the 2018 demo apps' TOML, or JSON intents) through the bridge and print a summary; exit 0 when every route succeeded",
        )
        .argument('<file>', 'routes.toml or routes.json'),
    )
      .option('--withdraw', "withdraw the file's routes (every path of each prefix) instead of announcing them")
      .option(
        '--chunk <n>',
        `intents per MQTT message, 1..${MAX_CHUNK}, within the bridge's mqtt.maxPayloadBytes`,
        wholeNumberIn(1, MAX_CHUNK),
        1000,
      ),
  ).action((file: string, flags: BrokerFlags & { withdraw?: boolean; chunk: number }) => apply(file, flags));

  withBrokerFlags(
    withDeviceFlag(
      program
        .command('watch')
        .description('print results, events, state and notifications of a device as they arrive, until Ctrl-C')
        .argument('[device]', DEVICE_ARGUMENT),
    ).option('--json', 'one JSON object per line: {time, topic, payload}, payload parsed when it is JSON'),
  ).action((device: string | undefined, flags: BrokerFlags & { json?: boolean }) => watch(device, flags));
}
