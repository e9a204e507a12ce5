/**
 * The bridge's MQTT topic names: builders for every topic it publishes or listens on,
 * and the parser that tells which device and request kind an inbound topic is for.
 * Topic names are part of the public contract; everything that names a topic goes
 * through this class so the layout lives in one place.
 */

/** The kinds of request the bridge accepts over MQTT. */
export type InboundKind = 'intent' | 'get' | 'op';

export interface InboundTopic {
  device: string;
  kind: InboundKind;
}

/** Topic suffixes after `<prefix>/<device>/` of the requests the bridge serves. */
const INBOUND_KINDS: ReadonlyMap<string, InboundKind> = new Map([
  ['bgp/intent', 'intent'],
  ['bgp/get', 'get'],
  ['op', 'op'],
]);
const INBOUND_SUFFIXES = [...INBOUND_KINDS.keys()];

/** The router-side prefix of JET notification topics, left out of the relayed topic. */
const JUNOS_EVENTS_PREFIX = '/junos/events/';

/** MQTT wildcards and the level separator cannot appear inside one topic level. */
const FORBIDDEN_IN_LEVEL = /[+#/]/;

/**
 * Checks that `value` can stand as one topic level and returns it.
 * Throws an error naming the field when it cannot.
 */
function topicLevel(field: string, value: string): string {
  if (value.length === 0) {
    throw new Error(`${field} must not be empty`);
  }
  if (FORBIDDEN_IN_LEVEL.test(value)) {
    throw new Error(`${field} "${value}" must not contain "+", "#" or "/"`);
  }
  return value;
}

/** Checks a multi-level topic part: no wildcards and no empty levels. */
function topicPath(field: string, value: string): string {
  if (value.length === 0) {
    throw new Error(`${field} must not be empty`);
  }
  for (const level of value.split('/')) {
    if (level.length === 0) {
      throw new Error(`${field} "${value}" must not have empty topic levels`);
    }
    if (level.includes('+') || level.includes('#')) {
      throw new Error(`${field} "${value}" must not contain "+" or "#"`);
    }
  }
  return value;
}

export class Topics {
  readonly prefix: string;

  /** `prefix` may span several levels (`site1/jet`) but holds no wildcards. */
  constructor(prefix: string) {
    this.prefix = topicPath('topic prefix', prefix);
  }

  /** Route intents for `device` arrive here. */
  intent(device: string): string {
    return `${this.deviceRoot(device)}/bgp/intent`;
  }

  /** Intent results go here when the request named no MQTT 5 response topic. */
  intentResult(device: string): string {
    return `${this.deviceRoot(device)}/bgp/result`;
  }

  /** Queries of the programmed routes arrive here. */
  get(device: string): string {
    return `${this.deviceRoot(device)}/bgp/get`;
  }

  getResult(device: string): string {
    return `${this.get(device)}/result`;
  }

  /** Operational commands (for example a resync) arrive here. */
  op(device: string): string {
    return `${this.deviceRoot(device)}/op`;
  }

  opResult(device: string): string {
    return `${this.op(device)}/result`;
  }

  /** Retained device session state. */
  state(device: string): string {
    return `${this.deviceRoot(device)}/state`;
  }

  /** Retained bridge availability: `online`, or `offline` (also the last will). */
  bridgeStatus(clientId: string): string {
    return `${this.prefix}/bridge/${topicLevel('client id', clientId)}/status`;
  }

  /** BGP route monitor events of `device`. */
  bgpEvents(device: string): string {
    return `${this.deviceRoot(device)}/bgp/events`;
  }

  /**
   * Retained RIB entry of one prefix. The prefix length separator `/` becomes `_`
   * so that the prefix stays one topic level: `10.1.0.0/24` -> `10.1.0.0_24`.
   */
  rib(device: string, table: string, prefix: string): string {
    const level = topicLevel('prefix', prefix.replaceAll('/', '_'));
    return `${this.deviceRoot(device)}/bgp/rib/${topicLevel('table', table)}/${level}`;
  }

  /** A subscription filter for every retained RIB entry of `device`. */
  ribFilter(device: string): string {
    return `${this.deviceRoot(device)}/bgp/rib/#`;
  }

  /** A relayed router notification; `/junos/events/` is dropped from the router topic. */
  notify(device: string, routerTopic: string): string {
    const rest = routerTopic.startsWith(JUNOS_EVENTS_PREFIX)
      ? routerTopic.slice(JUNOS_EVENTS_PREFIX.length)
      : routerTopic.replace(/^\/+/, '');
    return `${this.deviceRoot(device)}/notify/${topicPath('notification topic', rest)}`;
  }

  /** A subscription filter for every relayed notification of `device`. */
  notifyFilter(device: string): string {
    return `${this.deviceRoot(device)}/notify/#`;
  }

  /**
   * The filters a bridge subscribes to. With `devices` it names the intents,
   * queries and commands of the devices it owns one by one, so that several
   * bridges can share a broker and topic prefix; without, it takes every device's
   * with a `+` wildcard, and answers UNKNOWN_DEVICE for devices it does not serve.
   */
  subscriptions(devices?: readonly string[]): string[] {
    if (devices === undefined) return INBOUND_SUFFIXES.map((suffix) => `${this.prefix}/+/${suffix}`);
    return devices.flatMap((device) => INBOUND_SUFFIXES.map((suffix) => `${this.deviceRoot(device)}/${suffix}`));
  }

  /**
   * Which device and request kind an inbound topic addresses, or undefined when the
   * topic is not one the bridge serves (including an empty or wildcard device level).
   */
  parseInbound(topic: string): InboundTopic | undefined {
    const head = `${this.prefix}/`;
    if (!topic.startsWith(head)) return undefined;
    const [device, ...rest] = topic.slice(head.length).split('/');
    if (device === undefined || device.length === 0 || /[+#]/.test(device)) return undefined;
    const kind = INBOUND_KINDS.get(rest.join('/'));
    return kind === undefined ? undefined : { device, kind };
  }

  private deviceRoot(device: string): string {
    return `${this.prefix}/${topicLevel('device', device)}`;
  }
}
