/**
 * The start-up floor for benchmark 6: a bare Node program that opens a DuckDB file (same table and key), connects
 * a `ws` client to the simulator, subscribes, and makes the first closed kline durable with an Appender. It prints
 * the same `BENCH_PROBE` lines as startup-probe.ts.
 *
 *   node bench/support/startup-baseline.ts <wsUrl> <symbol> <interval> <db>
 */
import { DuckDBInstance, DuckDBTimestampValue } from '@duckdb/node-api';
import WebSocket from 'ws';
import { BAR_COLUMNS, quoteIdent } from '../../src/storage/schema.ts';

const now = (): number => performance.timeOrigin + performance.now();
const say = (event: string, extra: Record<string, unknown> = {}): void => {
  process.stderr.write(`BENCH_PROBE ${JSON.stringify({ event, t: now(), ...extra })}\n`);
};
say('process.start', { timeOrigin: performance.timeOrigin });
const [wsUrl, symbol, interval, db] = process.argv.slice(2) as [string, string, string, string];
const instance = await DuckDBInstance.create(db);
const conn = await instance.connect();
await conn.run(`CREATE TABLE IF NOT EXISTS bars (${BAR_COLUMNS.map((c) => `${quoteIdent(c.name)} ${c.type}`).join(', ')}, PRIMARY KEY (provider, symbol, "interval", "timestamp"))`);
const appender = await conn.createAppender('bars');
say('writer.opened');
const ws = new WebSocket(`${wsUrl}/ws`, { perMessageDeflate: false });
ws.on('open', () => ws.send(JSON.stringify({ method: 'SUBSCRIBE', params: [`${symbol.toLowerCase()}@kline_${interval}`], id: 1 })));
ws.on('message', (data) => {
  const receivedAt = now();
  const m = JSON.parse(data.toString()) as { e?: string; k?: { t: number; s: string; i: string; o: string; h: string; l: string; c: string; v: string; n: number; x: boolean } };
  const k = m.k;
  if (m.e !== 'kline' || !k?.x) return;
  say('first.bar', { receivedAt });
  appender.appendVarchar(`binance|${k.s}|${k.i}|${k.t}`);
  appender.appendVarchar('binance');
  appender.appendVarchar(k.s);
  appender.appendVarchar(k.i);
  appender.appendTimestamp(new DuckDBTimestampValue(BigInt(k.t) * 1000n));
  for (const v of [k.o, k.h, k.l, k.c, k.v]) appender.appendDouble(Number(v));
  appender.appendNull();
  appender.appendInteger(k.n);
  appender.appendTimestamp(new DuckDBTimestampValue(BigInt(Math.round(receivedAt)) * 1000n));
  appender.endRow();
  appender.flushSync();
  say('first.durable', { rows: 1 });
  ws.terminate();
  appender.closeSync();
  conn.closeSync();
  instance.closeSync();
  process.exit(0);
});
