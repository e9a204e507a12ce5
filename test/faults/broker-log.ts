/**
 * Reads a Mosquitto log (`log_type all`) to tell who lost an intent when the
 * broker itself was killed.
 *
 * Mosquitto acknowledges a QoS 1 PUBLISH before it writes its database, so a
 * SIGKILL can lose a message it has acknowledged: one from the publisher (the
 * intent) or one from the bridge (the result). No client can prevent that, so
 * the broker-kill scenario asks a narrower question of each lost intent:
 * - the broker received the bridge's result for it: the broker lost the result;
 * - the bridge acknowledged the intent and never published a result: the bridge
 *   lost it (the case the suite must never see);
 * - otherwise the bridge never acknowledged it, and the restarted broker did
 *   not deliver it again: the broker lost the intent.
 * The log names topics and payload lengths, not payloads: intents are told apart
 * by their response topic (results) and their payload length (intents), see
 * intent-traffic.ts.
 */

export interface BridgeTrace {
  /** Payload lengths of the intents the bridge acknowledged to the broker. */
  readonly acknowledged: ReadonlySet<number>;
  /** Topics the broker received a PUBLISH on from the bridge. */
  readonly published: ReadonlySet<string>;
}

const FIELDS = String.raw`\(d\d, q\d, r\d, m(\d+), '([^']*)', \.\.\. \((\d+) bytes\)\)`;

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/** What the broker saw of the bridge (`bridgeId`) and the intents it forwarded on `requestTopic`. */
export function traceBridge(log: string, bridgeId: string, requestTopic: string): BridgeTrace {
  const id = escapeRegExp(bridgeId);
  const sent = new RegExp(`Sending PUBLISH to ${id} ${FIELDS}`);
  const acked = new RegExp(`Received PUBACK from ${id} \\(Mid: (\\d+),`);
  const received = new RegExp(`Received PUBLISH from ${id} ${FIELDS}`);
  const acknowledged = new Set<number>();
  const published = new Set<string>();
  /** Message id → payload length of the intents in flight to the bridge, per broker run. */
  let inFlight = new Map<number, number>();
  for (const line of log.split('\n')) {
    if (/mosquitto version \S+ starting/.test(line)) {
      inFlight = new Map();
      continue;
    }
    const out = sent.exec(line);
    if (out && out[2] === requestTopic) {
      inFlight.set(Number(out[1]), Number(out[3]));
      continue;
    }
    const ack = acked.exec(line);
    if (ack) {
      const length = inFlight.get(Number(ack[1]));
      if (length !== undefined) acknowledged.add(length);
      continue;
    }
    const publish = received.exec(line);
    if (publish) published.add(publish[2]!);
  }
  return { acknowledged, published };
}

export interface LossAttribution {
  /** Lost intents whose loss the broker log puts on the broker. */
  atBroker: number[];
  /** Of those, the intents the bridge never answered: their routes were never programmed. */
  neverAnswered: number[];
  /** Lost intents the bridge had acknowledged and never answered. */
  byBridge: number[];
}

export interface IntentNames {
  payloadLength(n: number): number;
  resultTopic(n: number): string;
}

export function attributeLosses(trace: BridgeTrace, lost: readonly number[], names: IntentNames): LossAttribution {
  const attribution: LossAttribution = { atBroker: [], neverAnswered: [], byBridge: [] };
  for (const n of lost) {
    if (trace.published.has(names.resultTopic(n))) {
      attribution.atBroker.push(n);
    } else if (trace.acknowledged.has(names.payloadLength(n))) {
      attribution.byBridge.push(n);
    } else {
      attribution.atBroker.push(n);
      attribution.neverAnswered.push(n);
    }
  }
  return attribution;
}
