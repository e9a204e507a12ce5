/**
 * The durable inbox around the MQTT client: a QoS 1/2 request for a device this
 * bridge serves is put in the device's state (src/state/backend.ts), and
 * acknowledged once that entry is durable; it leaves the inbox when its reply
 * has been published. Requests journaled before the last stop are served again.
 */
import { ErrorWithReasonCode } from 'mqtt';
import type { Logger } from 'pino';
import type { BridgeMqttClient, InboundMessage } from '../mqtt/client.js';
import type { Topics } from '../mqtt/topics.js';
import type { DeviceState } from '../state/backend.js';

export interface InboxJournalDeps {
  mqtt: BridgeMqttClient;
  topics: Topics;
  logger: Logger;
  /** The open state of a device this bridge serves, or undefined. */
  stateOf(device: string): DeviceState | undefined;
}

export class InboxJournal {
  private readonly journal = new WeakMap<InboundMessage, { state: DeviceState; seq: number }>();

  constructor(private readonly deps: InboxJournalDeps) {}

  /** Journals a request that needs an answer and holds its acknowledgement until the entry is durable. */
  readonly journaled = (msg: InboundMessage): InboundMessage => {
    if (msg.qos === 0) return msg;
    const device = this.deps.topics.parseInbound(msg.topic)?.device;
    const state = device === undefined ? undefined : this.deps.stateOf(device);
    // Requests for devices not served here are answered at once as unknown; nothing to keep.
    if (state === undefined) return msg;
    const { seq, committed } = state.put(msg);
    // Unacknowledged, the broker keeps the message and delivers it again on the next connection.
    const ack =
      committed === undefined
        ? () => msg.ack()
        : () =>
            void committed.then(
              () => msg.ack(),
              (err: Error) =>
                this.deps.logger.error(
                  { topic: msg.topic, err: err.message },
                  'request not journaled; not acknowledged',
                ),
            );
    const held: InboundMessage = { ...msg, ack };
    this.journal.set(held, { state, seq });
    return held;
  };

  /** Publishes the reply, then lets the request leave the journal. */
  readonly reply = async (msg: InboundMessage, topic: string, payload: string): Promise<void> => {
    const entry = this.journal.get(msg);
    try {
      await this.deps.mqtt.reply(msg, topic, payload);
    } catch (err) {
      // A broker that refuses the reply (an ACL, say) would refuse it on every
      // replay too: the request is done. Any other failure keeps it in the inbox.
      if (!(err instanceof ErrorWithReasonCode)) throw err;
      this.deps.logger.warn(
        { topic: msg.responseTopic ?? topic, err: err.message },
        'the broker refused a reply; not retrying it',
      );
    }
    if (entry !== undefined) entry.state.settle(entry.seq);
  };

  /** The requests the named devices' states kept from before the last stop, oldest first per device. */
  async recovered(devices: readonly string[]): Promise<InboundMessage[]> {
    const recovered: InboundMessage[] = [];
    for (const device of devices) {
      const state = this.deps.stateOf(device);
      if (state === undefined) continue;
      for (const stored of await state.pending()) {
        const msg: InboundMessage = { ...stored, receivedAt: performance.now(), ack: () => {} };
        this.journal.set(msg, { state, seq: stored.seq });
        recovered.push(msg);
      }
    }
    if (recovered.length > 0)
      this.deps.logger.info({ count: recovered.length }, 'serving requests accepted before the last stop');
    return recovered;
  }
}
