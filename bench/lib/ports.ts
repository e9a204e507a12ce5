/**
 * Free loopback ports for the bench's servers. The well-known MQTT and JET
 * ports are never handed out, so the bench cannot disturb a real broker or
 * router on this machine.
 */
import { createServer } from 'node:net';

const RESERVED_PORTS: ReadonlySet<number> = new Set([1883, 32767]);

function ephemeralPort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() =>
        typeof address === 'object' && address !== null
          ? resolve(address.port)
          : reject(new Error('listening socket has no port')),
      );
    });
  });
}

/** A TCP port on 127.0.0.1 that was free a moment ago, never 1883 or 32767. */
export async function freePort(): Promise<number> {
  for (;;) {
    const port = await ephemeralPort();
    if (!RESERVED_PORTS.has(port)) return port;
  }
}
