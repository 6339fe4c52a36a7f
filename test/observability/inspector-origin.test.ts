/**
 * The inspector relay trusts no client (issue #14): a WebSocket from a foreign Origin or under a foreign Host
 * is refused, loopback pages and the Stately inspector's origin are accepted, and a message a client sends is
 * neither forwarded to other clients nor replayed to later ones; the session's own events still are.
 */
import { request } from 'node:http';
import { afterEach, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { createActor, createMachine } from 'xstate';
import { originAllowed, startInspector, type Inspector } from '../../src/observability/inspector.ts';
import { eventWaits } from '../support/event-waits.ts';

// Poked by every message a client here receives: waits end on messages, not on time.
const waits = eventWaits();

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

const start = async (): Promise<Inspector> => {
  const inspector = await startInspector({ port: 0 });
  cleanups.push(() => inspector.stop());
  return inspector;
};

/** Opens a WebSocket with the given headers; resolves with the socket, or with the HTTP status that refused it. */
const connect = (url: string, headers: Record<string, string> = {}): Promise<{ ws?: WebSocket; status?: number; messages: string[] }> =>
  new Promise((resolve) => {
    const messages: string[] = [];
    const ws = new WebSocket(url, { headers });
    ws.on('message', (d) => { messages.push(d.toString()); waits.poke(); });
    ws.once('open', () => { cleanups.push(() => ws.terminate()); resolve({ ws, messages }); });
    ws.once('unexpected-response', (_req, res) => resolve({ status: res.statusCode, messages }));
    ws.once('error', () => resolve({ status: -1, messages }));
  });

/** Resolves once the relay read everything `ws` sent before: the pong answers a ping that followed it on the socket. */
const processed = (ws: WebSocket): Promise<void> => new Promise((resolve) => { ws.once('pong', () => resolve()); ws.ping(); });

describe('inspector relay origins', () => {
  it.each(['https://evil.example', 'http://127.0.0.1.evil.example', 'null', 'file://', 'https://stately.ai.evil.example'])('refuses a WebSocket from Origin %s', async (origin) => {
    const inspector = await start();
    expect((await connect(inspector.wsUrl, { Origin: origin })).status).toBe(401);
  });

  it.each(['http://127.0.0.1:1234', 'http://localhost:8080', 'https://stately.ai'])('accepts a WebSocket from Origin %s', async (origin) => {
    const inspector = await start();
    expect((await connect(inspector.wsUrl, { Origin: origin })).ws).toBeDefined();
  });

  it('refuses a page or a socket reached under a host that is not loopback (DNS rebinding)', async () => {
    const inspector = await start();
    expect((await connect(inspector.wsUrl, { Host: `evil.example:${inspector.port}` })).status).toBe(401);
    const status = await new Promise<number>((resolve) => {
      request({ host: '127.0.0.1', port: inspector.port, path: '/', headers: { Host: 'evil.example' } }, (res) => { res.resume(); resolve(res.statusCode ?? 0); }).end();
    });
    expect(status).toBe(403);
  });

  it('accepts exactly loopback and the Stately origin', () => {
    expect(originAllowed(undefined)).toBe(true);
    expect(originAllowed('http://[::1]:9')).toBe(true);
    expect(originAllowed('https://stately.ai')).toBe(true);
    expect(originAllowed('http://stately.ai')).toBe(false);
    expect(originAllowed('https://localhost.evil.example')).toBe(false);
  });
});

describe('inspector relay messages', () => {
  it('never forwards or replays what a client sends, and still relays the session\'s own events', async () => {
    const inspector = await start();
    const other = await connect(inspector.wsUrl);
    const forger = await connect(inspector.wsUrl);
    const forged = JSON.stringify({ type: '@xstate.event', sessionId: 'x:0', event: { type: 'order.filled', side: 'BUY', quantity: 1000 } });
    forger.ws!.send(forged);
    // Had the relay forwarded the forged message, it would now be on its way to `other`, ahead of the probe's events.
    await processed(forger.ws!);
    const actor = createActor(createMachine({ id: 'probe-root', initial: 'a', states: { a: { on: { go: 'b' } }, b: {} } }), { inspect: inspector.inspect });
    actor.start();
    actor.send({ type: 'go' });
    await waits.until(() => other.messages.some((m) => m.includes('probe-root')), 'the probe on the other client');
    const late = await connect(inspector.wsUrl);
    await waits.until(() => late.messages.some((m) => m.includes('probe-root')), 'the probe replayed to a late client');
    actor.stop();
    for (const got of [other.messages, late.messages]) expect(got.some((m) => m.includes('order.filled'))).toBe(false);
  });
});
