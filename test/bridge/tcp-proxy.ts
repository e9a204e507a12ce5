/**
 * A TCP relay on a free loopback port that a test can cut: put it between a
 * client and its server, then `cut()` to kill every relayed connection without
 * a goodbye (as a crash or a network failure would) and refuse new ones until
 * `restore()`.
 */
import net from 'node:net';
import { freePort } from '../helpers/ports.js';

export interface TcpProxy {
  port: number;
  /** Destroys every relayed connection and stops accepting new ones. */
  cut(): Promise<void>;
  /** Accepts connections again, on the same port. */
  restore(): Promise<void>;
  close(): Promise<void>;
}

export async function startTcpProxy(target: { host: string; port: number }): Promise<TcpProxy> {
  const port = await freePort();
  const sockets = new Set<net.Socket>();
  const track = (socket: net.Socket): void => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    // A reset of one side is how a relayed connection ends here; the other side follows.
    socket.on('error', () => socket.destroy());
  };
  let server: net.Server | undefined;

  const listen = (): Promise<void> =>
    new Promise((resolve, reject) => {
      const relay = net.createServer((inbound) => {
        const outbound = net.connect(target.port, target.host);
        track(inbound);
        track(outbound);
        inbound.pipe(outbound).pipe(inbound);
        inbound.on('close', () => outbound.destroy());
        outbound.on('close', () => inbound.destroy());
      });
      relay.once('error', reject);
      relay.listen(port, '127.0.0.1', () => {
        server = relay;
        resolve();
      });
    });

  const cut = async (): Promise<void> => {
    const closing = server;
    server = undefined;
    const closed = new Promise<void>((resolve) => (closing ? closing.close(() => resolve()) : resolve()));
    for (const socket of sockets) socket.destroy();
    await closed;
  };

  await listen();
  return { port, cut, restore: listen, close: cut };
}
