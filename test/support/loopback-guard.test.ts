import net from 'node:net';
import { once } from 'node:events';
import { afterEach, describe, expect, it } from 'vitest';
import { guardLoopback } from './loopback-guard.ts';

describe('guardLoopback', () => {
  let guard: ReturnType<typeof guardLoopback> | undefined;
  afterEach(() => guard?.restore());

  it('lets loopback through and refuses any other host without connecting', async () => {
    guard = guardLoopback();
    const server = net.createServer((s) => s.end()).listen(0, '127.0.0.1');
    await once(server, 'listening');
    const ok = net.connect((server.address() as net.AddressInfo).port, '127.0.0.1');
    await once(ok, 'connect');
    ok.destroy();
    const other = net.connect({ host: '192.0.2.1', port: 443 });
    const [error] = (await once(other, 'error')) as [Error];
    expect(error.message).toContain('192.0.2.1 refused');
    expect(guard.refused).toEqual(['192.0.2.1']);
    server.close();
  });
});
