/**
 * The realtime trading session end to end: Binance simulator on loopback → provider → session → DuckDB writer,
 * strategy worker and paper broker; event log folds; crash and resume.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import { afterEach, describe, expect, it } from 'vitest';
import { paperBrokerMachine } from '../../machines/paper-broker.machine.ts';
import { decodeSessionConfig } from '../../src/config/session-config.ts';
import { foldEvents, type LoggedEvent } from '../../src/events/fold.ts';
import { createRealtimeSession, SessionEventLog } from '../../src/session/index.ts';
import { startBinanceSimulator, type BinanceSimulator } from '../../src/sim/binance/index.ts';
import { accountInfoOf, positionsOf } from '../../src/trading/paper/account.ts';
import type { RealtimeSession } from '../../src/session/index.ts';
import { queryFile as query } from '../support/duckdb-file.ts';
import { eventWaits } from '../support/event-waits.ts';

// Poked by every simulator step and session event here: waits end on bars, connection changes, strategy outcomes.
const waits = eventWaits();
const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

const sim = async () => {
  const s = await startBinanceSimulator({ tickMs: 20, marketStepMs: 20_000 });
  s.on('step', waits.poke);
  cleanups.push(() => s.close());
  return s;
};

/** What a session told so far: bars by symbol, connection states, strategy outcomes. */
const watch = (session: RealtimeSession) => {
  const seen = { bars: 0, processed: 0, connection: [] as string[], last: new Map<string, number>() };
  session.on('bar', (b) => { seen.bars++; seen.last.set(b.symbol, Math.max(seen.last.get(b.symbol) ?? -Infinity, b.openTime)); waits.poke(); });
  session.on('connection', (c) => { seen.connection.push(c.state); waits.poke(); });
  session.on('strategy.processed', () => { seen.processed++; waits.poke(); });
  session.on('fill', waits.poke);
  return seen;
};

/** Waits for `n` more bars than have arrived so far. */
const moreBars = (seen: { bars: number }, n: number) => {
  const target = seen.bars + n;
  return waits.until(() => seen.bars >= target, `${target} bars`);
};

/** Pauses the market and waits until the session has every bar it closed, and the strategy every bar it received. */
const pauseAndCatchUp = async (s: BinanceSimulator, seen: ReturnType<typeof watch>, symbols: readonly string[]) => {
  s.pause();
  const lastClosed = new Map(symbols.map((sym) => [sym, s.closedBars(sym, '1m', s.now() - 10 * 60_000).at(-1)!.t]));
  await waits.until(() => symbols.every((sym) => (seen.last.get(sym) ?? -Infinity) >= lastClosed.get(sym)!), `the last closed bars ${JSON.stringify([...lastClosed])}`);
  await waits.until(() => seen.processed >= seen.bars, `the strategy to finish ${seen.bars} bars`);
};

const rawConfig = (s: BinanceSimulator, dbPath: string, extra: { id?: string; strategy?: string; strategyConfig?: object } = {}) => ({
  session: {
    ...(extra.id ? { id: extra.id } : {}),
    realtime_provider: 'binance-realtime',
    realtime_provider_config: { ws_url: s.wsUrl, rest_url: s.restUrl, reconnect_delay_ms: 30, reconnect_max_delay_ms: 200 },
    trading_provider: 'paper',
    storage_config: { output_path: dbPath, flush_interval_ms: 200 },
    symbols: ['BTCUSDT', 'ETHUSDT'],
    interval: '1m',
  },
  strategy: { path: extra.strategy ?? 'examples/ma-cross.strategy.ts', config: extra.strategyConfig ?? {}, budget_ms: 2_000 },
});

