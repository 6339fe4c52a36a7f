/**
 * The fleet's Parquet-roll lease on a real nats-server: two recorders' rollers on the same schedule roll each
 * window exactly once between them, and a window whose lease holder died (its lease taken, never renewed nor
 * finished, its connection gone) is rolled by the other once the lease aged out of the bucket.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { decodeBusConfig } from '../../src/bus/config.ts';
import { connectBus } from '../../src/bus/connection.ts';
import { ParquetRoller, type RollOutcome } from '../../src/bus/parquet-roll.ts';
import { BusPublisher } from '../../src/bus/publisher.ts';
import { RollLease } from '../../src/bus/roll-lease.ts';
import type { Bar } from '../../src/domain/bar.ts';
import { startNatsServer } from '../support/nats-server.ts';

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c().catch(() => undefined);
});

const bar = (openTime: number): Bar => ({
  provider: 'binance', symbol: 'BTCUSDT', interval: '1m', openTime, closeTime: openTime + 59_999, open: 1, high: 2, low: 1, close: 2, volume: 1, vwap: 1.5, tradeCount: 1, final: true, receivedAt: 0,
});

const setup = async () => {
  const nats = await startNatsServer();
  cleanups.push(() => nats.stop());
  const config = decodeBusConfig({ url: nats.url, stream: 'BARS', fleet: 'f1', lease_ttl_ms: 1_500 });
  const publisher = await BusPublisher.open(config);
  const publishedAt = Date.now();
  publisher.publish(bar(publishedAt));
  await publisher.flush(10_000);
  await publisher.close();
  const dir = mkdtempSync(join(tmpdir(), 'argo-roll-lease-'));
  const roller = async (self: string, windowMs: number) => {
    const nc = await connectBus(config, self);
    cleanups.push(() => nc.close());
    const lease = await RollLease.open(nc, config, self);
    const r = new ParquetRoller(nc, config, dir, windowMs, 1, (e) => { throw e; }).withLease(lease);
    cleanups.push(() => r.stop());
    return { nc, lease, roller: r };
  };
  return { config, roller, publishedAt };
};

describe('parquet roll lease', () => {
  it('rolls each scheduled window once across two recorders', async () => {
    const { roller } = await setup();
    const a = await roller('a', 1_000);
    const b = await roller('b', 1_000);
    const outcomes = new Map<number, Map<string, RollOutcome>>();
    let wake = () => {};
    const record = (self: string) => (from: number, outcome: RollOutcome) => {
      if (!outcomes.has(from)) outcomes.set(from, new Map());
      outcomes.get(from)!.set(self, outcome);
      wake();
    };
    a.roller.onSettled = record('a');
    b.roller.onSettled = record('b');
    const both = () => [...outcomes].filter(([, by]) => by.size === 2);
    const settled = new Promise<void>((resolve) => { wake = () => { if (both().length >= 4) resolve(); }; });
    a.roller.start();
    b.roller.start();
    await settled;
    await Promise.all([a.roller.stop(), b.roller.stop()]);
    for (const [from, by] of both()) {
      expect([...by.values()].sort(), `window ${from}`).toEqual(['elsewhere', 'rolled']);
      const roller = [...by].find(([, o]) => o === 'rolled')![0];
      expect(await a.lease.rolledBy(new Date(from).toISOString().replace(/[-:]/g, '').slice(0, 15))).toBe(roller);
    }
    expect(a.roller.rolled + b.roller.rolled).toBeGreaterThanOrEqual(4);
  }, 60_000);

  it('rolls a window whose lease holder died once its lease expired', async () => {
    const { roller, publishedAt } = await setup();
    const dead = await roller('dead', 60_000);
    const b = await roller('b', 60_000);
    const from = Math.floor(publishedAt / 60_000) * 60_000;
    const window = new Date(from).toISOString().replace(/[-:]/g, '').slice(0, 15);
    // The holder takes the window's lease, then dies: no renewal, no finish, its connection gone.
    expect(await dead.lease.claim(window)).toBe('claimed');
    await dead.nc.close();
    expect(await b.lease.claim(window)).toBe('held');

    const outcome = await b.roller.settle(from);
    expect(outcome).toBe('rolled');
    expect(b.roller.last).toMatchObject({ rows: 1 });
    expect(await b.lease.rolledBy(window)).toBe('b');
    // Rolled once: a later claim finds it done.
    expect(await b.lease.claim(window)).toBe('done');
  }, 60_000);
});
