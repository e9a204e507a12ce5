/**
 * The bench's own Mosquitto: the Debian binary on a free loopback port, with a
 * configuration that never drops a QoS 1 message under the bench's bursts
 * (Mosquitto queues at most 1000 per client by default and drops the rest).
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { isPortOpen } from './http.js';
import { freePort } from './ports.js';
import { untilReady, type BenchChild, type ChildGroup } from './processes.js';

export interface BenchBroker {
  url: string;
  port: number;
  child: BenchChild;
}

function configText(port: number): string {
  const lines = [
    `listener ${port} 127.0.0.1`,
    'allow_anonymous true',
    'max_queued_messages 10000000',
    'max_queued_bytes 0',
    // 0: no limit on QoS 1 messages in flight to one client.
    'max_inflight_messages 0',
    'persistence false',
    'log_dest stderr',
    'log_type error',
    'log_type warning',
  ];
  // Started as root, Mosquitto switches to the `mosquitto` user, which cannot read a root-owned temp dir.
  if (process.getuid?.() === 0) lines.push('user root');
  return `${lines.join('\n')}\n`;
}

export async function startBroker(group: ChildGroup, dir: string): Promise<BenchBroker> {
  const port = await freePort();
  const configFile = join(dir, 'mosquitto.conf');
  writeFileSync(configFile, configText(port));
  const child = group.start({
    name: 'mosquitto',
    command: 'mosquitto',
    args: ['-c', configFile],
    logFile: join(dir, 'mosquitto.log'),
  });
  await untilReady(child, 'listening MQTT port', () => isPortOpen(port), 5000);
  return { url: `mqtt://127.0.0.1:${port}`, port, child };
}
