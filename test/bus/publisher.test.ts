/**
 * A recorder publishing to a real nats-server on loopback while the Binance simulator drops and rotates its
 * connections and the NATS server is SIGKILLed and restarted: the stream ends with every closed bar exactly once,
 * with the simulator's exact values.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { BusRecorderProvider } from '../../src/bus/recorder-provider.ts';
import { sessionProvider } from '../../src/bus/session-provider.ts';
import { messageIdOf } from '../../src/bus/subjects.ts';
import { createRealtimeProvider } from '../../src/providers/registry.ts';
import { decodeSessionConfig } from '../../src/config/session-config.ts';
import { createRealtimeSession, type RealtimeSession } from '../../src/session/index.ts';
import { startBinanceSimulator } from '../../src/sim/binance/index.ts';
import { readStream, streamProblems, until } from '../support/bus-helpers.ts';
import { startNatsServer } from '../support/nats-server.ts';

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c().catch(() => undefined);
});

const SYMBOLS = ['BTCUSDT', 'ETHUSDT'];

describe('bus publisher', () => {
  it('holds bars while the NATS server is down and ends with every closed bar once, with exact values', async () => {
    const nats = await startNatsServer();
    cleanups.push(() => nats.stop());
    const sim = await startBinanceSimulator({ tickMs: 20, marketStepMs: 20_000, symbols: SYMBOLS });
    cleanups.push(() => sim.close());
    const dir = mkdtempSync(join(tmpdir(), 'argo-bus-'));
    const config = decodeSessionConfig({
      session: {
        id: 'rec-1', realtime_provider: 'binance-realtime',
        realtime_provider_config: { ws_url: sim.wsUrl, rest_url: sim.restUrl, reconnect_delay_ms: 30, reconnect_max_delay_ms: 200 },
        storage_config: { output_path: join(dir, 'rec.duckdb'), flush_interval_ms: 200 },
        symbols: SYMBOLS, interval: '1m',
      },
      bus: { url: nats.url, stream: 'BARS', subject_prefix: 'argo.bars', publish_timeout_ms: 500 },
    });
    // The provider the session would build from this config, kept here to wait on the publisher's acks.
    const provider = sessionProvider(config, 'rec-1', () => createRealtimeProvider(config.realtimeProvider, config.realtimeProviderConfig)) as BusRecorderProvider;
    expect(provider).toBeInstanceOf(BusRecorderProvider);
    const session: RealtimeSession = createRealtimeSession(config, { provider });
    let stopped = false;
    cleanups.push(async () => { if (!stopped) await session.stop(); });
    let bars = 0;
    session.on('bar', () => bars++);
    const errors: string[] = [];
    session.on('error', (e) => errors.push(e.code));
    await session.start();
    const bus = () => session.stats().bus!;
    const onBusOrBar = (wake: () => void) => {
      const offs = [session.on('bar', wake), provider.bus!.onChange(wake)];
      return () => offs.forEach((off) => off());
    };

    await until(() => bus().role === 'publish' && (bus() as { published: number }).published >= 6, onBusOrBar, '6 bars published');
    expect(sim.dropConnections()).toBeGreaterThan(0);
    const afterDrop = bars;
    await until(() => bars >= afterDrop + 4, onBusOrBar, 'bars after the venue drop');

    await nats.kill();
    const atKill = bars;
    await until(() => bars >= atKill + 6, onBusOrBar, 'bars while the bus is down');
    expect((bus() as { held: number }).held).toBeGreaterThan(0);
    await nats.restart();
    const atRestart = bars;
    await until(() => bars >= atRestart + 4 && (bus() as { held: number }).held === 0, onBusOrBar, 'the hold drained');

    sim.serverShutdown(50);
    const atRotate = bars;
    await until(() => bars >= atRotate + 4, onBusOrBar, 'bars after the venue rotation');
    await session.stop();
    stopped = true;

    const stored = await readStream(nats.url, 'BARS');
    expect(stored.length).toBeGreaterThan(20);
    for (const symbol of SYMBOLS) {
      const mine = stored.filter((m) => m.subject === `argo.bars.binance.1m.${symbol}`).map((m) => m.bar);
      expect(mine.length).toBeGreaterThan(10);
      expect(streamProblems(sim, symbol, mine)).toEqual([]);
    }
    // Every message carries its bar's deterministic id.
    for (const m of stored) expect(m.msgId).toBe(messageIdOf(m.bar));
    expect(errors).toContain('CONNECTION_LOST');
  }, 90_000);
});
