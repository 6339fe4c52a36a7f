/**
 * The Binance provider against the project's simulator on loopback: exactness through faults, unknown symbols,
 * sharding, control-message rate, stale streams and REST rate limits.
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { Bar } from '../../../src/domain/bar.ts';
import type { RealtimeError } from '../../../src/errors.ts';
import { BinanceRealtimeProvider } from '../../../src/providers/binance/index.ts';
import { startBinanceSimulator, type BinanceSimulator, type BinanceSimulatorOptions } from '../../../src/sim/binance/index.ts';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

const start = async (simOptions: Partial<BinanceSimulatorOptions>, config: Record<string, unknown> = {}) => {
  const sim = await startBinanceSimulator({ tickMs: 10, marketStepMs: 20_000, ...simOptions });
  const provider = new BinanceRealtimeProvider({ ws_url: sim.wsUrl, rest_url: sim.restUrl, reconnect_delay_ms: 20, reconnect_max_delay_ms: 200, ...config });
  const bars: Bar[] = [];
  const errors: RealtimeError[] = [];
  provider.onData((b) => bars.push(b));
  provider.onError((e) => errors.push(e));
  cleanups.push(async () => { await provider.disconnect(); await sim.close(); });
  return { sim, provider, bars, errors };
};

/**
 * Exactness: lets the consumer catch up with the bars closed so far while the market still runs (a gap at the
 * very end is only revealed by a later bar), then compares everything received with the simulator's truth:
 * every closed bar from the first received to the newest received, once, in order, with the same values.
 */
const expectExact = async (sim: BinanceSimulator, bars: Bar[], symbols: string[], interval = '1m') => {
  const target = Object.fromEntries(symbols.map((s) => [s, sim.closedBars(s, interval, sim.now() - 10 * 60_000).at(-1)!.t]));
  const deadline = Date.now() + 15_000;
  while (Date.now() < deadline && !symbols.every((s) => bars.some((b) => b.symbol === s && b.openTime >= target[s]!))) await sleep(20);
  sim.pause();
  await sleep(200);
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
    const { sim, provider, bars, errors } = await start({ malformedRate: 0.01, duplicateRate: 0.02, reorderRate: 0.02 });
    const states: string[] = [];
    provider.onConnectionStateChange((s) => states.push(s));
    let open = 0;
    let maxOpen = 0;
    sim.on('connection', () => { open++; maxOpen = Math.max(maxOpen, open); });
    sim.on('close', () => { open--; });
    await provider.connect();
    await provider.subscribe(['BTCUSDT', 'ETHUSDT', 'SOLUSDT'], '1m');
    let dropped = 0;
    for (let i = 0; i < 20; i++) {
      while (provider.getConnectionState() !== 'connected') await sleep(5);
      await sleep(40 + (i % 3) * 30);
      if (i === 10) {
        sim.serverShutdown(200);
        await sleep(400);
        while (provider.getConnectionState() !== 'connected') await sleep(5);
      }
      dropped += sim.dropConnections();
      while (provider.getConnectionState() === 'connected') await sleep(2);
    }
    expect(dropped).toBe(20);
    await sleep(300);
    await expectExact(sim, bars, ['BTCUSDT', 'ETHUSDT', 'SOLUSDT']);
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
    const { sim, provider, bars, errors } = await start({});
    await provider.connect();
    await provider.subscribe(['BTCUSDT', 'NOSUCHUSDT', 'ETHUSDT'], '1m');
    expect(errors.filter((e) => e.code === 'INVALID_SYMBOL').map((e) => e.data?.symbol)).toEqual(['NOSUCHUSDT']);
    expect(provider.getSubscribedSymbols()).toEqual(['BTCUSDT', 'ETHUSDT']);
    await sleep(400);
    await expectExact(sim, bars, ['BTCUSDT', 'ETHUSDT']);
  });

  it('rejects a subscription in which no symbol exists', async () => {
    const { provider } = await start({});
    await provider.connect();
    await expect(provider.subscribe(['NOSUCHUSDT'], '1m')).rejects.toMatchObject({ code: 'INVALID_SYMBOL' });
  });

  it('detects an unknown symbol from its silent stream when exchange info is not consulted', async () => {
    const { provider, errors } = await start({}, { validate_symbols: false, silent_stream_ms: 300 });
    await provider.connect();
    await provider.subscribe(['BTCUSDT', 'NOSUCHUSDT'], '1m');
    const deadline = Date.now() + 5_000;
    while (Date.now() < deadline && !errors.some((e) => e.code === 'INVALID_SYMBOL')) await sleep(20);
    expect(errors.find((e) => e.code === 'INVALID_SYMBOL')?.data?.symbol).toBe('NOSUCHUSDT');
    await sleep(200);
    expect(provider.getSubscribedSymbols()).toEqual(['BTCUSDT']);
  });

  it('splits streams over several connections past the per-connection limit', async () => {
    const { sim, provider, bars } = await start({ maxStreamsPerConnection: 2 }, { streams_per_connection: 2 });
    await provider.connect();
    await provider.subscribe(['BTCUSDT', 'ETHUSDT', 'BNBUSDT', 'SOLUSDT', 'XRPUSDT'], '1m');
    expect(provider.stats().connections).toBe(3);
    expect(sim.connections().filter((c) => !c.closed).map((c) => c.streams.length).sort()).toEqual([1, 2, 2]);
    expect(sim.stats().streamLimitViolations).toBe(0);
    await sleep(300);
    await expectExact(sim, bars, ['BTCUSDT', 'XRPUSDT']);
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
    const { sim, provider, bars } = await start({}, { stale_after_ms: 300 });
    await provider.connect();
    await provider.subscribe(['BTCUSDT'], '1m');
    await sleep(200);
    sim.stall(700);
    await sleep(1_200);
    expect(provider.stats().reconnectReasons.stale).toBeGreaterThanOrEqual(1);
    await expectExact(sim, bars, ['BTCUSDT']);
  });

  it('honours Retry-After when backfill is rate limited and still recovers every bar', async () => {
    const { sim, provider, bars, errors } = await start({}, { reconnect_delay_ms: 150 });
    await provider.connect();
    await provider.subscribe(['BTCUSDT'], '1m');
    await sleep(200);
    sim.rateLimitNext(1, 1);
    sim.dropConnections();
    await sleep(1_800);
    expect(errors.some((e) => e.code === 'RATE_LIMITED')).toBe(true);
    expect(sim.stats().restBanned).toBe(0);
    await expectExact(sim, bars, ['BTCUSDT']);
  });
});
