/**
 * The Binance provider against the project's simulator on loopback: exactness through faults, unknown symbols,
 * sharding, control-message rate, stale streams and REST rate limits.
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { Bar } from '../../../src/domain/bar.ts';
import type { RealtimeError } from '../../../src/errors.ts';
import { BinanceRealtimeProvider } from '../../../src/providers/binance/index.ts';
import { startBinanceSimulator, type BinanceSimulator, type BinanceSimulatorOptions } from '../../../src/sim/binance/index.ts';
import { eventWaits, type EventWaits } from '../../support/event-waits.ts';
const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

const start = async (simOptions: Partial<BinanceSimulatorOptions>, config: Record<string, unknown> = {}) => {
  const sim = await startBinanceSimulator({ tickMs: 10, marketStepMs: 20_000, ...simOptions });
  // Every wait below ends on an event: a bar, an error, a state, an actor snapshot, a market step, a socket closing.
  const waits = eventWaits();
  const provider = new BinanceRealtimeProvider(
    { ws_url: sim.wsUrl, rest_url: sim.restUrl, reconnect_delay_ms: 20, reconnect_max_delay_ms: 200, ...config },
    { inspect: waits.poke },
  );
  const bars: Bar[] = [];
  const errors: RealtimeError[] = [];
  let steps = 0;
  provider.onData((b) => { bars.push(b); waits.poke(); });
  provider.onError((e) => { errors.push(e); waits.poke(); });
  provider.onConnectionStateChange(waits.poke);
  sim.on('step', () => { steps++; waits.poke(); });
  sim.on('close', waits.poke);
  /** Resolves after `n` more market steps of the simulator. */
  const marketSteps = (n: number): Promise<void> => {
    const until = steps + n;
    return waits.until(() => steps >= until, `${n} market steps`);
  };
  cleanups.push(async () => { await provider.disconnect(); await sim.close(); });
  return { sim, provider, bars, errors, waits, marketSteps };
};

/**
 * Exactness: lets the consumer catch up with the bars closed so far while the market still runs (a gap at the
 * very end is only revealed by a later bar), then compares everything received with the simulator's truth:
 * every closed bar from the first received to the newest received, once, in order, with the same values.
 */
const expectExact = async (sim: BinanceSimulator, waits: EventWaits, bars: Bar[], symbols: string[], interval = '1m') => {
  const target = Object.fromEntries(symbols.map((s) => [s, sim.closedBars(s, interval, sim.now() - 10 * 60_000).at(-1)!.t]));
  await waits.until(() => symbols.every((s) => bars.some((b) => b.symbol === s && b.openTime >= target[s]!)), `bars up to ${JSON.stringify(target)}`);
  // The tracker delivers each stream in order with no hole, so what has arrived so far is a prefix of the truth.
  sim.pause();
  for (const s of symbols) {
    const got = bars.filter((b) => b.symbol === s && b.interval === interval);
    expect(got.length).toBeGreaterThan(0);
    expect(got.at(-1)!.openTime).toBeGreaterThanOrEqual(target[s]!);
    const truth = sim.closedBars(s, interval, got[0]!.openTime, got.at(-1)!.openTime);
    expect(got.map((b) => b.openTime)).toEqual(truth.map((k) => k.t));
    expect(got.map((b) => [b.open, b.high, b.low, b.close, b.volume, b.tradeCount])).toEqual(
      truth.map((k) => [Number(k.o), Number(k.h), Number(k.l), Number(k.c), Number(k.v), k.n]),
    );
    expect(got.every((b) => b.final)).toBe(true);
  }
};

