/**
 * The Stately inspector relay on loopback: a session against the Binance simulator sends its inspection events
 * through `@statelyai/inspect`'s WebSocket inspector; a receiver connected to the relay over a real WebSocket
 * (what the browser page does) gets the session's actors, events and snapshots, including a late joiner.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { decodeSessionConfig } from '../../src/config/session-config.ts';
import { startInspector } from '../../src/observability/index.ts';
import { createRealtimeSession } from '../../src/session/index.ts';
import { startBinanceSimulator } from '../../src/sim/binance/index.ts';
import { eventWaits } from '../support/event-waits.ts';

// Poked by every relayed message and session bar: waits end on them, not on time.
const waits = eventWaits();
const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

interface Message { type: string; name?: string; sessionId: string; rootId?: string; event?: { type: string; bar?: unknown }; snapshot?: { value?: unknown } }

const receiver = async (url: string) => {
  const messages: Message[] = [];
  const ws = new WebSocket(url);
  ws.on('message', (data) => { messages.push(JSON.parse(data.toString()) as Message); waits.poke(); });
  await new Promise<void>((resolve, reject) => { ws.once('open', () => resolve()); ws.once('error', reject); });
  cleanups.push(async () => { ws.terminate(); });
  return messages;
};

const until = (what: string, ok: () => boolean) => waits.until(ok, what, 10_000);

describe('inspector', () => {
  it("relays the session's inspection events over a loopback WebSocket, also to a receiver that joins late", async () => {
    const sim = await startBinanceSimulator({ tickMs: 20, marketStepMs: 20_000 });
    cleanups.push(() => sim.close());
    const inspector = await startInspector({ port: 0 });
    cleanups.push(() => inspector.stop());
    expect(inspector.url).toBe(`http://127.0.0.1:${inspector.port}/`);
    const page = await (await fetch(inspector.url)).text();
    expect(page).toContain(`ws://127.0.0.1:${inspector.port}`);
    expect(page).toContain('https://stately.ai/inspect');

    const early = await receiver(inspector.wsUrl);
    const dir = mkdtempSync(join(tmpdir(), 'argo-inspect-'));
    const session = createRealtimeSession(decodeSessionConfig({
      session: {
        realtime_provider: 'binance-realtime',
        realtime_provider_config: { ws_url: sim.wsUrl, rest_url: sim.restUrl },
        storage_config: { output_path: join(dir, 'run.duckdb') },
        symbols: ['BTCUSDT'],
        interval: '1m',
      },
    }), { inspect: inspector.inspect, providerDeps: { inspect: inspector.inspect } });
    let bars = 0;
    session.on('bar', () => { bars++; waits.poke(); });
    await session.start();
    await until('bars', () => bars >= 3);

    const isRunning = (m: Message) => m.type === '@xstate.snapshot' && m.snapshot?.value === 'running';
    await until('the running snapshot', () => early.some(isRunning));
    const late = await receiver(inspector.wsUrl);
    await session.stop();
    await until('the stopped snapshot', () => early.some((m) => m.type === '@xstate.snapshot' && m.snapshot?.value === 'stopped'));

    const root = early.find((m) => m.type === '@xstate.actor' && m.name === 'session')!;
    expect(root).toBeDefined();
    const children = early.filter((m) => m.type === '@xstate.actor' && m.rootId === root.sessionId).map((m) => m.name);
    expect(children).toEqual(expect.arrayContaining(['marketData', 'writer', 'strategy', 'trading']));
    // Bars travel as their key, as in traces and the event log.
    const barEvent = early.find((m) => m.type === '@xstate.event' && m.event?.type === 'bar.closed');
    expect(barEvent?.event?.bar).toMatch(/^binance\|BTCUSDT\|1m\|\d+$/);
    // The provider's connection actor lives in another actor system: its ids are prefixed, so they do not clash.
    const connection = early.find((m) => m.type === '@xstate.actor' && m.name === 'connection');
    expect(connection?.sessionId).toMatch(/^s\d+\.x:\d+$/);
    expect(connection?.sessionId).not.toBe(root.sessionId);
    expect(early.some((m) => m.type === '@xstate.snapshot' && m.sessionId === connection?.sessionId && JSON.stringify(m.snapshot?.value).includes('open'))).toBe(true);

    // A page opened after the start still learns every actor and sees what happened.
    expect(late.some((m) => m.type === '@xstate.actor' && m.name === 'session')).toBe(true);
    expect(late.some(isRunning)).toBe(true);
  });
});