/** Folds the broker events of a session's log, resolving bar references from the bars table. */
const rebuildBroker = async (path: string, id: string) => {
  const instance = await DuckDBInstance.create(path);
  const conn = await instance.connect();
  try {
    const rows = (await SessionEventLog.read(conn, id)).filter((r) => r.type.startsWith('broker:'));
    const bars = await SessionEventLog.resolveBars(conn, 'realtime_market_data', rows.map((r) => r.payload.ref).filter((x): x is string => typeof x === 'string'));
    const events: LoggedEvent[] = rows.map((r) => {
      const { ref, ...rest } = r.payload;
      return { type: r.type.slice('broker:'.length), ...rest, ...(typeof ref === 'string' ? { bar: bars.get(ref) } : {}) };
    });
    return foldEvents(paperBrokerMachine, events).context;
  } finally {
    conn.closeSync();
    instance.closeSync();
  }
};

describe('realtime trading session', () => {
  it('persists every closed bar once, feeds the strategy each once, and logs orders whose fold equals the live broker', async () => {
    const s = await sim();
    const dir = mkdtempSync(join(tmpdir(), 'argo-session-'));
    const db = join(dir, 'session.duckdb');
    const session = createRealtimeSession(decodeSessionConfig(rawConfig(s, db, { id: 'it-1' })));
    const seen: string[] = [];
    session.on('bar', (b) => seen.push(`${b.symbol}|${b.openTime}`));
    const told = watch(session);
    await session.start();
    for (let i = 0; i < 4; i++) {
      // A stretch of bars on this connection, then it drops; the next stretch begins once the session is back.
      await moreBars(told, 20);
      const states = told.connection.length;
      s.dropConnections();
      await waits.until(() => told.connection.slice(states).includes('reconnecting') && told.connection.at(-1) === 'connected', 'the reconnect');
    }
    await moreBars(told, 40);
    // MA-cross trades on a crossing: wait for one rather than for time.
    await waits.until(() => session.stats().orders.filled > 0, 'a fill');
    await pauseAndCatchUp(s, told, ['BTCUSDT', 'ETHUSDT']);
    const live = session.stats();
    expect(live.strategy?.skipped).toBe(0);
    const summary = await session.stop();
    expect(summary.state).toBe('stopped');
    expect(summary.fills).toBeGreaterThan(0);

    // Every closed bar of the simulator since the first one received is in DuckDB exactly once.
    for (const symbol of ['BTCUSDT', 'ETHUSDT']) {
      const rows = await query(db, `SELECT epoch_ms("timestamp") AS t, close FROM realtime_market_data WHERE symbol = '${symbol}' ORDER BY 1`);
      // Every bar the market closed before its pause: the session was given them all before it stopped.
      const truth = s.closedBars(symbol, '1m', Number(rows[0]!.t));
      expect(rows.map((r) => Number(r.t))).toEqual(truth.map((k) => k.t));
      expect(rows.map((r) => Number(r.close))).toEqual(truth.map((k) => Number(k.c)));
    }
    // The strategy saw each bar once (the feed dropped none, and it processed as many as arrived).
    expect(new Set(seen).size).toBe(seen.length);
    expect(live.strategy!.queued).toBe(0);
    expect(live.strategy!.barsProcessed + live.strategy!.barsFailed).toBe(seen.length);
    // Orders and fills are in the event log, and folding it rebuilds the broker the session ended with.
    const types = await query(db, `SELECT type, count(*) AS n FROM session_events WHERE session_id = 'it-1' GROUP BY type`);
    const count = (t: string) => Number(types.find((r) => r.type === t)?.n ?? 0);
    expect(count('broker:broker.order.place')).toBe(summary.orders);
    expect(count('session:bar.closed')).toBe(summary.bars);
    const rebuilt = await rebuildBroker(db, 'it-1');
    expect(accountInfoOf(rebuilt)).toEqual(summary.account);
    expect(positionsOf(rebuilt)).toEqual(summary.positions);
  });

  it('keeps streaming and persisting when the strategy throws on every tenth bar', async () => {
    const s = await sim();
    const db = join(mkdtempSync(join(tmpdir(), 'argo-session-')), 'throws.duckdb');
    const session = createRealtimeSession(decodeSessionConfig(rawConfig(s, db, { strategy: 'test/strategy/fixtures/throws-every-10th.strategy.ts' })));
    const failures: string[] = [];
    session.on('strategy', (e) => { if (e.type === 'strategy.failed') failures.push(e.message); });
    const told = watch(session);
    await session.start();
    await moreBars(told, 50);
    await pauseAndCatchUp(s, told, ['BTCUSDT', 'ETHUSDT']);
    const summary = await session.stop();
    expect(summary.state).toBe('stopped');
    expect(summary.bars).toBeGreaterThan(40);
    expect(failures.length).toBeGreaterThanOrEqual(Math.floor(summary.bars / 10) - 1);
    const [{ n }] = await query(db, 'SELECT count(*) AS n FROM realtime_market_data') as [{ n: bigint }];
    expect(Number(n)).toBe(summary.bars);
  });

  it('fails to start with a clear error when the strategy cannot be loaded, and leaves the file clean', async () => {
    const s = await sim();
    const db = join(mkdtempSync(join(tmpdir(), 'argo-session-')), 'bad.duckdb');
    const session = createRealtimeSession(decodeSessionConfig(rawConfig(s, db, { strategy: 'examples/does-not-exist.strategy.ts' })));
    await expect(session.start()).rejects.toMatchObject({ code: 'STRATEGY_FAILED', message: expect.stringContaining('does-not-exist') });
    const summary = await session.done;
    expect(summary.state).toBe('failed');
    expect(await query(db, 'SELECT count(*) AS n FROM realtime_market_data')).toEqual([{ n: 0n }]);
  });

  it('resumes after SIGKILL with the same session id: positions and cash from the log, missed bars backfilled', async () => {
    const s = await sim();
    const db = join(mkdtempSync(join(tmpdir(), 'argo-session-')), 'resume.duckdb');
    const raw = rawConfig(s, db, { id: 'crash-1', strategy: 'test/session/fixtures/buy-twice.strategy.ts' });
    const child = spawn(process.execPath, ['test/session/fixtures/run-session.ts', JSON.stringify(raw)], { env: { ...process.env, FILLS: '2' }, stdio: ['ignore', 'pipe', 'inherit'] });
    const reported = await new Promise<{ positions: { symbol: string; quantity: number; averagePrice: number }[]; account: { cash: number } }>((resolve, reject) => {
      let buf = '';
      child.stdout.on('data', (d: Buffer) => {
        buf += d.toString();
        const line = buf.split('\n').find((l) => l.startsWith('{'));
        if (line) resolve(JSON.parse(line));
      });
      child.on('exit', (code) => reject(new Error(`child exited early (${code})`)));
    });
    child.kill('SIGKILL');
    await new Promise((r) => child.once('exit', r));
    // The market moves on while nobody listens: thirty steps (ten bars a symbol) to backfill on the resume.
    const downFrom = s.now();
    await waits.until(() => s.now() >= downFrom + 30 * s.options.marketStepMs, 'thirty market steps');

    const session = createRealtimeSession(decodeSessionConfig(raw));
    const told = watch(session);
    await session.start();
    await session.flush();
    const resumedState = session.stats();
    expect(resumedState.positions.map((p) => [p.symbol, p.quantity, p.averagePrice])).toEqual(reported.positions.map((p) => [p.symbol, p.quantity, p.averagePrice]));
    expect(resumedState.account?.cash).toBe(reported.account.cash);
    await moreBars(told, 20);
    await pauseAndCatchUp(s, told, ['BTCUSDT', 'ETHUSDT']);
    const summary = await session.stop();
    expect(summary.resumed).toBe(true);
    // No third buy: the strategy read the resumed position from the broker.
    expect(summary.positions.find((p) => p.symbol === 'BTCUSDT')?.quantity).toBeCloseTo(0.02, 10);
    // The bars missed while the process was dead were backfilled: the stored series has no gap.
    const rows = await query(db, `SELECT epoch_ms("timestamp") AS t FROM realtime_market_data WHERE symbol = 'BTCUSDT' ORDER BY 1`);
    expect(rows.map((r) => Number(r.t))).toEqual(s.closedBars('BTCUSDT', '1m', Number(rows[0]!.t)).map((k) => k.t));
  });
});
