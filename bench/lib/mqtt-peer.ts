/**
 * A bare MQTT peer, run as its own process, for the ceiling figures: no
 * parsing, no JET, only mqtt.js (MQTT 5, QoS 1) on the other side of the
 * broker from the bench's publisher.
 *
 *   sink:  subscribes to --topic and counts; after --count distinct requests it
 *          reports the time of the last arrival and the publish-to-arrival
 *          latencies to the bench over IPC. Publisher → broker → subscriber.
 *   echo:  republishes each request's payload to --reply-topic with its
 *          correlation data: the MQTT work a bridge cannot avoid, one message
 *          in and one out per intent, with nothing in between.
 *
 * Usage: node --import tsx bench/lib/mqtt-peer.ts sink|echo --url U --topic T [--count N] [--reply-topic R]
 */
import mqtt, { type IPublishPacket } from 'mqtt';
import { parseArgs } from 'node:util';
import { decodeStamp, monotonicMs } from './correlation.js';
import { summarize, type LatencySummary } from './stats.js';

export interface PeerReady {
  kind: 'ready';
}

export interface SinkReport {
  kind: 'sink-report';
  received: number;
  /** Monotonic time of the last distinct arrival. */
  lastAtMs: number;
  latency: LatencySummary;
}

export type PeerMessage = PeerReady | SinkReport;

function report(message: PeerMessage): void {
  if (!process.send) throw new Error('mqtt-peer reports over IPC: start it with an IPC channel');
  process.send(message);
}

function required(value: string | undefined, flag: string): string {
  if (value === undefined || value === '') throw new Error(`mqtt-peer: ${flag} is required`);
  return value;
}

async function main(): Promise<void> {
  const { positionals, values } = parseArgs({
    allowPositionals: true,
    options: {
      url: { type: 'string' },
      topic: { type: 'string' },
      count: { type: 'string' },
      'reply-topic': { type: 'string' },
      'client-id': { type: 'string' },
    },
  });
  const mode = positionals[0];
  if (mode !== 'sink' && mode !== 'echo')
    throw new Error(`mqtt-peer: the mode must be sink or echo, got ${JSON.stringify(mode)}`);
  const url = required(values.url, '--url');
  const topic = required(values.topic, '--topic');
  const client = await mqtt.connectAsync(url, {
    protocolVersion: 5,
    clientId: values['client-id'] ?? `bench-${mode}-${process.pid}`,
    clean: true,
    reconnectPeriod: 0,
  });

  if (mode === 'sink') {
    const count = Number(required(values.count, '--count'));
    if (!(Number.isInteger(count) && count > 0))
      throw new Error(`mqtt-peer: --count must be a positive integer, got ${values.count}`);
    const seen = new Uint8Array(count);
    const latencies = new Float64Array(count);
    let received = 0;
    client.on('message', (_topic, _payload, packet: IPublishPacket) => {
      const now = monotonicMs();
      const stamp = decodeStamp(packet.properties?.correlationData);
      if (stamp === undefined || stamp.seq >= count || seen[stamp.seq] === 1) return;
      seen[stamp.seq] = 1;
      latencies[stamp.seq] = now - stamp.sentMs;
      if (++received === count) report({ kind: 'sink-report', received, lastAtMs: now, latency: summarize(latencies) });
    });
  } else {
    const replyTopic = required(values['reply-topic'], '--reply-topic');
    client.on('message', (_topic, payload, packet: IPublishPacket) => {
      const correlationData = packet.properties?.correlationData;
      client.publish(replyTopic, payload, { qos: 1, ...(correlationData && { properties: { correlationData } }) });
    });
  }
  await client.subscribeAsync(topic, { qos: 1 });
  report({ kind: 'ready' });
  const stop = (): void => void client.endAsync().finally(() => process.exit(0));
  process.once('SIGTERM', stop);
  process.once('SIGINT', stop);
  // The bench going away closes the channel; nothing is left to serve.
  process.once('disconnect', stop);
}

main().catch((error: unknown) => {
  process.stderr.write(`mqtt-peer: ${(error as Error).stack ?? String(error)}\n`);
  process.exit(1);
});
