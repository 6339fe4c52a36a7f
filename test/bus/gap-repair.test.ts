/**
 * A recorder's bus gaps repaired while it runs: with a small hold, the NATS server SIGKILLed makes closed bars
 * overflow into a known gap; once the server is back and the hold drained, the recorder fetches the gap from the
 * venue's REST history and publishes it, so the stream ends with every closed bar exactly once, exact values,
 * without a restart of the recorder.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { decodeBusConfig } from '../../src/bus/config.ts';
import { BusRecorderProvider } from '../../src/bus/recorder-provider.ts';
import type { RealtimeError } from '../../src/errors.ts';
import { createRealtimeProvider } from '../../src/providers/registry.ts';
import { startBinanceSimulator } from '../../src/sim/binance/index.ts';
import { readStream, streamProblems, until } from '../support/bus-helpers.ts';
import { startNatsServer } from '../support/nats-server.ts';

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c().catch(() => undefined);
});

describe('bus gap repair', () => {
  it('fetches bars refused while the bus was down from REST and publishes them once the bus is back', async () => {
    const nats = await startNatsServer();
    cleanups.push(() => nats.stop());
    const sim = await startBinanceSimulator({ tickMs: 20, marketStepMs: 20_000, symbols: ['BTCUSDT'] });
    cleanups.push(() => sim.close());
    const inner = createRealtimeProvider('binance-realtime', { ws_url: sim.wsUrl, rest_url: sim.restUrl });
    const recorder = new BusRecorderProvider(inner, decodeBusConfig({ url: nats.url, stream: 'BARS', max_held_bars: 3, publish_timeout_ms: 300 }), 'rec-1');
    const errors: RealtimeError[] = [];
    recorder.onError((e) => errors.push(e));
    let closed = 0;
    recorder.onData((b) => { if (b.final) closed++; });
    let disconnected = false;
    cleanups.push(async () => { if (!disconnected) await recorder.disconnect(); });
    await recorder.connect();
    await recorder.subscribe(['BTCUSDT'], '1m');
    const bus = () => recorder.bus!;
    const onChange = (wake: () => void) => {
      const offs = [bus().onChange(wake), recorder.onData(wake)];
      return () => offs.forEach((off) => off());
    };
    await until(() => bus().stats().published >= 3, onChange, '3 bars published');

    await nats.kill();
    await until(() => bus().stats().refused >= 5, onChange, 'bars refused while the bus is down');
    const gap = bus().stats().gaps[0]!;
    expect(gap).toMatchObject({ stream: 'binance|BTCUSDT|1m' });
    expect(errors.some((e) => e.code === 'BUFFER_OVERFLOW')).toBe(true);

    await nats.restart();
    await until(() => recorder.repair!.stats().gaps >= 1 && bus().stats().gaps.length === 0 && bus().stats().held === 0, onChange, 'the gap repaired', 60_000);
    const atRepair = closed;
    await until(() => closed >= atRepair + 3 && bus().stats().held === 0, onChange, 'live bars after the repair');
    await recorder.disconnect();
    disconnected = true;

    const bars = (await readStream(nats.url, 'BARS')).map((m) => m.bar);
    expect(streamProblems(sim, 'BTCUSDT', bars)).toEqual([]);
    const times = bars.map((b) => b.openTime);
    // The refused range is on the bus, fetched from REST (backfilled), and nothing twice.
    expect(times).toEqual(expect.arrayContaining([gap.fromOpenTime, gap.toOpenTime]));
    expect(bars.filter((b) => b.openTime >= gap.fromOpenTime && b.openTime <= gap.toOpenTime).some((b) => b.backfilled === true)).toBe(true);
    expect(new Set(times).size).toBe(times.length);
    expect(recorder.repair).toBeUndefined();
  }, 120_000);
});
