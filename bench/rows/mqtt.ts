/**
 * The MQTT rows: what mqtt.js and Mosquitto cost with no bridge at all. The
 * echo process is the reference for the bridge's CPU per intent (it does the
 * MQTT work a bridge cannot avoid: one message in, one out) and, driven at the
 * steady rate, for the bridge's latency under steady load.
 */
import { int, latencyText } from '../lib/format.js';
import { metered, type Bench, type RowDefinition, type RowResult } from '../lib/row.js';
import * as scenario from '../lib/scenarios.js';
import { startEcho, startSink } from '../lib/stack.js';
import { TOPICS } from '../lib/topics.js';

const mosquitto = (bench: Bench) => ({ mosquitto: bench.broker.child.pid });

export const ceiling: RowDefinition = {
  id: 'ceiling',
  async measure(bench): Promise<RowResult> {
    const { load, sizes } = bench;
    bench.progress('ceiling: publisher client -> broker -> subscriber client (this process)');
    await scenario.warmUp(load, TOPICS.ceiling, 'ceiling');
    const { result, cpu } = await metered(mosquitto(bench), (meter) =>
      scenario.measureCeiling(load, TOPICS.ceiling, sizes.ceilingMessages, meter),
    );
    return {
      id: 'ceiling',
      title: `MQTT publisher -> broker -> subscriber, QoS 1, one process (${int(result.count)})`,
      figure: `${int(result.perSec)} msg/s; ${latencyText(result.latency)}`,
      count: result.count,
      unit: 'msg',
      perSec: result.perSec,
      latency: result.latency,
      cpu,
      subject: 'bench',
      checks: [],
    };
  },
};

export const oneWay: RowDefinition = {
  id: 'one-way',
  async measure(bench): Promise<RowResult> {
    const { load, sizes, stack, broker } = bench;
    bench.progress('reference: subscriber in its own process');
    const sink = await startSink(stack, broker.url, TOPICS.oneWay, sizes.ceilingMessages);
    try {
      const { result, cpu } = await metered({ ...mosquitto(bench), sink: sink.pid }, (meter) =>
        scenario.measureOneWay(load, sink, TOPICS.oneWay, sizes.ceilingMessages, meter),
      );
      return {
        id: 'one-way',
        title: 'ref: publisher -> broker -> subscriber in its own process',
        figure: `${int(result.perSec)} msg/s; ${latencyText(result.latency)}`,
        count: result.count,
        unit: 'msg',
        perSec: result.perSec,
        latency: result.latency,
        cpu,
        subject: 'sink',
        checks: [],
      };
    } finally {
      await stack.group.stop(sink);
    }
  },
};

/** Runs `measure` against a fresh echo process. */
async function withEcho<T>(bench: Bench, measure: (echoPid: number) => Promise<T>): Promise<T> {
  const echo = await startEcho(bench.stack, bench.broker.url, TOPICS.echoRequest, TOPICS.echoReply);
  try {
    await scenario.warmUp(bench.load, TOPICS.echoRequest, 'ceiling');
    return await measure(echo.pid);
  } finally {
    await bench.stack.group.stop(echo);
  }
}

export const echo: RowDefinition = {
  id: 'echo',
  measure(bench): Promise<RowResult> {
    const { load, sizes } = bench;
    bench.progress(`reference: echo process, burst of ${int(sizes.singleIntents)}`);
    return withEcho(bench, async (pid) => {
      const { result, cpu } = await metered({ ...mosquitto(bench), echo: pid }, (meter) =>
        scenario.measureEcho(load, TOPICS.echoRequest, sizes.singleIntents, meter),
      );
      return {
        id: 'echo',
        title: `ref: echo process in the bridge's place, no work (${int(result.count)})`,
        figure: `${int(result.perSec)} msg/s; ${latencyText(result.latency)}`,
        count: result.count,
        unit: 'msg',
        perSec: result.perSec,
        latency: result.latency,
        cpu,
        subject: 'echo',
        checks: [],
      };
    });
  },
};

export const echoSteady: RowDefinition = {
  id: 'echo-steady',
  measure(bench): Promise<RowResult> {
    const { load, sizes } = bench;
    bench.progress(`reference: echo process, ${sizes.steadyRatePerSec}/s for ${sizes.steadySeconds} s`);
    return withEcho(bench, async (pid) => {
      const { result, cpu } = await metered({ ...mosquitto(bench), echo: pid }, (meter) =>
        scenario.measureSteady(
          load,
          TOPICS.echoRequest,
          sizes.steadyRatePerSec,
          sizes.steadySeconds,
          meter,
          scenario.anyReply,
        ),
      );
      return {
        id: 'echo-steady',
        title: `ref: echo process, steady ${int(result.targetRatePerSec)}/s for ${sizes.steadySeconds} s`,
        figure: `${latencyText(result.latency)}, max ${result.latency.maxMs.toFixed(1)} ms`,
        count: result.count,
        unit: 'msg',
        perSec: result.perSec,
        latency: result.latency,
        cpu,
        subject: 'echo',
        data: { sentRatePerSec: result.sentRatePerSec },
        checks: [],
      };
    });
  },
};
