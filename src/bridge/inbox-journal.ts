/**
 * The durable inbox around the MQTT client: a QoS 1/2 request is journaled, then
 * acknowledged; it leaves the journal when its reply has been published (see
 * src/state/inbox.ts). Requests journaled before the last stop are served again.
 */
import { ErrorWithReasonCode } from 'mqtt';
import type { Logger } from 'pino';
import type { BridgeMqttClient, InboundMessage } from '../mqtt/client.js';
import type { Topics } from '../mqtt/topics.js';
import { inboxFileFor, SqliteInbox } from '../state/inbox.js';
import { StartFailure } from './lifecycle.js';

export class InboxJournal {
  private readonly journal = new WeakMap<InboundMessage, number>();

  private constructor(
    private readonly inbox: SqliteInbox,
    private readonly deps: { mqtt: BridgeMqttClient; topics: Topics; logger: Logger },
  ) {}

  /** Opens the inbox file beside `statePath`; fails when another bridge holds it. */
  static open(statePath: string, deps: { mqtt: BridgeMqttClient; topics: Topics; logger: Logger }): InboxJournal {
    const file = inboxFileFor(statePath);
    let inbox: SqliteInbox;
    try {
      // A bridge that is just stopping releases the file within moments; another running one never does.
      inbox = new SqliteInbox(file, { busyTimeoutMs: 1000 });
    } catch (error) {
      const reason = error instanceof Error ? error.message : String(error);
      throw new StartFailure(/in use/.test(reason) ? 'in-use' : 'config', `state.path: ${reason}`, { cause: error });
    }
    const { logger } = deps;
    if (inbox.setAside)
      logger.error(
        inbox.setAside,
        'the inbox file was unreadable (a machine crash?); moved it aside and started with an empty inbox',
      );
    const adopted = inbox.adoptFrom(statePath);
    if (adopted > 0) logger.info({ count: adopted }, 'moved pending requests from the state file into the inbox file');
    return new InboxJournal(inbox, deps);
  }

  /** Journals a request that needs an answer and holds its acknowledgement until then. */
  readonly journaled = (msg: InboundMessage): InboundMessage => {
    if (msg.qos === 0 || this.deps.topics.parseInbound(msg.topic) === undefined) return msg;
    const seq = this.inbox.put(msg);
    const held: InboundMessage = { ...msg, ack: () => msg.ack() };
    this.journal.set(held, seq);
    return held;
  };

  /** Publishes the reply, then lets the request leave the journal. */
  readonly reply = async (msg: InboundMessage, topic: string, payload: string): Promise<void> => {
    const seq = this.journal.get(msg);
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
    if (seq !== undefined) this.inbox.settle(seq);
  };

  /** The requests journaled before the last stop and not answered, oldest first. */
  recovered(): InboundMessage[] {
    const recovered = this.inbox.pending().map((stored): InboundMessage => {
      const msg: InboundMessage = { ...stored, receivedAt: performance.now(), ack: () => {} };
      this.journal.set(msg, stored.seq);
      return msg;
    });
    if (recovered.length > 0)
      this.deps.logger.info({ count: recovered.length }, 'serving requests accepted before the last stop');
    return recovered;
  }

  close(): void {
    this.inbox.close();
  }
}
