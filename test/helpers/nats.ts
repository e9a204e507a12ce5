/**
 * A real NATS cluster for tests: three `nats-server` processes (Debian package
 * `nats-server`) on free loopback ports, routed to each other, with JetStream and
 * an MQTT 3.1.1 listener on every node. MQTT sessions live in JetStream streams
 * replicated to all three nodes (`stream_replicas: 3`), so a persistent session
 * survives the node its client was connected to.
 *
 * Each node can be killed (SIGKILL, as in a crash) and started again on the same
 * ports and store. The cluster is ready when every node reports healthy JetStream
 * on its monitoring port, which is also when MQTT clients can connect.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { freePort } from './ports.js';

export interface NatsNode {
  readonly name: string;
  /** `mqtt://127.0.0.1:<port>`: this node's MQTT listener. */
  readonly mqttUrl: string;
  readonly mqttPort: number;
  /** The NATS client port. */
  readonly clientPort: number;
  /** SIGKILL now, as in a crash; start() brings it back. */
  kill(): void;
  /** Starts it again (same ports, same JetStream store) and waits until it is healthy. */
  start(): Promise<void>;
  readonly running: boolean;
  /** Everything it printed so far. */
  log(): string;
}

export interface NatsCluster {
  readonly nodes: readonly NatsNode[];
  /** Every node's MQTT URL, as `mqtt.url` takes a cluster. */
  readonly mqttUrls: readonly string[];
  /** Stops every node and removes the stores. */
  stop(): Promise<void>;
}

interface NodePorts {
  client: number;
  cluster: number;
  mqtt: number;
  http: number;
}

const READY_TIMEOUT_MS = 30_000;
const EXIT_TIMEOUT_MS = 5000;

/** Starts a cluster of `size` nodes (three unless told) and waits until all are healthy. */
export async function startNatsCluster(size = 3): Promise<NatsCluster> {
  const dir = await mkdtemp(join(tmpdir(), 'jetbridge-nats-'));
  const ports: NodePorts[] = [];
  for (let i = 0; i < size; i++)
    ports.push({ client: await freePort(), cluster: await freePort(), mqtt: await freePort(), http: await freePort() });
  const routes = ports.map((p) => `nats-route://127.0.0.1:${p.cluster}`);
  const nodes: ClusterNode[] = [];
  for (const [i, p] of ports.entries()) {
    const name = `n${i + 1}`;
    const nodeDir = join(dir, name);
    await mkdir(nodeDir);
    const configPath = join(nodeDir, 'nats.conf');
    await writeFile(configPath, configText(name, p, routes, join(nodeDir, 'jetstream')));
    nodes.push(new ClusterNode(name, p, configPath));
  }
  const stop = async (): Promise<void> => {
    await Promise.all(nodes.map((n) => n.halt()));
    await rm(dir, { recursive: true, force: true });
  };
  try {
    // Started together: JetStream elects its meta leader only once a majority is up.
    for (const node of nodes) node.launch();
    await Promise.all(nodes.map((n) => n.untilHealthy()));
  } catch (error) {
    await stop();
    throw error;
  }
  return { nodes, mqttUrls: nodes.map((n) => n.mqttUrl), stop };
}

function configText(name: string, p: NodePorts, routes: string[], storeDir: string): string {
  return `server_name: ${name}
listen: 127.0.0.1:${p.client}
http: 127.0.0.1:${p.http}
cluster {
  name: jetbridge-test
  listen: 127.0.0.1:${p.cluster}
  routes: [${routes.join(', ')}]
}
jetstream {
  store_dir: "${storeDir}"
  max_memory_store: 64MB
  max_file_store: 1GB
}
mqtt {
  listen: 127.0.0.1:${p.mqtt}
  stream_replicas: 3
}
`;
}

class ClusterNode implements NatsNode {
  readonly mqttUrl: string;
  private child: ChildProcess | undefined;
  private output = '';
  /** Set when the binary could not be started at all (missing, say). */
  private spawnFailed = false;

  constructor(
    readonly name: string,
    private readonly ports: NodePorts,
    private readonly configPath: string,
  ) {
    this.mqttUrl = `mqtt://127.0.0.1:${ports.mqtt}`;
  }

  get mqttPort(): number {
    return this.ports.mqtt;
  }

  get clientPort(): number {
    return this.ports.client;
  }

  get running(): boolean {
    return (
      !this.spawnFailed && this.child !== undefined && this.child.exitCode === null && this.child.signalCode === null
    );
  }

  log(): string {
    return this.output;
  }

  launch(): void {
    this.spawnFailed = false;
    const child = spawn('nats-server', ['-c', this.configPath], { stdio: ['ignore', 'pipe', 'pipe'] });
    this.child = child;
    const keep = (chunk: Buffer) => (this.output += chunk.toString());
    child.stdout?.on('data', keep);
    child.stderr?.on('data', keep);
    child.once('error', (error: NodeJS.ErrnoException) => {
      this.spawnFailed = true;
      this.output +=
        error.code === 'ENOENT'
          ? '\nnats-server is not installed: run scripts/install-test-deps.sh'
          : `\ncannot start nats-server: ${error.message}`;
    });
  }

  async start(): Promise<void> {
    if (this.running) return;
    this.launch();
    await this.untilHealthy();
  }

  kill(): void {
    if (this.running) this.child?.kill('SIGKILL');
  }

  /** Waits for healthy JetStream (the meta leader is known), which MQTT needs. */
  async untilHealthy(): Promise<void> {
    const deadline = Date.now() + READY_TIMEOUT_MS;
    while (Date.now() < deadline) {
      if (!this.running) throw new Error(`nats-server ${this.name} exited during startup:\n${this.output}`);
      if ((await httpStatus(this.ports.http, '/healthz')) === 200) return;
      await sleep(100);
    }
    throw new Error(
      `nats-server ${this.name} was not healthy within ${READY_TIMEOUT_MS} ms (monitoring port ${this.ports.http}):\n${this.output}`,
    );
  }

  async halt(): Promise<void> {
    const child = this.child;
    if (child === undefined || !this.running) return;
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    child.kill('SIGTERM');
    const inTime = await Promise.race([exited.then(() => true), sleep(EXIT_TIMEOUT_MS, false, { ref: false })]);
    if (!inTime) {
      child.kill('SIGKILL');
      await exited;
    }
  }
}

/** The status code of a GET on the monitoring port, or 0 when nothing answers. */
function httpStatus(port: number, path: string): Promise<number> {
  return new Promise((resolve) => {
    const req = request({ host: '127.0.0.1', port, path, timeout: 1000 }, (res) => {
      res.resume();
      resolve(res.statusCode ?? 0);
    });
    req.once('timeout', () => req.destroy());
    req.once('error', () => resolve(0));
    req.end();
  });
}
