/**
 * A flood detector that mitigates with FlowSpec through jetbridge: it reads
 * traffic samples (one JSON object a line on stdin, as a collector such as an
 * sFlow or NetFlow exporter would summarise them), publishes a FlowSpec intent
 * that rate-limits a flow when its packet rate crosses `startPps`, and a
 * withdraw once the rate has stayed under `endPps` for `quietSamples` samples.
 *
 *   echo '{"destination":"203.0.113.5","protocol":"udp","port":53,"packetsPerSecond":250000}' |
 *     npx tsx examples/flowspec/detector.ts --url mqtt://127.0.0.1:1883 --device r1
 *
 * The detector itself (FloodDetector) is pure: samples in, intents out.
 */
import { createInterface } from 'node:readline';
import { parseArgs } from 'node:util';
import mqtt from 'mqtt';

/** One measurement of one flow towards a protected address. */
export interface TrafficSample {
  destination: string;
  protocol: 'tcp' | 'udp' | 'icmp';
  port?: number;
  packetsPerSecond: number;
}

export interface DetectorOptions {
  /** Packet rate at which a flood starts. */
  startPps: number;
  /** Packet rate under which a flood is calming down. */
  endPps: number;
  /** Samples in a row under `endPps` that end a flood. */
  quietSamples: number;
  /** The rate limit of a flood's flow route, bits per second. */
  rateLimit: number;
}

export const DEFAULT_DETECTOR_OPTIONS: DetectorOptions = {
  startPps: 100_000,
  endPps: 10_000,
  quietSamples: 3,
  rateLimit: 1_000_000,
};

/** The intent JSON the detector publishes on `jet/<device>/bgp/intent`. */
export type FlowIntent =
  | { id: string; flowspec: Record<string, unknown>; then: { rateLimit: number } }
  | { id: string; action: 'withdraw'; flowspec: Record<string, unknown> };

interface Flood {
  quiet: number;
}

export class FloodDetector {
  private readonly floods = new Map<string, Flood>();
  private sequence = 0;

  constructor(private readonly options: DetectorOptions = DEFAULT_DETECTOR_OPTIONS) {}

  /** The intent a sample calls for: an announce when a flood starts, a withdraw when it ends, else none. */
  observe(sample: TrafficSample): FlowIntent | undefined {
    const key = `${sample.destination}|${sample.protocol}|${sample.port ?? '*'}`;
    const flood = this.floods.get(key);
    if (flood === undefined) {
      if (sample.packetsPerSecond < this.options.startPps) return undefined;
      this.floods.set(key, { quiet: 0 });
      return { id: this.nextId('start'), flowspec: matchOf(sample), then: { rateLimit: this.options.rateLimit } };
    }
    flood.quiet = sample.packetsPerSecond < this.options.endPps ? flood.quiet + 1 : 0;
    if (flood.quiet < this.options.quietSamples) return undefined;
    this.floods.delete(key);
    return { id: this.nextId('end'), action: 'withdraw', flowspec: matchOf(sample) };
  }

  private nextId(what: string): string {
    this.sequence += 1;
    return `flood-${what}-${this.sequence}`;
  }
}

/** The FlowSpec match of a sample's flow: traffic to the address, of the protocol, to the port. */
function matchOf(sample: TrafficSample): Record<string, unknown> {
  const bits = sample.destination.includes(':') ? 128 : 32;
  const match: Record<string, unknown> = { destination: `${sample.destination}/${bits}`, protocols: [sample.protocol] };
  if (sample.port !== undefined) match.destinationPorts = [sample.port];
  return match;
}

/** Reads samples from stdin and publishes the intents they call for until stdin ends. */
async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      url: { type: 'string', default: 'mqtt://127.0.0.1:1883' },
      device: { type: 'string', default: 'r1' },
      prefix: { type: 'string', default: 'jet' },
    },
  });
  const client = await mqtt.connectAsync(values.url);
  const topic = `${values.prefix}/${values.device}/bgp/intent`;
  const detector = new FloodDetector();
  for await (const line of createInterface({ input: process.stdin })) {
    if (line.trim() === '') continue;
    const intent = detector.observe(JSON.parse(line) as TrafficSample);
    if (intent === undefined) continue;
    await client.publishAsync(topic, JSON.stringify(intent), { qos: 1 });
    console.log(`published ${intent.id} on ${topic}`);
  }
  await client.endAsync();
}

if (import.meta.url === `file://${process.argv[1]}`) {
  main().catch((error: unknown) => {
    console.error(error);
    process.exit(1);
  });
}
