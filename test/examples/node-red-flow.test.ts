/**
 * examples/node-red/flows.json checked as data: it imports cleanly (unique ids,
 * every wire and broker reference resolves, every node on the tab) and it speaks
 * the bridge's topic and payload contract, so a renamed topic or a stale sample
 * intent fails here rather than in a user's Node-RED.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parseIntentPayload } from '../../src/intent/parse.js';
import { EMBEDDED_BROKER_PROTOCOL_VERSION } from '../../src/mqtt/embedded-broker.js';
import { Topics } from '../../src/mqtt/topics.js';

interface FlowNode {
  id: string;
  type: string;
  z?: string;
  name?: string;
  wires?: string[][];
  [key: string]: unknown;
}

const flow = JSON.parse(readFileSync('examples/node-red/flows.json', 'utf8')) as FlowNode[];
const byId = new Map(flow.map((node) => [node.id, node]));
const ofType = (type: string) => flow.filter((node) => node.type === type);
const topics = new Topics('jet');

/** The nodes a node's outputs are wired to. */
function targets(node: FlowNode): FlowNode[] {
  return (node.wires ?? []).flat().map((id) => byId.get(id)!);
}

describe('examples/node-red/flows.json', () => {
  it('is a list of nodes with unique ids', () => {
    expect(Array.isArray(flow)).toBe(true);
    expect(byId.size).toBe(flow.length);
  });

  it('puts every node on the one tab, except the broker config node', () => {
    const [tab, ...others] = ofType('tab');
    expect(others).toEqual([]);
    for (const node of flow.filter((n) => n.type !== 'tab' && n.type !== 'mqtt-broker')) {
      expect(node.z, `${node.type} ${node.name}`).toBe(tab!.id);
    }
  });

  it('wires only to nodes that exist, and each mqtt node names the broker node', () => {
    for (const node of flow) {
      for (const id of (node.wires ?? []).flat()) expect(byId.has(id), `${node.name} wires to ${id}`).toBe(true);
    }
    const [broker] = ofType('mqtt-broker');
    for (const node of [...ofType('mqtt in'), ...ofType('mqtt out')]) {
      expect(node.broker, `${node.type} ${node.name}`).toBe(broker!.id);
    }
  });

  it("connects to localhost:1883 with MQTT 3.1.1, which npm start's embedded broker (aedes) speaks", () => {
    const brokers = ofType('mqtt-broker');
    expect(brokers).toHaveLength(1);
    // Node-RED's broker node names MQTT 3.1.1 by its protocol level, "4".
    expect(brokers[0]).toMatchObject({ broker: 'localhost', port: '1883', protocolVersion: '4' });
    expect(EMBEDDED_BROKER_PROTOCOL_VERSION).toBe(4);
  });

  it("publishes intents to r1's intent topic, asking for no MQTT 5 response topic", () => {
    const outs = ofType('mqtt out');
    expect(outs).toHaveLength(1);
    expect(outs[0]).toMatchObject({ topic: topics.intent('r1'), qos: '1', respTopic: '' });
  });

  it('injects the sample announce, a withdraw and a FlowSpec rate limit, each a valid intent, into the mqtt out node', () => {
    const injects = ofType('inject');
    const payloads = injects.map((node) => {
      expect(node.payloadType).toBe('json');
      expect(targets(node).map((t) => t.type)).toEqual(['mqtt out']);
      return JSON.parse(node.payload as string) as unknown;
    });
    expect(payloads).toEqual([
      { id: 'nr-1', prefix: '10.123.0.0/24', nextHops: ['10.0.0.1', '10.0.0.2'], localPref: 200 },
      { id: 'nr-2', action: 'withdraw', prefix: '10.123.0.0/24' },
      {
        id: 'nr-3',
        flowspec: { destination: '203.0.113.0/24', protocols: ['udp'], destinationPorts: [53] },
        // biome-ignore lint/suspicious/noThenProperty: the FlowSpec intent's actions field, plain data
        then: { rateLimit: 1000000 },
      },
    ]);
    for (const node of injects) {
      const parsed = parseIntentPayload(node.payload as string);
      expect(parsed.ok && parsed.entries.every((entry) => 'intent' in entry), node.name).toBe(true);
    }
  });

  it('sets no MQTT 5 message properties, which an MQTT 3.1.1 connection cannot carry', () => {
    for (const node of ofType('inject')) expect(node.props).toEqual([{ p: 'payload' }]);
  });

  it('shows the results, events, state and notifications of r1 in debug nodes', () => {
    const ins = ofType('mqtt in');
    expect(ins.map((node) => node.topic)).toEqual([
      topics.intentResult('r1'),
      topics.bgpEvents('r1'),
      topics.state('r1'),
      'jet/r1/notify/#',
    ]);
    for (const node of ins) {
      expect(
        targets(node).map((t) => t.type),
        `${node.topic}`,
      ).toEqual(['debug']);
      expect(node.datatype).toBe('auto-detect');
    }
  });

  it('subscribes to the relayed notifications under the topic the bridge publishes them on', () => {
    const relayed = topics.notify('r1', '/junos/events/kernel/route/add');
    const filter = ofType('mqtt in').find((node) => String(node.topic).endsWith('/#'))!.topic as string;
    expect(relayed.startsWith(filter.slice(0, -1))).toBe(true);
  });
});
