/**
 * FlowSpec end to end, in both dialects: an intent with a match and actions
 * goes through policy, coalescing, diffing and batching to the emulator, which
 * keeps it in inetflow.0; the query topic, `show route table inetflow.0` and a
 * withdraw see and remove it. Policy rules of the `flowspec` section refuse
 * what they must before anything reaches the router.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { pathCookie } from '../../src/intent/route-key.js';
import { DIALECTS } from '../../src/jet/model.js';
import type { QueryAnswer } from '../../src/pipeline/query.js';
import type { OpResultMessage } from '../../src/pipeline/op-command.js';
import { body, makeTestConfig, startTestBridge, type TestBridge } from './harness.js';

const DDOS = {
  id: 'ddos-17',
  flowspec: {
    destination: '203.0.113.0/24',
    source: '198.51.100.7/32',
    protocols: ['udp'],
    destinationPorts: [53],
  },
  then: { rateLimit: 1_000_000 },
};
const DDOS_KEY = '203.0.113.0/24,198.51.100.7/32,proto=17,dstport=53';

const POLICY = {
  tables: ['inet.0', 'inet6.0', 'inetflow.0', 'inet6flow.0'],
  flowspec: {
    actions: ['discard', 'rateLimit', 'sample'],
    destinations: ['203.0.113.0/24 le 32', '2001:db8::/32 le 128'],
    maxRateLimit: 10_000_000,
  },
};

describe.each(DIALECTS)('FlowSpec through the bridge, %s dialect', (dialect) => {
  let t: TestBridge;

  const flowRoutes = (table = 'inetflow.0') =>
    t
      .emulator()
      .routes()
      .filter((route) => route.table === table);

  beforeAll(async () => {
    const config = await makeTestConfig({
      broker: { kind: 'embedded' },
      devices: [
        { name: 'r1', dialect, config: { policy: POLICY } },
        { name: 'r2', dialect },
      ],
      topicPrefix: `${dialect}/flow`,
      pipeline: { debounceMs: 20 },
    });
    t = await startTestBridge(config);
    await Promise.all([t.ready('r1'), t.ready('r2')]);
  });

  afterAll(async () => {
    await t?.stop();
  });

  it('programs a flow route in inetflow.0 with its match, actions and a stable cookie', async () => {
    const result = await t.request(DDOS);

    expect(result).toMatchObject({ id: 'ddos-17', ok: true });
    expect(result.results[0]).toMatchObject({
      prefix: DDOS_KEY,
      table: 'inetflow.0',
      action: 'announce',
      status: 'SUCCESS',
      added: 1,
    });
    const [route, ...others] = flowRoutes();
    expect(others).toEqual([]);
    expect(route).toMatchObject({
      prefix: DDOS_KEY,
      length: 0,
      nextHops: [],
      then: { rateLimit: 1_000_000 },
      flowspec: {
        destination: '203.0.113.0/24',
        source: '198.51.100.7/32',
        protocols: [{ min: 17, max: 17 }],
        destinationPorts: [{ min: 53, max: 53 }],
      },
    });
    expect(route!.cookie).toBe(pathCookie('r1', 'inetflow.0', DDOS_KEY, 0, ''));
  });

  it('answers the same match in another spelling as unchanged, and a new action as one modify', async () => {
    const respelled = {
      id: 'ddos-17b',
      flowspec: { destinationPorts: ['53'], protocols: [17], source: '198.51.100.7/32', destination: '203.0.113.0/24' },
      then: { rateLimit: 1_000_000 },
    };
    expect((await t.request(respelled)).results[0]).toMatchObject({ status: 'SUCCESS', unchanged: true });

    const changed = await t.request({ ...DDOS, id: 'ddos-17c', then: { discard: true, sample: true } });

    expect(changed.results[0]).toMatchObject({ status: 'SUCCESS', modified: 1, added: 0 });
    expect(flowRoutes().map((r) => r.then)).toEqual([{ discard: true, sample: true }]);
  });

  it('lists flow routes on the query topic and in show route table inetflow.0', async () => {
    const since = t.client.mark();
    await t.client.publish(t.topics.get('r1'), { id: 'q-flow', table: 'inetflow.0' });
    const answer = body<QueryAnswer>(await t.client.next((m) => m.topic === t.topics.getResult('r1'), since));

    expect(answer).toMatchObject({ id: 'q-flow', ok: true });
    expect(answer.routes).toEqual([
      expect.objectContaining({
        prefix: DDOS_KEY,
        table: 'inetflow.0',
        flowspec: { ...DDOS.flowspec, protocols: ['udp'] },
        then: { discard: true, sample: true },
      }),
    ]);

    const opSince = t.client.mark();
    await t.client.publish(t.topics.op('r1'), { id: 'op-flow', command: 'show route table inetflow.0' });
    const op = body<OpResultMessage>(await t.client.next((m) => m.topic === t.topics.opResult('r1'), opSince));
    expect(op.ok).toBe(true);
    expect(op.output).toContain('inetflow.0: 1 destinations, 1 routes');
    expect(op.output).toContain(DDOS_KEY);
    expect(op.output).toContain('Actions: discard, sample');
  });

  it('programs an IPv6 flow route with ranges, TCP flags and fragments in inet6flow.0', async () => {
    const result = await t.request({
      id: 'v6-flow',
      flowspec: {
        destination: '2001:db8::/48',
        protocols: ['tcp'],
        destinationPorts: ['>=1024', 80],
        packetLengths: ['0-100'],
        tcpFlags: ['syn'],
        fragment: ['dont-fragment'],
        dscp: [46],
      },
      then: { rateLimit: 64_000, sample: true },
    });

    expect(result.results[0]).toMatchObject({
      status: 'SUCCESS',
      added: 1,
      table: 'inet6flow.0',
      prefix: '2001:db8::/48,*,proto=6,dstport=80,=1024-65535,len=0-100,dscp=46,tcp-flag=syn,frag=dont-fragment',
    });
    expect(flowRoutes('inet6flow.0')).toHaveLength(1);
  });

  it('withdraws a flow route by its match', async () => {
    const result = await t.request({ id: 'ddos-17-end', action: 'withdraw', flowspec: DDOS.flowspec });

    expect(result.results[0]).toMatchObject({ action: 'withdraw', status: 'SUCCESS', removed: 1 });
    expect(flowRoutes()).toEqual([]);
  });

  it.each([
    [{ ...DDOS, id: 'p1', then: { rateLimit: 20_000_000 } }, "exceeds the policy's maxRateLimit of 10000000"],
    [{ ...DDOS, id: 'p2', then: { markDscp: 10 } }, 'flow action markDscp is not allowed by policy'],
    [
      { ...DDOS, id: 'p3', flowspec: { destination: '192.0.2.0/24' } },
      'flow destination 192.0.2.0/24 is not in the allowed flow destinations',
    ],
    [
      { ...DDOS, id: 'p4', flowspec: { protocols: ['udp'] } },
      'a flow route without a destination matches traffic to anywhere',
    ],
  ])('refuses a flow route outside the policy before JET: %#', async (intent, reason) => {
    const result = await t.request(intent);

    expect(result.results[0]).toMatchObject({ status: 'POLICY_DENIED' });
    expect(result.results[0]!.error).toContain(reason);
    expect(flowRoutes()).toEqual([]);
  });

  it('refuses flow routes on a device whose policy lists no flow table', async () => {
    const result = await t.request({ ...DDOS, id: 'r2-flow' }, { device: 'r2' });

    expect(result.results[0]).toMatchObject({ status: 'POLICY_DENIED' });
    expect(result.results[0]!.error).toContain('table inetflow.0 is not in the allowed tables');
    expect(
      t
        .emulator('r2')
        .routes()
        .filter((r) => r.table === 'inetflow.0'),
    ).toEqual([]);
  });
});
