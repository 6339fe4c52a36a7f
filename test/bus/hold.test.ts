/**
 * The publisher's bounded hold against a real nats-server that is SIGKILLed: bars are held up to
 * `max_held_bars`, the next are refused with BUFFER_OVERFLOW and recorded as a known gap, and the held ones are
 * published once the server is back (a repeat of an acknowledged bar is a duplicate, not a second message).
 */
import { afterEach, describe, expect, it } from 'vitest';
import { decodeBusConfig } from '../../src/bus/config.ts';
import { BusPublisher } from '../../src/bus/publisher.ts';
import type { Bar } from '../../src/domain/bar.ts';
import type { RealtimeError } from '../../src/errors.ts';
import { readStream } from '../support/bus-helpers.ts';
import { startNatsServer } from '../support/nats-server.ts';

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c().catch(() => undefined);
});

const T0 = Date.UTC(2026, 0, 1);
const bar = (i: number): Bar => ({
  provider: 'binance', symbol: 'BTCUSDT', interval: '1m', openTime: T0 + i * 60_000, closeTime: T0 + i * 60_000 + 59_999,
  open: 1, high: 2, low: 1, close: 2, volume: 1, vwap: 1.5, tradeCount: 1, final: true, receivedAt: 0,
});

describe('bus hold', () => {
  it('refuses bars past max_held_bars as a reported known gap and publishes the held ones when the bus is back', async () => {
    const nats = await startNatsServer();
    cleanups.push(() => nats.stop());
    const errors: RealtimeError[] = [];
    const publisher = await BusPublisher.open(decodeBusConfig({ url: nats.url, stream: 'BARS', max_held_bars: 5, publish_timeout_ms: 300 }), { onError: (e) => errors.push(e) });
    cleanups.push(() => publisher.close(100));
    for (let i = 0; i < 3; i++) publisher.publish(bar(i));
    await publisher.flush(10_000);

    await nats.kill();
    const accepted = [3, 4, 5, 6, 7, 8, 9].map((i) => publisher.publish(bar(i)));
    expect(accepted).toEqual([true, true, true, true, true, false, false]);
    const overflow = errors.filter((e) => e.code === 'BUFFER_OVERFLOW');
    expect(overflow).toHaveLength(2);
    expect(overflow[0]!.data).toMatchObject({ source: 'bus', stream: 'binance|BTCUSDT|1m', openTime: bar(8).openTime });
    expect(publisher.stats()).toMatchObject({ held: 5, refused: 2, gaps: [{ stream: 'binance|BTCUSDT|1m', fromOpenTime: bar(8).openTime, toOpenTime: bar(9).openTime, bars: 2 }] });

    await nats.restart();
    await publisher.flush(30_000);
    expect(publisher.stats()).toMatchObject({ held: 0, published: 8, duplicates: 0 });
    publisher.publish(bar(2)); // already on the bus: acknowledged as a duplicate
    await publisher.flush(30_000);
    expect(publisher.stats()).toMatchObject({ held: 0, published: 8, duplicates: 1 });
    const stored = (await readStream(nats.url, 'BARS')).map((m) => m.bar.openTime);
    expect(stored).toEqual([0, 1, 2, 3, 4, 5, 6, 7].map((i) => bar(i).openTime));
  }, 60_000);
});
