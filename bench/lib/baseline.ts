/**
 * The per-message baseline: the bridge a user writes first, and what the 2018
 * JET demo apps do, with the same libraries as jetbridge (mqtt.js and the
 * generated grpc-js legacy clients). Runs as its own process.
 *
 * It logs in and initializes once, shares the login channel with the BGP stub
 * (as the router requires), then takes messages one at a time: parse the JSON
 * intent, one BgpRouteUpdate call, await its reply, publish a result with the
 * request's correlation data. The result is published without waiting for the
 * broker's PUBACK, which is the faster choice, so the comparison is fair to it.
 *
 * Usage: node --import tsx bench/lib/baseline.ts --url U --jet host:port
 *          --user U --password P --client-id C --topic T --reply-topic R
 */
import { credentials, type ServiceError } from '@grpc/grpc-js';
import mqtt, { type IPublishPacket } from 'mqtt';
import { parseArgs } from 'node:util';
import { LoginClient, type LoginReply, type LoginRequest } from '../../src/gen/authentication_service.js';
import {
  BgpRouteClient,
  BgpRouteInitializeReply_BgpRouteInitializeStatus as InitializeStatus,
  BgpRouteOperReply_BgpRouteOperStatus as OperStatus,
  BgpRouteUpdateRequest,
  RouteProtocol,
  type BgpRouteInitializeReply,
  type BgpRouteInitializeRequest,
  type BgpRouteOperReply,
} from '../../src/gen/bgp_route_service.js';

interface RouteIntent {
  id?: string;
  prefix: string;
  nextHops: string[];
  localPref?: number;
}

/** One cookie for every path: the demo apps took a fixed path cookie from their config. */
const PATH_COOKIE = 1n;

function required(value: string | undefined, flag: string): string {
  if (value === undefined || value === '') throw new Error(`baseline: ${flag} is required`);
  return value;
}

/** Calls a grpc-js unary method and resolves with its reply. */
function call<Req, Rep>(
  method: (request: Req, callback: (error: ServiceError | null, reply: Rep) => void) => unknown,
  request: Req,
): Promise<Rep> {
  return new Promise((resolve, reject) => method(request, (error, reply) => (error ? reject(error) : resolve(reply))));
}

function updateRequest(intent: RouteIntent): BgpRouteUpdateRequest {
  const [address, length] = intent.prefix.split('/');
  return BgpRouteUpdateRequest.fromPartial({
    bgpRoutes: [
      {
        destPrefix: { inet: { addrString: address } },
        destPrefixLen: Number(length),
        table: { rttName: { name: 'inet.0' } },
        protocol: RouteProtocol.PROTO_BGP_STATIC,
        pathCookie: PATH_COOKIE,
        protocolNexthops: intent.nextHops.map((addrString) => ({ addrString })),
        ...(intent.localPref !== undefined && { localPreference: { value: intent.localPref } }),
      },
    ],
  });
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      url: { type: 'string' },
      jet: { type: 'string' },
      user: { type: 'string' },
      password: { type: 'string' },
      'client-id': { type: 'string' },
      topic: { type: 'string' },
      'reply-topic': { type: 'string' },
    },
  });
  const jet = required(values.jet, '--jet');
  const clientId = required(values['client-id'], '--client-id');
  const replyTopic = required(values['reply-topic'], '--reply-topic');

  const auth = new LoginClient(jet, credentials.createInsecure());
  const bgp = new BgpRouteClient(jet, credentials.createInsecure(), { channelOverride: auth.getChannel() });
  const login = await call<LoginRequest, LoginReply>(auth.loginCheck.bind(auth), {
    userName: required(values.user, '--user'),
    password: required(values.password, '--password'),
    clientId,
    groupId: '',
  });
  if (!login.result) throw new Error('baseline: LoginCheck refused the credentials');
  const init = await call<BgpRouteInitializeRequest, BgpRouteInitializeReply>(bgp.bgpRouteInitialize.bind(bgp), {});
  if (init.status !== InitializeStatus.SUCCESS && init.status !== InitializeStatus.SUCCESS_STATE_REBOUND) {
    throw new Error(`baseline: BgpRouteInitialize answered ${InitializeStatus[init.status]}`);
  }
  const update = (request: BgpRouteUpdateRequest) =>
    call<BgpRouteUpdateRequest, BgpRouteOperReply>(bgp.bgpRouteUpdate.bind(bgp), request);

  const client = await mqtt.connectAsync(required(values.url, '--url'), {
    protocolVersion: 5,
    clientId,
    clean: true,
    reconnectPeriod: 0,
  });

  async function handle(payload: Buffer, packet: IPublishPacket): Promise<void> {
    const correlationData = packet.properties?.correlationData;
    let result: object;
    try {
      const intent = JSON.parse(payload.toString('utf8')) as RouteIntent;
      const reply = await update(updateRequest(intent));
      const status = OperStatus[reply.status] ?? String(reply.status);
      result = { id: intent.id, ok: reply.status === OperStatus.SUCCESS, results: [{ prefix: intent.prefix, status }] };
    } catch (error) {
      result = { ok: false, error: (error as Error).message, results: [] };
    }
    client.publish(replyTopic, JSON.stringify(result), {
      qos: 1,
      ...(correlationData && { properties: { correlationData } }),
    });
  }

  // One message at a time, in arrival order.
  let previous = Promise.resolve();
  client.on('message', (_topic, payload, packet: IPublishPacket) => {
    previous = previous.then(() => handle(payload, packet));
  });
  await client.subscribeAsync(required(values.topic, '--topic'), { qos: 1 });
  process.send?.({ kind: 'ready' });

  const stop = (): void => {
    auth.close();
    void client.endAsync().finally(() => process.exit(0));
  };
  process.once('SIGTERM', stop);
  process.once('SIGINT', stop);
  process.once('disconnect', stop);
}

main().catch((error: unknown) => {
  process.stderr.write(`baseline: ${(error as Error).stack ?? String(error)}\n`);
  process.exit(1);
});
