/**
 * A test guard that lets TCP connections reach loopback only: any other host is refused before a packet leaves
 * (the socket is destroyed) and recorded, so a test of a third-party client can assert it never tried one.
 */
import net from 'node:net';

const LOOPBACK = new Set(['127.0.0.1', '::1', 'localhost']);

/** Installs the guard; `refused` lists the hosts refused so far, `restore()` removes it. */
export const guardLoopback = (): { readonly refused: string[]; restore(): void } => {
  const refused: string[] = [];
  const original = net.Socket.prototype.connect;
  net.Socket.prototype.connect = function guarded(this: net.Socket, ...args: unknown[]) {
    // net.connect() passes its normalised [options, callback] as one array argument.
    const first = Array.isArray(args[0]) ? (args[0] as unknown[])[0] : args[0];
    const host = typeof first === 'object' && first !== null
      ? ((first as { host?: string; path?: string }).path !== undefined ? 'localhost' : (first as { host?: string }).host ?? 'localhost')
      : typeof args[1] === 'string' ? args[1] : 'localhost';
    if (!LOOPBACK.has(host)) {
      refused.push(host);
      this.destroy(new Error(`test guard: connection to ${host} refused (loopback only)`));
      return this;
    }
    return (original as (...a: unknown[]) => net.Socket).apply(this, args);
  } as typeof original;
  return { refused, restore: () => { net.Socket.prototype.connect = original; } };
};
