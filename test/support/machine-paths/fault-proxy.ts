/**
 * A loopback TCP proxy in front of a simulator whose connections meet planned fates, in order: `pass` (relayed),
 * `refuse` (accepted and cut at once: the client sees the socket close while connecting) or `blackhole` (accepted,
 * never answered: the client's connect timeout runs out). The fates are queued before the path runs, so no
 * fault depends on when the client happens to dial.
 */
import { connect, createServer, type Server, type Socket } from 'node:net';
import type { AddressInfo } from 'node:net';

/** What happens to one incoming connection. */
export type Fate = 'pass' | 'refuse' | 'blackhole';

/** A running proxy. */
export interface FaultProxy {
  /** `ws://127.0.0.1:PORT`. */
  readonly wsUrl: string;
  /** Fates of the next connections, oldest first; connections past the queue pass. */
  readonly fates: Fate[];
  close(): Promise<void>;
}

/** Starts a proxy on 127.0.0.1 port 0 towards `targetPort`. */
export const startFaultProxy = async (targetPort: number): Promise<FaultProxy> => {
  const fates: Fate[] = [];
  const sockets = new Set<Socket>();
  const server: Server = createServer((client) => {
    sockets.add(client);
    client.on('close', () => sockets.delete(client));
    client.on('error', () => {});
    const fate = fates.shift() ?? 'pass';
    if (fate === 'refuse') return void client.destroy();
    if (fate === 'blackhole') return;
    const upstream = connect(targetPort, '127.0.0.1');
    sockets.add(upstream);
    upstream.on('close', () => {
      sockets.delete(upstream);
      client.destroy();
    });
    upstream.on('error', () => client.destroy());
    client.on('close', () => upstream.destroy());
    client.pipe(upstream);
    upstream.pipe(client);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    wsUrl: `ws://127.0.0.1:${port}`,
    fates,
    close: async () => {
      for (const s of sockets) s.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
};
