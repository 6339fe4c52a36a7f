/**
 * Traces end to end: a session against the Binance simulator on loopback, traced through the session's and the
 * provider's `inspect`, with a forced reconnect; `summarizeTrace` shows the connection actor going to backoff and
 * back to open. The same run is scraped over HTTP by the metrics endpoint.
 */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { createActor, createMachine } from 'xstate';
import { decodeSessionConfig } from '../../src/config/session-config.ts';
import { createTraceWriter, startMetricsServer, summarizeTrace } from '../../src/observability/index.ts';
import { registerSecret } from '../../src/secrets.ts';
import { createRealtimeSession } from '../../src/session/index.ts';
import { startBinanceSimulator } from '../../src/sim/binance/index.ts';
import { eventWaits } from '../support/event-waits.ts';

// Poked by the session's bars and connection changes: waits end on them, not on time.
const waits = eventWaits();
const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

const until = (what: string, ok: () => boolean) => waits.until(ok, what, 10_000);

describe('trace writer and summary', () => {
  it('shows a forced reconnect as the connection actor going to backoff and back to open', async () => {
    const sim = await startBinanceSimulator({ tickMs: 20, marketStepMs: 20_000 });
    cleanups.push(() => sim.close());
    const dir = mkdtempSync(join(tmpdir(), 'argo-trace-'));
    const trace = createTraceWriter(join(dir, 'run.trace.jsonl'));
    const session = createRealtimeSession(decodeSessionConfig({
      session: {
        realtime_provider: 'binance-realtime',
        realtime_provider_config: { ws_url: sim.wsUrl, rest_url: sim.restUrl, reconnect_delay_ms: 30, reconnect_max_delay_ms: 200 },
        storage_config: { output_path: join(dir, 'run.duckdb'), flush_interval_ms: 200 },
        symbols: ['BTCUSDT', 'ETHUSDT'],
        interval: '1m',
      },
      strategy: { path: 'examples/ma-cross.strategy.ts', config: { fast: 2, slow: 4 }, budget_ms: 2_000 },
    }), { inspect: trace.inspect, providerDeps: { inspect: trace.inspect } });
    trace.attach(session);
    const metrics = await startMetricsServer({ port: 0, stats: () => session.stats() });
    cleanups.push(() => metrics.close());

    const connection: string[] = [];
    session.on('connection', (c) => { connection.push(c.state); waits.poke(); });
    let bars = 0;
    session.on('bar', () => { bars++; waits.poke(); });
    await session.start();
    await until('bars', () => bars >= 6);
    expect(sim.dropConnections()).toBeGreaterThan(0);
    await until('the reconnect', () => connection.includes('reconnecting') && connection.at(-1) === 'connected');
    const seenBefore = bars;
    await until('bars after the reconnect', () => bars >= seenBefore + 4);

    const scrape = await fetch(metrics.url);
    expect(scrape.status).toBe(200);
    expect(scrape.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
    const body = await scrape.text();
    expect(body).toMatch(new RegExp(`^argo_session_state\\{session="${session.id}",state="running"\\} 1$`, 'm'));
    expect(body).toMatch(/^argo_connection_state\{session="[^"]+",state="connected"\} 1$/m);
    expect(Number(/^argo_bars_received_total\{[^}]*\} (\d+)$/m.exec(body)?.[1])).toBeGreaterThanOrEqual(10);
    expect(Number(/^argo_provider_reconnects_total\{[^}]*\} (\d+)$/m.exec(body)?.[1])).toBeGreaterThanOrEqual(1);
    expect(body).toMatch(/^argo_provider_reconnects_by_reason_total\{session="[^"]+",reason="[^"]+"\} [1-9]\d*$/m);
    expect(body).toMatch(/^argo_strategy_latency_seconds\{session="[^"]+",quantile="0\.99"\} [\d.e-]+$/m);

    await session.stop();
    await trace.close();

    const summary = await summarizeTrace(trace.path);
    expect(summary.malformed).toBe(0);
    expect(summary.reconnects).toBeGreaterThanOrEqual(1);
    const conn = summary.actors.find((a) => a.actor === 'connection')!;
    const toBackoff = conn.transitions.findIndex((t) => t.to === 'backoff');
    expect(toBackoff).toBeGreaterThan(0);
    expect(conn.transitions[toBackoff]!.from).toMatch(/^open/);
    expect(conn.transitions.slice(toBackoff + 1).some((t) => t.to.startsWith('open'))).toBe(true);
    expect(summary.text).toMatch(/connection: \d+ transitions/);
    expect(summary.text).toMatch(/open\.\w+ → backoff/);
    const session0 = summary.actors.find((a) => a.actor === 'session')!;
    expect(session0.transitions.map((t) => t.to)).toEqual(expect.arrayContaining(['starting.openingWriter', 'running', 'stopped']));
    expect(summary.actors.map((a) => a.actor)).toEqual(expect.arrayContaining(['session.marketData', 'session.writer', 'connection.subscriptions']));
    expect(summary.facts.some((f) => f.fact === 'connection')).toBe(true);

    // Bars are logged by key, never copied.
    const text = readFileSync(trace.path, 'utf8');
    expect(text).toMatch(/"bar":"binance\|(BTC|ETH)USDT\|1m\|\d+"/);
    expect(text).not.toMatch(/"bar":\{/);
  });

  it('masks secrets and secret keys, and summarises a trace with a torn last line', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'argo-trace-'));
    const path = join(dir, 'secret.trace.jsonl');
    registerSecret('s3cr3t-value-xyz');
    const trace = createTraceWriter(path);
    const machine = createMachine({ id: 'door', initial: 'closed', states: { closed: { on: { open: 'opened' } }, opened: { on: { close: 'closed' } } } });
    const actor = createActor(machine, { inspect: trace.inspect }).start();
    actor.send({ type: 'open', api_key: 'plain-key', note: 'token s3cr3t-value-xyz here', url: 'wss://x/ws?apiKey=abc&x=1' } as never);
    actor.send({ type: 'close' });
    actor.stop();
    await trace.close();
    const text = readFileSync(path, 'utf8');
    expect(text).not.toContain('plain-key');
    expect(text).not.toContain('s3cr3t-value-xyz');
    expect(text).not.toContain('apiKey=abc');
    expect(text).toContain('"api_key":"***"');

    writeFileSync(path, `${text}{"t":1,"kind":"snaps`);
    const summary = await summarizeTrace(path);
    expect(summary.malformed).toBe(1);
    expect(summary.actors[0]!.transitions.map((t) => `${t.from ?? ''}>${t.to}`)).toEqual(['>closed', 'closed>opened', 'opened>closed']);
    expect(summary.text).toContain('door: 3 transitions');
  });
});
