/**
 * The world a convergence schedule runs in: the JET emulator over real gRPC
 * and one bridge device assembled in-process as `startBridge` assembles it
 * (session, programmed paths loaded from a SQLite store, unreconciled
 * destinations, the intent pipeline, the reconciler), fed intent messages
 * directly instead of through a broker, which keeps a schedule well under a
 * second. Faults: a bridge crash and restart from its durable store (intents
 * unanswered at the crash are served again, as the inbox would), a router
 * reboot (state loss), dropped connections, UNAVAILABLE / TRY_AGAIN windows,
 * latency, and route-level rejections.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { setTimeout as sleep } from 'node:timers/promises';
import { join } from 'node:path';
import { pino, type Logger } from 'pino';
import { Subject } from 'rxjs';
import { type Faults, JetEmulator, type RejectFault } from '../../src/emulator/emulator.js';
import { DEFAULT_INTENT_LIMITS } from '../../src/intent/intent.js';
import { compilePolicy } from '../../src/intent/policy.js';
import { pathCookie } from '../../src/intent/route-key.js';
import type { BgpPath } from '../../src/jet/model.js';
import type { DeviceStatus } from '../../src/jet/device.js';
import { JetDeviceSession } from '../../src/jet/session.js';
import type { InboundMessage } from '../../src/mqtt/client.js';
import type { ResultMessage } from '../../src/mqtt/results.js';
import { Topics } from '../../src/mqtt/topics.js';
import type { DeviceContext } from '../../src/pipeline/context.js';
import { createIntentPipeline } from '../../src/pipeline/pipeline.js';
import { Reconciler } from '../../src/pipeline/reconciler.js';
import { ProgrammedPaths } from '../../src/state/programmed.js';
import { SqliteProgrammedStore } from '../../src/state/store.js';
import { UnreconciledPaths } from '../../src/state/unreconciled.js';

export const DEVICE = 'r1';
const CLIENT_ID = 'convergence';
const USERS = { jet: 'jet' };
const topics = new Topics('jet');

/** One intent as sent: its message payload and the answer it got (if any). */
export interface SentIntent {
  readonly id: string;
  readonly prefix: string;
  readonly payload: Record<string, unknown>;
  answer?: ResultMessage;
}

/** A running bridge incarnation: what a process holds in memory. */
interface Incarnation {
  readonly input: Subject<InboundMessage>;
  readonly session: JetDeviceSession;
  readonly store: SqliteProgrammedStore;
  readonly unreconciled: UnreconciledPaths;
  readonly reconciler: Reconciler;
  /** The session's last status. */
  status: DeviceStatus;
  dead: boolean;
}

export class World {
  readonly sent: SentIntent[] = [];
  private readonly byId = new Map<string, SentIntent>();
  private readonly dir = mkdtempSync(join(tmpdir(), 'jetbridge-convergence-'));
  private bridge: Incarnation | undefined;
  private faults: Faults = {};
  /** Intents sent while the bridge was down, served when it is back. */
  private held: SentIntent[] = [];
  /** When the router last lost its state: the bridge must have initialized since. */
  private rebootedAt = 0;

  private constructor(
    private emulator: JetEmulator,
    private readonly logger: Logger,
  ) {}

  static async create(logger: Logger = pino({ level: 'silent' })): Promise<World> {
    const emulator = await JetEmulator.start({ users: USERS, purgeTimeoutMs: 60_000, logger });
    const world = new World(emulator, logger);
    world.startBridge();
    await world.serving();
    return world;
  }

  /** Sends one intent message; its answer is recorded when it comes. */
  send(intent: SentIntent): void {
    this.sent.push(intent);
    this.byId.set(intent.id, intent);
    if (this.bridge === undefined) this.held.push(intent);
    else this.deliver(this.bridge, intent);
  }

  /** The bridge process dies: nothing in memory survives, the state file does. */
  async crash(): Promise<void> {
    const bridge = this.bridge;
    if (bridge === undefined) return;
    this.bridge = undefined;
    bridge.dead = true;
    bridge.reconciler.stop();
    bridge.input.complete();
    await bridge.session.stop();
    bridge.store.close();
  }

  /** Starts a bridge on the state file; unanswered intents are served first, as the inbox does. */
  restart(): void {
    if (this.bridge !== undefined) return;
    const bridge = this.startBridge();
    const replay = [...this.sent.filter((s) => s.answer === undefined && !this.held.includes(s)), ...this.held];
    this.held = [];
    for (const intent of replay) this.deliver(bridge, intent);
  }

  /** The router reboots: every route and client state is gone. */
  async rebootRouter(): Promise<void> {
    const port = this.emulator.port;
    await this.emulator.stop();
    this.rebootedAt = Date.now();
    this.emulator = await JetEmulator.start({ users: USERS, port, purgeTimeoutMs: 60_000, logger: this.logger });
    this.emulator.setFaults(this.faults);
  }

  dropConnections(): void {
    this.emulator.dropConnections();
  }

  /** Changes some faults, keeping the others. */
  setFaults(change: Partial<Faults>): void {
    const next: Faults = { ...this.faults, ...change };
    for (const key of Object.keys(next) as Array<keyof Faults>) if (next[key] === undefined) delete next[key];
    this.faults = next;
    this.emulator.setFaults(next);
  }

  setReject(reject: RejectFault | undefined): void {
    this.setFaults({ reject });
  }

