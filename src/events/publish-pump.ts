/**
 * Moves publications from a queue to the bridge's MQTT client with a bounded
 * number in flight.
 *
 * Keeping several publishes outstanding lets QoS 1 acknowledgements overlap
 * (one at a time would cap a device at one broker round trip per event); the
 * bound keeps the MQTT client's own buffers small, so the queue in front of the
 * pump is where messages wait and where the overflow policy applies. The MQTT
 * client writes packets in call order, so order on a topic is preserved.
 */
import type { BridgeMqttClient, QoS } from '../mqtt/client.js';

export interface Publication {
  topic: string;
  payload: string | Buffer;
  qos: QoS;
  retain: boolean;
}

/** What the relays need of the bridge's MQTT client. */
export type MqttPublisher = Pick<BridgeMqttClient, 'publish'>;

export interface PublishPumpOptions {
  client: MqttPublisher;
  /** Next publication to send, or undefined when the queue is empty. */
  take: () => Publication | undefined;
  /** Called once per publication when the broker accepted it or the publish failed. */
  settled: (publication: Publication, error?: Error) => void;
  /** Publishes in flight at most; default 64. */
  window?: number;
}

const DEFAULT_PUBLISH_WINDOW = 64;

export class PublishPump {
  private inFlight = 0;
  private idleWaiters: Array<() => void> = [];
  private readonly window: number;

  constructor(private readonly options: PublishPumpOptions) {
    this.window = options.window ?? DEFAULT_PUBLISH_WINDOW;
    if (!Number.isInteger(this.window) || this.window < 1) {
      throw new RangeError(`publish window must be a positive integer, got ${this.window}`);
    }
  }

  /** Publishes in flight right now. */
  get pending(): number {
    return this.inFlight;
  }

  /** Starts as many publishes as the window allows; call after the queue grows. */
  kick(): void {
    while (this.inFlight < this.window) {
      const publication = this.options.take();
      if (!publication) break;
      this.send(publication);
    }
    if (this.inFlight === 0) this.wakeIdleWaiters();
  }

  /**
   * Resolves true once the queue is empty and nothing is in flight, or false
   * when `timeoutMs` passes first (a broker that stopped acknowledging).
   */
  idle(timeoutMs = Number.POSITIVE_INFINITY): Promise<boolean> {
    this.kick();
    if (this.inFlight === 0) return Promise.resolve(true);
    return new Promise((resolve) => {
      let timer: NodeJS.Timeout | undefined;
      const wake = (): void => {
        clearTimeout(timer);
        resolve(true);
      };
      this.idleWaiters.push(wake);
      if (Number.isFinite(timeoutMs)) {
        timer = setTimeout(() => {
          this.idleWaiters = this.idleWaiters.filter((waiter) => waiter !== wake);
          resolve(false);
        }, timeoutMs);
      }
    });
  }

  private send(publication: Publication): void {
    this.inFlight += 1;
    const { topic, payload, qos, retain } = publication;
    this.options.client.publish(topic, payload, { qos, retain }).then(
      () => this.finish(publication),
      (error: unknown) => this.finish(publication, error instanceof Error ? error : new Error(String(error))),
    );
  }

  private finish(publication: Publication, error?: Error): void {
    this.inFlight -= 1;
    this.options.settled(publication, error);
    this.kick();
  }

  private wakeIdleWaiters(): void {
    const waiters = this.idleWaiters;
    this.idleWaiters = [];
    for (const wake of waiters) wake();
  }
}
