/**
 * What the session paths run on: two strategy files written to a temp dir (a sandboxed one that trades, a trusted
 * one that fails on command: on load, or on every bar once a gate file exists), and the checks of a session's
 * DuckDB file (bars against the simulator, orders against the event log, the log's fold against the live broker).
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import { paperBrokerMachine } from '../../../machines/paper-broker.machine.ts';
import type { ERROR_CODES } from '../../../src/errors.ts';
import { foldEvents, type LoggedEvent } from '../../../src/events/fold.ts';
import { SessionEventLog } from '../../../src/session/index.ts';
import type { BinanceSimulator } from '../../../src/sim/binance/index.ts';
import { accountInfoOf, positionsOf } from '../../../src/trading/paper/account.ts';
import type { AccountInfo, Position } from '../../../src/trading/types.ts';

/** A code of the error contract, checked against `ERROR_CODES` by the compiler. */
export const code = (c: keyof typeof ERROR_CODES): string => c;

const dir = mkdtempSync(join(tmpdir(), 'argo-session-paths-strategies-'));

/** Sandboxed: a market buy on its 2nd BTCUSDT bar, a resting limit buy on the 3rd, a market sell on the 5th. */
export const TRADING_STRATEGY = join(dir, 'trade.strategy.ts');
writeFileSync(TRADING_STRATEGY, `/** Machine-path fixture: trades a little, leaves one limit order open. */
let seen = 0;
export default {
  name: 'paths-trade',
  initialize() { seen = 0; },
  async processData(bar, api) {
    if (bar.symbol !== 'BTCUSDT') return;
    seen += 1;
    const id = (tag) => tag + '-' + bar.openTime;
    if (seen === 2) await api.placeOrder({ symbol: 'BTCUSDT', side: 'buy', type: 'market', quantity: 0.01, clientOrderId: id('b') });
    if (seen === 3) await api.placeOrder({ symbol: 'BTCUSDT', side: 'buy', type: 'limit', price: Math.round(bar.close * 0.98), quantity: 0.01, clientOrderId: id('l') });
    if (seen === 5) await api.placeOrder({ symbol: 'BTCUSDT', side: 'sell', type: 'market', quantity: 0.01, clientOrderId: id('s') });
  },
};
`);

/** Trusted (it reads the filesystem): fails on load, or on every bar while `config.gate` exists. */
export const FAULT_STRATEGY = join(dir, 'fault.strategy.ts');
writeFileSync(FAULT_STRATEGY, `/** Machine-path fixture: a strategy that fails when told to. */
import { existsSync } from 'node:fs';
let mode = 'none';
let gate = '';
export default {
  name: 'paths-fault',
  async initialize(config) {
    mode = config.mode;
    gate = config.gate;
    if (mode === 'throw-on-load') throw new Error('the fixture refuses to load');
    if (mode === 'hang-on-load') await new Promise(() => {});
  },
  processData(bar) {
    if (!existsSync(gate)) return;
    if (mode === 'throw') throw new Error('fault on ' + bar.symbol + ' ' + bar.openTime);
    if (mode === 'loop') for (;;);
  },
};
`);

const withDb = async <T>(path: string, run: (conn: Awaited<ReturnType<DuckDBInstance['connect']>>) => Promise<T>): Promise<T> => {
  const instance = await DuckDBInstance.create(path);
  const conn = await instance.connect();
  try {
    return await run(conn);
  } finally {
    conn.closeSync();
    instance.closeSync();
  }
};

/** Every stored bar of each symbol once, with the simulator's exact values, and none missing between the first and last. */
export const checkStoredBars = async (db: string, sim: BinanceSimulator, symbols: readonly string[]): Promise<number> => withDb(db, async (conn) => {
  let total = 0;
  for (const symbol of symbols) {
    const rows = (await conn.runAndReadAll(`SELECT epoch_ms("timestamp") AS t, open, high, low, close, volume FROM realtime_market_data WHERE symbol = '${symbol}' ORDER BY 1`)).getRowObjectsJS();
    total += rows.length;
    if (rows.length === 0) continue;
    const times = rows.map((r) => Number(r.t));
    if (new Set(times).size !== times.length) throw new Error(`${symbol}: a bar is stored twice`);
    const truth = sim.closedBars(symbol, '1m', times[0]!, times.at(-1)!);
    if (JSON.stringify(truth.map((k) => k.t)) !== JSON.stringify(times)) throw new Error(`${symbol}: stored bars ${times.join(',')} are not the simulator's ${truth.map((k) => k.t).join(',')}`);
    rows.forEach((r, i) => {
      const k = truth[i]!;
      const same = r.open === Number(k.o) && r.high === Number(k.h) && r.low === Number(k.l) && r.close === Number(k.c) && r.volume === Number(k.v);
      if (!same) throw new Error(`${symbol} ${k.t}: stored ${JSON.stringify(r)} differs from the simulator's ${JSON.stringify(k)}`);
    });
  }
  return total;
});

/** The log of a session: every order id it names, and the paper broker folded from its broker events. */
export const readLog = async (db: string, id: string): Promise<{ orderIds: Set<string>; account: AccountInfo; positions: Position[]; types: Map<string, number> }> =>
  withDb(db, async (conn) => {
    const rows = await SessionEventLog.read(conn, id);
    const broker = rows.filter((r) => r.type.startsWith('broker:'));
    const bars = await SessionEventLog.resolveBars(conn, 'realtime_market_data', broker.map((r) => r.payload.ref).filter((x): x is string => typeof x === 'string'));
    const events: LoggedEvent[] = broker.map((r) => {
      const { ref, ...rest } = r.payload;
      return { type: r.type.slice('broker:'.length), ...rest, ...(typeof ref === 'string' ? { bar: bars.get(ref) } : {}) };
    });
    const folded = foldEvents(paperBrokerMachine, events).context;
    const orderIds = new Set(broker.filter((r) => r.type === 'broker:broker.order.place').map((r) => String(r.payload.id)));
    const types = new Map<string, number>();
    for (const r of rows) types.set(r.type, (types.get(r.type) ?? 0) + 1);
    return { orderIds, account: accountInfoOf(folded), positions: positionsOf(folded), types };
  });