  clearFaults(): void {
    this.faults = {};
    this.emulator.setFaults({});
  }

  get running(): boolean {
    return this.bridge !== undefined;
  }

  /** Intents without an answer yet. */
  unanswered(): SentIntent[] {
    return this.sent.filter((s) => s.answer === undefined);
  }

  /** Paths the live bridge has not reconciled yet. */
  unreconciledPaths(): number {
    return this.bridge?.unreconciled.count ?? 0;
  }

  /**
   * Waits (at most `ms`) until the bridge serves a connection made after the
   * router's last reboot: it has initialized and reconciled since.
   */
  async serving(ms = 3000): Promise<void> {
    const deadline = Date.now() + ms;
    while (!this.isServing() && Date.now() < deadline) await sleep(5);
  }

  private isServing(): boolean {
    const status = this.bridge?.status;
    if (status === undefined) return false;
    return (status.state === 'ready' || status.state === 'rebound') && status.since.getTime() >= this.rebootedAt;
  }

  /**
   * Whether the bridge has nothing left to do: every intent answered, nothing
   * unreconciled, and its session serving a connection made after the router's
   * last reboot (so a reconcile has seen the router's state).
   */
  quiescent(): boolean {
    const bridge = this.bridge;
    if (bridge === undefined || this.unanswered().length > 0 || bridge.unreconciled.count > 0) return false;
    return (
      this.isServing() && this.emulator.clients().some((c) => c.clientId === CLIENT_ID && c.initialized && c.connected)
    );
  }

  /** Why the world is not quiescent, for a failure message. */
  describe(): string {
    const status = this.bridge?.status;
    return JSON.stringify({
      running: this.bridge !== undefined,
      unanswered: this.unanswered().map((s) => s.id),
      unreconciled: this.bridge?.unreconciled
        .all()
        .map((e) => ({ ...e.destination, status: e.status, paths: e.paths })),
      session: status && { state: status.state, since: status.since.toISOString(), error: status.error },
      rebootedAt: new Date(this.rebootedAt).toISOString(),
      clients: this.emulator.clients(),
    });
  }

  /** The router's paths of this bridge's client. */
  routerPaths(): BgpPath[] {
    return this.emulator
      .routes()
      .filter((r) => r.owner === CLIENT_ID)
      .map(({ owner: _owner, since: _since, ...path }) => path);
  }

  /** The durable record of the live bridge. */
  recordedPaths(): BgpPath[] {
    return this.bridge?.store.load(DEVICE) ?? [];
  }

  async close(): Promise<void> {
    await this.crash();
    await this.emulator.stop();
    rmSync(this.dir, { recursive: true, force: true });
  }

  private deliver(bridge: Incarnation, intent: SentIntent): void {
    const msg: InboundMessage = {
      topic: topics.intent(DEVICE),
      payload: Buffer.from(JSON.stringify(intent.payload)),
      qos: 1,
      receivedAt: performance.now(),
      ack: () => undefined,
    };
    bridge.input.next(msg);
  }

  private startBridge(): Incarnation {
    const logger = this.logger;
    const store = new SqliteProgrammedStore(join(this.dir, 'state.db'));
    const session = new JetDeviceSession({
      device: DEVICE,
      address: this.emulator.address,
      dialect: 'legacy',
      username: 'jet',
      password: { value: 'jet' },
      clientId: CLIENT_ID,
      rpcTimeoutMs: 1000,
      retry: { initialMs: 5, maxMs: 40, maxAttempts: 3 },
      unavailableBudgetMs: 250,
      logger,
    });
    const programmed = new ProgrammedPaths();
    for (const path of store.load(DEVICE)) programmed.apply(path);
    const unreconciled = new UnreconciledPaths();
    const context: DeviceContext = {
      session,
      programmed,
      policy: compilePolicy(undefined),
      unreconciled,
      store: { apply: async (device, upserts, removes) => store.apply(device, upserts, removes) },
    };
    const input = new Subject<InboundMessage>();
    const incarnation: Partial<Incarnation> & { dead: boolean } = { dead: false };
    const pipeline = createIntentPipeline({
      devices: new Map([[DEVICE, context]]),
      topics,
      reply: async (_msg, _topic, payload) => {
        // A dead process publishes nothing.
        if (incarnation.dead) return;
        const answer = JSON.parse(payload) as ResultMessage;
        const intent = answer.id === undefined ? undefined : this.byId.get(answer.id);
        if (intent !== undefined && intent.answer === undefined) intent.answer = answer;
      },
      limits: DEFAULT_INTENT_LIMITS,
      config: { debounceMs: 2, maxBatch: 1000, maxBatchDelayMs: 2, maxInFlight: 8 },
      logger,
    });
    pipeline.run(input);
    const reconciler = new Reconciler({
      session,
      programmed,
      unreconciled,
      owned: (p) => {
        const first = p.nextHops[0];
        return first !== undefined && p.cookie === pathCookie(DEVICE, p.table, p.prefix, p.length, first);
      },
      lane: () => pipeline.lane(DEVICE),
      backoff: { initialMs: 5, maxMs: 40 },
      logger,
    });
    Object.assign(incarnation, { input, session, store, unreconciled, reconciler });
    session.status$.subscribe((status) => {
      incarnation.status = status;
    });
    session.start();
    this.bridge = incarnation as Incarnation;
    return this.bridge;
  }
}
