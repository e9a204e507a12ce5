/**
 * An MQTT broker inside the bridge process (aedes on a plain TCP listener), for trying
 * the bridge without installing a broker. It keeps sessions and retained messages in
 * memory only, so they end with the process.
 *
 * aedes 1.2 speaks MQTT 3.1.1 only: it answers an MQTT 5 CONNECT with "unacceptable
 * protocol version" (return code 1). Against it the bridge connects with protocol 4
 * ({@link EMBEDDED_BROKER_PROTOCOL_VERSION}), which means no response topics or
 * correlation data and no manual acknowledgement; the latter buys nothing here
 * anyway, since the broker's session store dies with the bridge.
 */
import { createConnection, createServer, type Server, type Socket } from 'node:net';
import { Aedes } from 'aedes';
import type { Logger } from 'pino';

/** The MQTT protocol version the bridge must use against the embedded broker. */
export const EMBEDDED_BROKER_PROTOCOL_VERSION = 4;

export interface EmbeddedBrokerOptions {
  host: string;
  /** 0 picks a free port. */
  port: number;
  logger: Logger;
}

export interface EmbeddedBroker {
  /** The port it listens on (the chosen one when asked for 0). */
  port: number;
  /** Disconnects every client and stops listening. */
  close(): Promise<void>;
}

export async function startEmbeddedBroker({ host, port, logger }: EmbeddedBrokerOptions): Promise<EmbeddedBroker> {
  const log = logger.child({ component: 'embedded-broker' });
  const broker = await Aedes.createBroker();
  broker.on('client', (client) => log.debug({ clientId: client.id }, 'client connected'));
  broker.on('clientDisconnect', (client) => log.debug({ clientId: client.id }, 'client disconnected'));
  broker.on('clientError', (client, error) => log.debug({ clientId: client.id, error: error.message }, 'client error'));

  const server = createServer(broker.handle);
  // Tracked so that close() does not wait for clients that never send DISCONNECT.
  const sockets = new Set<Socket>();
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
  });
  try {
    await listen(server, host, port);
  } catch (error) {
    await closeBroker(broker);
    throw new Error(`embedded MQTT broker cannot listen on ${host}:${port}: ${(error as Error).message}`, {
      cause: error,
    });
  }
  const address = server.address();
  const boundPort = typeof address === 'object' && address !== null ? address.port : port;
  log.info({ host, port: boundPort }, 'embedded MQTT broker listening');

  return {
    port: boundPort,
    async close() {
      const serverClosed = new Promise<void>((resolve) => server.close(() => resolve()));
      await closeBroker(broker);
      for (const socket of sockets) socket.destroy();
      await serverClosed;
      log.info('embedded MQTT broker closed');
    },
  };
}

/**
 * Whether something accepts TCP connections on host:port, within `timeoutMs`. The
 * bridge asks before starting the embedded broker on a port an external one may hold.
 */
export function isListening(host: string, port: number, timeoutMs = 1000): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = createConnection({ host, port });
    const finish = (listening: boolean): void => {
      socket.destroy();
      resolve(listening);
    };
    socket.setTimeout(timeoutMs, () => finish(false));
    socket.once('connect', () => finish(true));
    socket.once('error', () => finish(false));
  });
}

function listen(server: Server, host: string, port: number): Promise<void> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
}

function closeBroker(broker: Aedes): Promise<void> {
  return new Promise((resolve) => broker.close(() => resolve()));
}
