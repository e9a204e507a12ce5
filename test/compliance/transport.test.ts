/**
 * Transport-level behaviour: TLS and mutual TLS (certificates made for the
 * test), and requests that are not valid protobuf or name no method, which get a
 * gRPC error while the server keeps serving everyone else.
 */
import * as grpc from '@grpc/grpc-js';
import { generate } from 'selfsigned';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  complianceDialects,
  emulatorTarget,
  hostRoutes,
  JetTestClient,
  ROUTER_MODE,
  startTarget,
  uniqueClientId,
  type ComplianceTarget,
} from './jet-client.js';

interface TestPki {
  ca: string;
  server: { cert: string; key: string };
  client: { cert: string; key: string };
}

/** A CA, a server certificate for localhost/127.0.0.1 and a client certificate, both signed by the CA. */
async function makePki(): Promise<TestPki> {
  const base = { keyType: 'ec' as const, algorithm: 'sha256' };
  const ca = await generate([{ name: 'commonName', value: 'jetbridge test CA' }], {
    ...base,
    extensions: [
      { name: 'basicConstraints', cA: true, critical: true },
      { name: 'keyUsage', keyCertSign: true, cRLSign: true, digitalSignature: true, critical: true },
    ],
  });
  const signer = { ca: { key: ca.private, cert: ca.cert } };
  const server = await generate([{ name: 'commonName', value: 'localhost' }], { ...base, ...signer });
  const client = await generate([{ name: 'commonName', value: 'jet-test-client' }], { ...base, ...signer });
  return {
    ca: ca.cert,
    server: { cert: server.cert, key: server.private },
    client: { cert: client.cert, key: client.private },
  };
}

/** The certificate names localhost; connecting by address still checks against that name. */
const LOCALHOST = { 'grpc.ssl_target_name_override': 'localhost' };

describe.skipIf(ROUTER_MODE).each(complianceDialects())('TLS (%s)', (dialect) => {
  let pki: TestPki;

  beforeAll(async () => {
    pki = await makePki();
  });

  async function loginWorks(target: ComplianceTarget): Promise<boolean> {
    const client = JetTestClient.open(target, dialect, uniqueClientId('tls'));
    try {
      const login = await client.login();
      const init = await client.initialize();
      const add = await client.add(hostRoutes(1));
      return login.ok && init.ok && add.ok;
    } finally {
      client.close();
    }
  }

  it('serves clients over TLS and refuses plaintext clients', async () => {
    const target = await emulatorTarget(
      { tls: { cert: pki.server.cert, key: pki.server.key } },
      grpc.credentials.createSsl(Buffer.from(pki.ca)),
      LOCALHOST,
    );
    try {
      expect(await loginWorks(target)).toBe(true);
      const plaintext = { ...target, credentials: grpc.credentials.createInsecure() };
      await expect(loginWorks(plaintext)).rejects.toMatchObject({ code: grpc.status.UNAVAILABLE });
    } finally {
      await target.stop();
    }
  });

  it('with mutual TLS, serves a client with a certificate from the CA and refuses one without', async () => {
    const target = await emulatorTarget(
      { tls: { cert: pki.server.cert, key: pki.server.key, ca: pki.ca, requireClientCert: true } },
      grpc.credentials.createSsl(Buffer.from(pki.ca), Buffer.from(pki.client.key), Buffer.from(pki.client.cert)),
      LOCALHOST,
    );
    try {
      expect(await loginWorks(target)).toBe(true);
      const anonymous = { ...target, credentials: grpc.credentials.createSsl(Buffer.from(pki.ca)) };
      await expect(loginWorks(anonymous)).rejects.toMatchObject({ code: grpc.status.UNAVAILABLE });
    } finally {
      await target.stop();
    }
  });
});

/** Methods whose request is a route list, by dialect. */
const ADD_METHOD = { legacy: '/routing.BgpRoute/BgpRouteAdd', jnx: '/jnx.jet.routing.bgp.Bgp/RouteAdd' } as const;

/** A client that sends raw bytes to any method and returns raw bytes: what a buggy peer would send. */
function rawClient(target: ComplianceTarget, path: string): Promise<Buffer> {
  const RawClient = grpc.makeGenericClientConstructor(
    {
      call: {
        path,
        requestStream: false,
        responseStream: false,
        requestSerialize: (bytes: Buffer) => bytes,
        requestDeserialize: (bytes: Buffer) => bytes,
        responseSerialize: (bytes: Buffer) => bytes,
        responseDeserialize: (bytes: Buffer) => bytes,
      },
    },
    'raw',
  );
  const client = new RawClient(target.address, target.credentials, {
    ...target.channelOptions,
    'grpc.use_local_subchannel_pool': 1,
  });
  // Field 1, length-delimited, claims 255 bytes and carries 1: no protobuf parser accepts it.
  const garbage = Buffer.from([0x0a, 0xff, 0x01, 0x02]);
  return new Promise<Buffer>((resolve, reject) => {
    client.makeUnaryRequest(
      path,
      (b: Buffer) => b,
      (b: Buffer) => b,
      garbage,
      { deadline: Date.now() + 5_000 },
      (error, reply) => {
        client.close();
        if (error) reject(error);
        else resolve(reply as Buffer);
      },
    );
  });
}

describe.each(complianceDialects())('malformed requests (%s)', (dialect) => {
  let target: ComplianceTarget;

  beforeAll(async () => {
    target = await startTarget();
  });
  afterAll(async () => {
    await target.stop();
  });

  it('answers a request that is not valid protobuf with a gRPC error and keeps serving other clients', async () => {
    const bystander = await JetTestClient.ready(target, dialect, uniqueClientId('bystander'));
    try {
      const error = await rawClient(target, ADD_METHOD[dialect]).then(
        () => undefined,
        (e: grpc.ServiceError) => e,
      );
      expect(error).toBeDefined();
      expect(error?.code).not.toBe(grpc.status.OK);
      if (!ROUTER_MODE) expect(error?.code).toBe(grpc.status.INTERNAL);
      expect(await bystander.add(hostRoutes(1, { secondOctet: 80 }))).toMatchObject({ status: 'SUCCESS' });
    } finally {
      await bystander.cleanup();
      bystander.close();
    }
  });

  it('answers an unknown method with UNIMPLEMENTED', async () => {
    const service = dialect === 'legacy' ? '/routing.BgpRoute' : '/jnx.jet.routing.bgp.Bgp';
    await expect(rawClient(target, `${service}/NoSuchMethod`)).rejects.toMatchObject({
      code: grpc.status.UNIMPLEMENTED,
    });
  });
});
