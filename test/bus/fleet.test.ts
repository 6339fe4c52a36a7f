/**
 * A recorder fleet on a real nats-server: recorders in child processes share six Binance simulator streams
 * through leases in JetStream KV. A third recorder joining makes the others hand streams over; one SIGKILLed
 * has its streams taken over within the lease TTL and the gap backfilled from REST: every stream on the bus ends
 * with no hole, no duplicate and the simulator's exact values.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { connect } from '@nats-io/transport-node';
import { Kvm } from '@nats-io/kv';
import { afterEach, describe, expect, it } from 'vitest';
import { safeName } from '../../src/bus/subjects.ts';
import { startBinanceSimulator } from '../../src/sim/binance/index.ts';
import { readStream, streamProblems, until } from '../support/bus-helpers.ts';
import { startNatsServer } from '../support/nats-server.ts';

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c().catch(() => undefined);
});

const SYMBOLS = ['BTCUSDT', 'ETHUSDT', 'BNBUSDT', 'SOLUSDT', 'XRPUSDT', 'ADAUSDT'];
const keyOf = (s: string) => safeName('binance', '1m', s);

describe('recorder fleet', () => {
  it('rebalances when a recorder joins and takes over a SIGKILLed recorder\'s streams with no hole and no duplicate', async () => {
    const nats = await startNatsServer();
    cleanups.push(() => nats.stop());
    const sim = await startBinanceSimulator({ tickMs: 20, marketStepMs: 20_000, symbols: SYMBOLS });
    cleanups.push(() => sim.close());
    const dir = mkdtempSync(join(tmpdir(), 'argo-fleet-'));

    const nc = await connect({ servers: nats.url });
    cleanups.push(() => nc.close());
    const kv = await new Kvm(nc).create('argo_leases_f1', { history: 1, ttl: 1_500 });
    const holders = new Map<string, string>();
    const changes = new Set<() => void>();
    void (async () => {
      for await (const e of await kv.watch()) {
        if (!e.key.startsWith('s.')) continue;
        if (e.operation === 'PUT') holders.set(e.key.slice(2), e.string()); else holders.delete(e.key.slice(2));
        changes.forEach((c) => c());
      }
    })();
    const onLease = (wake: () => void) => { changes.add(wake); return () => { changes.delete(wake); }; };
    const heldBy = (id: string) => [...holders.values()].filter((h) => h === id).length;

    const recorder = (id: string): ChildProcess => {
      const config = {
        session: {
          id, realtime_provider: 'binance-realtime', symbols: SYMBOLS, interval: '1m',
          realtime_provider_config: { ws_url: sim.wsUrl, rest_url: sim.restUrl, reconnect_delay_ms: 30, reconnect_max_delay_ms: 200 },
          storage_config: { output_path: join(dir, `${id}.duckdb`), flush_interval_ms: 200 },
        },
        bus: { url: nats.url, stream: 'BARS', fleet: 'f1', lease_ttl_ms: 1_500, publish_timeout_ms: 1_000 },
      };
      const child = spawn(process.execPath, [join(import.meta.dirname, 'fixtures/run-session.ts'), JSON.stringify(config)], { stdio: ['ignore', 'pipe', 'inherit'] });
      createInterface({ input: child.stdout! }).on('line', () => undefined);
      cleanups.push(async () => { child.kill('SIGKILL'); });
      return child;
    };
    const stopGracefully = (child: ChildProcess) => new Promise((r) => { child.once('exit', r); child.kill('SIGTERM'); });

    const a = recorder('rec-a');
    const b = recorder('rec-b');
    await until(() => holders.size === 6 && heldBy('rec-a') === 3 && heldBy('rec-b') === 3, onLease, 'a and b share the six streams');
    const c = recorder('rec-c');
    await until(() => holders.size === 6 && heldBy('rec-a') === 2 && heldBy('rec-b') === 2 && heldBy('rec-c') === 2, onLease, 'c gets its share');

    const ofB = SYMBOLS.filter((s) => holders.get(keyOf(s)) === 'rec-b');
    const killedAt = sim.now();
    b.kill('SIGKILL');
    await until(() => ofB.every((s) => ['rec-a', 'rec-c'].includes(holders.get(keyOf(s)) ?? '')), onLease, 'b\'s streams taken over', 20_000);

    // Wait until the bus has bars of every stream well past the kill, then stop the fleet.
    const past = killedAt + 5 * 60_000;
    const sub = nc.subscribe('argo.bars.>');
    const latest = new Map<string, number>();
    await new Promise<void>((resolve) => {
      void (async () => {
        for await (const m of sub) {
          const { symbol, openTime } = JSON.parse(new TextDecoder().decode(m.data)) as { symbol: string; openTime: number };
          latest.set(symbol, Math.max(latest.get(symbol) ?? 0, openTime));
          if (SYMBOLS.every((s) => (latest.get(s) ?? 0) > past)) { sub.unsubscribe(); resolve(); }
        }
      })();
    });
    await Promise.all([stopGracefully(a), stopGracefully(c)]);

    const stored = await readStream(nats.url, 'BARS');
    for (const symbol of SYMBOLS) {
      const mine = stored.filter((m) => m.subject === `argo.bars.binance.1m.${symbol}`).map((m) => m.bar);
      expect(mine.some((bar) => bar.openTime > past)).toBe(true);
      expect(streamProblems(sim, symbol, mine)).toEqual([]);
    }
    expect(stored.some((m) => m.bar.backfilled)).toBe(true);
  }, 120_000);
});
