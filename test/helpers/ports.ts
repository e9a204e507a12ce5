/**
 * Free loopback ports for tests that need a port number before a server binds it
 * (for example to write it into a broker's configuration).
 */
import { createServer } from 'node:net';

/**
 * A TCP port on 127.0.0.1 that was free a moment ago. The kernel picks it from the
 * ephemeral range, which holds neither 1883 nor 32767, the ports that real
 * brokers and routers listen on.
 */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => {
        if (typeof address === 'object' && address !== null) resolve(address.port);
        else reject(new Error('listening socket has no port'));
      });
    });
  });
}