describe('BinanceRealtimeProvider against the simulator', () => {
  it('delivers exactly the closed bars through 20 disconnects, a serverShutdown rotation and 1% malformed frames', async () => {
    const { sim, provider, bars, errors, waits, marketSteps } = await start({ malformedRate: 0.01, duplicateRate: 0.02, reorderRate: 0.02 });
    const states: string[] = [];
    provider.onConnectionStateChange((s) => states.push(s));
    let open = 0;
    let maxOpen = 0;
    sim.on('connection', () => { open++; maxOpen = Math.max(maxOpen, open); });
    sim.on('close', () => { open--; });
    await provider.connect();
    await provider.subscribe(['BTCUSDT', 'ETHUSDT', 'SOLUSDT'], '1m');
    const connection = provider.connectionActors[0]!;
    const connected = () => waits.until(() => provider.getConnectionState() === 'connected', 'connected');
    let dropped = 0;
    for (let i = 0; i < 20; i++) {
      await connected();
      // Some market steps (one to three) stream on the new socket before it drops.
      await marketSteps(1 + (i % 3));
      if (i === 10) {
        sim.serverShutdown(200);
        // The rotation is over when its replacement took over and the simulator saw the old socket close.
        await waits.until(() => connection.getSnapshot().context.rotations === 1 && connection.getSnapshot().context.draining === null
          && sim.connections().filter((c) => !c.closed).length === 1, 'the rotation');
        await connected();
      }
      dropped += sim.dropConnections();
      await waits.until(() => provider.getConnectionState() !== 'connected', 'the drop to be seen');
    }
    expect(dropped).toBe(20);
    await expectExact(sim, waits, bars, ['BTCUSDT', 'ETHUSDT', 'SOLUSDT']);
    const stats = provider.stats();
    expect(stats.reconnects).toBe(20);
    expect(stats.reconnectReasons).toEqual({ abnormal_closure: 20 });
    expect(stats.malformedFrames).toBeGreaterThan(0);
    expect(stats.barsBackfilled).toBeGreaterThan(0);
    expect(errors.filter((e) => e.code === 'INVALID_MESSAGE').length).toBe(stats.malformedFrames);
    expect(states).toContain('reconnecting');
    expect(sim.stats().rateLimitViolations).toBe(0);
    // The rotation opened its replacement before the old socket went (no reconnect was counted for it), and
    // never more than two sockets were open at once.
    expect(provider.connectionActors[0]!.getSnapshot().context.rotations).toBe(1);
    expect(maxOpen).toBe(2);
  });

  it('reports a wrong symbol as INVALID_SYMBOL without disturbing the others', async () => {
    const { sim, provider, bars, errors, waits } = await start({});
    await provider.connect();
    await provider.subscribe(['BTCUSDT', 'NOSUCHUSDT', 'ETHUSDT'], '1m');
    expect(errors.filter((e) => e.code === 'INVALID_SYMBOL').map((e) => e.data?.symbol)).toEqual(['NOSUCHUSDT']);
    expect(provider.getSubscribedSymbols()).toEqual(['BTCUSDT', 'ETHUSDT']);
    await expectExact(sim, waits, bars, ['BTCUSDT', 'ETHUSDT']);
  });

  it('rejects a subscription in which no symbol exists', async () => {
    const { provider } = await start({});
    await provider.connect();
    await expect(provider.subscribe(['NOSUCHUSDT'], '1m')).rejects.toMatchObject({ code: 'INVALID_SYMBOL' });
  });

  it('detects an unknown symbol from its silent stream when exchange info is not consulted', async () => {
    const { provider, errors, waits } = await start({}, { validate_symbols: false, silent_stream_ms: 300 });
    await provider.connect();
    await provider.subscribe(['BTCUSDT', 'NOSUCHUSDT'], '1m');
    await waits.until(() => errors.some((e) => e.code === 'INVALID_SYMBOL'), 'INVALID_SYMBOL');
    expect(errors.find((e) => e.code === 'INVALID_SYMBOL')?.data?.symbol).toBe('NOSUCHUSDT');
    await waits.until(() => provider.getSubscribedSymbols().length === 1, 'the silent stream to be unsubscribed');
    expect(provider.getSubscribedSymbols()).toEqual(['BTCUSDT']);
  });

  it('splits streams over several connections past the per-connection limit', async () => {
    const { sim, provider, bars, waits } = await start({ maxStreamsPerConnection: 2 }, { streams_per_connection: 2 });
    await provider.connect();
    await provider.subscribe(['BTCUSDT', 'ETHUSDT', 'BNBUSDT', 'SOLUSDT', 'XRPUSDT'], '1m');
    expect(provider.stats().connections).toBe(3);
    expect(sim.connections().filter((c) => !c.closed).map((c) => c.streams.length).sort()).toEqual([1, 2, 2]);
    expect(sim.stats().streamLimitViolations).toBe(0);
    await expectExact(sim, waits, bars, ['BTCUSDT', 'XRPUSDT']);
  });

  it('never exceeds the control-message rate while subscribing one symbol at a time', async () => {
    const { sim, provider } = await start({});
    await provider.connect();
    const symbols = ['BTCUSDT', 'ETHUSDT', 'BNBUSDT', 'SOLUSDT', 'XRPUSDT', 'ADAUSDT', 'DOGEUSDT', 'LTCUSDT'];
    await Promise.all(symbols.map((s) => provider.subscribe([s], '1m')));
    await Promise.all(symbols.slice(0, 4).map((s) => provider.unsubscribe([s])));
    expect(sim.stats().rateLimitViolations).toBe(0);
    expect(Math.max(...sim.connections().map((c) => c.maxMessagesInOneSecond))).toBeLessThanOrEqual(5);
    expect(provider.getSubscribedSymbols()).toEqual(['ADAUSDT', 'DOGEUSDT', 'LTCUSDT', 'XRPUSDT']);
  });

  it('reconnects a stalled connection through the stale-stream watchdog and repairs the gap', async () => {
    const { sim, provider, bars, waits } = await start({}, { stale_after_ms: 300 });
    await provider.connect();
    await provider.subscribe(['BTCUSDT'], '1m');
    await waits.until(() => bars.length > 0, 'a first bar');
    sim.stall(700);
    await waits.until(() => (provider.stats().reconnectReasons.stale ?? 0) >= 1, 'a stale reconnect');
    await expectExact(sim, waits, bars, ['BTCUSDT']);
  });

  it('honours Retry-After when backfill is rate limited and still recovers every bar', async () => {
    const { sim, provider, bars, errors, waits } = await start({}, { reconnect_delay_ms: 150 });
    await provider.connect();
    await provider.subscribe(['BTCUSDT'], '1m');
    await waits.until(() => bars.length > 0, 'a first bar');
    sim.rateLimitNext(1, 1);
    sim.dropConnections();
    await waits.until(() => errors.some((e) => e.code === 'RATE_LIMITED'), 'RATE_LIMITED');
    expect(sim.stats().restBanned).toBe(0);
    await expectExact(sim, waits, bars, ['BTCUSDT']);
  });
});
