/**
 * The bridge's MQTT conventions, end to end on Mosquitto: MQTT 5 request and
 * response, MQTT 3.1.1 publishers, retained device state, bridge availability
 * with its last will, and the operational-command topic. The bridge reaches
 * the broker through a TCP relay so that a test can kill its connection
 * without a DISCONNECT.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DeviceStateMessage, ResultMessage } from '../../src/mqtt/results.js';
import type { OpResultMessage } from '../../src/pipeline/op-command.js';
import { startMosquitto, type RunningMosquitto } from '../helpers/mosquitto.js';
import {
  body,
  makeTestConfig,
  startTestBridge,
  TestClient,
  type Received,
  type TestBridge,
  type TestConfig,
} from './harness.js';
import { startTcpProxy, type TcpProxy } from './tcp-proxy.js';

describe('the bridge on MQTT', () => {
  let mosquitto: RunningMosquitto;
  let proxy: TcpProxy;
  let config: TestConfig;
  let t: TestBridge;
  const others: TestClient[] = [];

  /** Another client of the broker, closed after the file. */
  async function connect(filters: string[], protocolVersion: 4 | 5 = 5): Promise<TestClient> {
    const client = await TestClient.connect(mosquitto.url, protocolVersion, filters);
    others.push(client);
    return client;
  }

  const statusTopic = () => t.topics.bridgeStatus(config.clientId);
  const isStatus = (text: string) => (m: Received) => m.topic === statusTopic() && m.text === text;

  beforeAll(async () => {
    mosquitto = await startMosquitto();
    proxy = await startTcpProxy({ host: '127.0.0.1', port: mosquitto.port });
    config = await makeTestConfig({
      broker: { kind: 'mosquitto', url: mosquitto.url },
      mqtt: { url: `mqtt://127.0.0.1:${proxy.port}` },
      pipeline: { debounceMs: 10 },
    });
    t = await startTestBridge(config);
    await t.ready();
  });

  afterAll(async () => {
    await Promise.all(others.map((client) => client.close()));
    await t?.stop();
    await proxy?.close();
    await mosquitto?.stop();
  });

  it('answers an MQTT 5 request on its response topic only, with its correlation data', async () => {
    const since = t.client.mark();
    const requester = await connect(['replies/#']);
    const correlationData = Buffer.from('corr-7f3a');

    await requester.publish(
      t.topics.intent('r1'),
      { id: 'rr-1', prefix: '10.3.1.0/24', nextHops: ['10.0.0.1'] },
      { properties: { responseTopic: 'replies/rr-1', correlationData } },
    );

    const reply = await requester.next((m) => m.topic === 'replies/rr-1');
    expect(body<ResultMessage>(reply)).toMatchObject({
      id: 'rr-1',
      ok: true,
      results: [{ status: 'SUCCESS', added: 1 }],
    });
    expect(reply.packet.properties?.correlationData).toEqual(correlationData);
    // A later request's result on the default topic: had rr-1's gone there too, it would be ahead of it.
    await t.request({ id: 'rr-2', prefix: '10.3.2.0/24', nextHops: ['10.0.0.1'] });
    const defaultTopic = t.client.log.slice(since).filter((m) => m.topic === t.topics.intentResult('r1'));
    expect(defaultTopic.map((m) => body<ResultMessage>(m).id)).toEqual(['rr-2']);
  });

  it('answers an MQTT 3.1.1 publisher on the result topic', async () => {
    const resultTopic = t.topics.intentResult('r1');
    const legacyClient = await connect([resultTopic], 4);

    await legacyClient.publish(t.topics.intent('r1'), { id: 'v311-1', prefix: '10.3.3.0/24', nextHops: ['10.0.0.1'] });

    const result = await legacyClient.next((m) => m.topic === resultTopic && body<ResultMessage>(m).id === 'v311-1');
    expect(body<ResultMessage>(result)).toMatchObject({ ok: true, results: [{ status: 'SUCCESS', added: 1 }] });
    expect(t.routes('10.3.3.0/24')).toHaveLength(1);
  });

  it('retains the device state, so a late subscriber learns it at once', async () => {
    const late = await connect([t.topics.state('r1')]);

    const state = await late.next(() => true);
    expect(state.packet.retain).toBe(true);
    expect(body<DeviceStateMessage>(state)).toMatchObject({ state: 'ready', dialect: 'legacy' });
    expect(Number.isNaN(Date.parse(body<DeviceStateMessage>(state).since))).toBe(false);
  });

  it('retains online on the bridge status topic', async () => {
    const late = await connect([statusTopic()]);

    const status = await late.next(() => true);
    expect(status).toMatchObject({ topic: `jet/bridge/${config.clientId}/status`, text: 'online' });
    expect(status.packet.retain).toBe(true);
  });

  it('runs an allowed operational command and refuses one the policy does not allow', async () => {
    const since = t.client.mark();
    const opResult = t.topics.opResult('r1');
    const answerTo = (id: string) => (m: Received) => m.topic === opResult && body<OpResultMessage>(m).id === id;

    await t.client.publish(t.topics.op('r1'), { id: 'op-version', command: 'show version' });
    await t.client.publish(t.topics.op('r1'), { id: 'op-reboot', command: 'request system reboot' });

    const version = body<OpResultMessage>(await t.client.next(answerTo('op-version'), since));
    expect(version).toMatchObject({ ok: true, device: 'r1', command: 'show version' });
    expect(version.output).toContain('Hostname: r1');
    const reboot = body<OpResultMessage>(await t.client.next(answerTo('op-reboot'), since));
    expect(reboot).toMatchObject({ ok: false, command: 'request system reboot' });
    expect(reboot.error).toMatch(/not allowed by policy/);
  });

  it('leaves offline as its last will when its connection dies, and says online again when back', async () => {
    const watcher = await connect([statusTopic()]);
    await watcher.next(isStatus('online'));
    const since = watcher.mark();

    await proxy.cut();
    await watcher.next(isStatus('offline'), since);
    const late = await connect([statusTopic()]);
    expect((await late.next(() => true)).text).toBe('offline');

    await proxy.restore();
    await watcher.next(isStatus('online'), since);
    // Serving again, through the new connection.
    const result = await t.request({ id: 'after-will', prefix: '10.3.4.0/24', nextHops: ['10.0.0.1'] });
    expect(result.ok).toBe(true);
  });

  it('retains offline after a graceful stop', async () => {
    await t.stop();

    const late = await connect([statusTopic()]);
    const status = await late.next(() => true);
    expect(status.text).toBe('offline');
    expect(status.packet.retain).toBe(true);
  });
});
