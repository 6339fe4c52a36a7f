/** The session event log in a real DuckDB file: order, sequence across reopenings, bar references, redaction. */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DuckDBInstance, type DuckDBConnection } from '@duckdb/node-api';
import { afterEach, describe, expect, it } from 'vitest';
import type { Bar } from '../../src/domain/bar.ts';
import { registerSecret } from '../../src/secrets.ts';
import { SessionEventLog, withBarRef } from '../../src/session/event-log.ts';
import { createTableSql } from '../../src/storage/schema.ts';

const T = Date.UTC(2026, 11, 3, 12);
const bar = (i: number, symbol = 'BTCUSDT'): Bar => ({
  provider: 'binance', symbol, interval: '1m', openTime: T + i * 60_000, closeTime: T + i * 60_000 + 59_999,
  open: 1 + i, high: 2 + i, low: 0.5 + i, close: 1.5 + i, volume: 10 + i, vwap: i === 0 ? null : 1.2 + i, tradeCount: i === 0 ? null : 4, final: true, receivedAt: T + i * 60_000 + 60_100,
});

const opened: { instance: DuckDBInstance; conn: DuckDBConnection }[] = [];
afterEach(() => {
  for (const { instance, conn } of opened.splice(0)) {
    conn.closeSync();
    instance.closeSync();
  }
});
const open = async (path = join(mkdtempSync(join(tmpdir(), 'argo-event-log-')), 'log.duckdb')) => {
  const instance = await DuckDBInstance.create(path);
  const conn = await instance.connect();
  opened.push({ instance, conn });
  return { conn, path };
};

describe('SessionEventLog', () => {
  it('writes queued events in order on flush and reads them back with their times and payloads', async () => {
    const { conn } = await open();
    const log = await SessionEventLog.open(conn, 's1');
    log.append('session:session.start', { type: 'session.start', at: 1 }, T);
    log.append('broker:order.placed', { type: 'order.placed', id: 'o1', quantity: 2 }, T + 5);
    expect(log.pendingCount).toBe(2);
    expect(await SessionEventLog.read(conn, 's1')).toEqual([]);
    await log.flush();
    expect(log.pendingCount).toBe(0);
    expect(await SessionEventLog.read(conn, 's1')).toEqual([
      { seq: 1, at: T, type: 'session:session.start', payload: { at: 1 } },
      { seq: 2, at: T + 5, type: 'broker:order.placed', payload: { id: 'o1', quantity: 2 } },
    ]);
  });

  it('holds back what is logged after hold() until release(), and flushes what came before', async () => {
    const { conn } = await open();
    const log = await SessionEventLog.open(conn, 's1');
    log.append('bus:checkpoint', { upTo: 1 }, T);
    log.hold();
    log.append('strategy:mark', { name: 'bar', value: 2 }, T + 1);
    await log.flush();
    expect((await SessionEventLog.read(conn, 's1')).map((r) => r.type)).toEqual(['bus:checkpoint']);
    expect(log.durableSeq).toBe(1);
    expect(log.pendingCount).toBe(1);
    log.append('bus:checkpoint', { upTo: 2 }, T + 2);
    log.release();
    await log.flush();
    expect((await SessionEventLog.read(conn, 's1')).map((r) => [r.seq, r.type])).toEqual([[1, 'bus:checkpoint'], [2, 'strategy:mark'], [3, 'bus:checkpoint']]);
    expect(log.durableSeq).toBe(3);
    expect(log.lastSeq).toBe(3);
  });

  it('continues the sequence of a session after a reopening and keeps sessions apart', async () => {
    const first = await open();
    const log = await SessionEventLog.open(first.conn, 's1');
    log.append('a', {}, T);
    log.append('b', {}, T);
    await log.flush();
    const other = await SessionEventLog.open(first.conn, 's2');
    other.append('x', {}, T);
    await other.flush();
    opened.pop()!.conn.closeSync();
    const again = await open(first.path);
    const resumed = await SessionEventLog.open(again.conn, 's1');
    resumed.append('c', {}, T);
    await resumed.flush();
    expect((await SessionEventLog.read(again.conn, 's1')).map((e) => [e.seq, e.type])).toEqual([[1, 'a'], [2, 'b'], [3, 'c']]);
    expect((await SessionEventLog.read(again.conn, 's2')).map((e) => [e.seq, e.type])).toEqual([[1, 'x']]);
  });

  it('logs a bar by its key and resolves the key back to the stored bar', async () => {
    const { conn } = await open();
    for (const sql of createTableSql('bars')) await conn.run(sql);
    const stored = [bar(0), bar(1), bar(2, 'ETHUSDT')];
    for (const b of stored) {
      await conn.run(`INSERT INTO bars VALUES ($id, $p, $s, $i, make_timestamp($t * 1000), $o, $h, $l, $c, $v, $vw, $n, make_timestamp($r * 1000))`, {
        id: `${b.symbol}-${b.openTime}`, p: b.provider, s: b.symbol, i: b.interval, t: b.openTime, o: b.open, h: b.high, l: b.low, c: b.close, v: b.volume,
        vw: b.vwap, n: b.tradeCount, r: b.receivedAt,
      });
    }
    const log = await SessionEventLog.open(conn, 's1');
    log.append('session:market.bar', { type: 'market.bar', bar: bar(1) }, T);
    await log.flush();
    const [row] = await SessionEventLog.read(conn, 's1');
    expect(row!.payload).toEqual({ ref: `binance|BTCUSDT|1m|${T + 60_000}` });
    const refs = [String(row!.payload.ref), `binance|ETHUSDT|1m|${T + 120_000}`, `binance|BTCUSDT|1m|${T}`, `binance|BTCUSDT|1m|${T + 99 * 60_000}`];
    const resolved = await SessionEventLog.resolveBars(conn, 'bars', refs);
    expect([...resolved.keys()].sort()).toEqual(refs.slice(0, 3).sort());
    expect(resolved.get(refs[0]!)).toEqual(bar(1));
    expect(resolved.get(refs[2]!)).toEqual(bar(0));
    expect(resolved.get(refs[1]!)).toEqual(bar(2, 'ETHUSDT'));
    expect((await SessionEventLog.resolveBars(conn, 'bars', [])).size).toBe(0);
  });

  it('never writes a registered secret, whichever event carries it', async () => {
    const { conn } = await open();
    registerSecret('sk_event_log_5f3a9c');
    const log = await SessionEventLog.open(conn, 's1');
    log.append('strategy:log', { message: 'key is sk_event_log_5f3a9c' }, T);
    await log.flush();
    const text = JSON.stringify((await conn.runAndReadAll('SELECT CAST(payload AS VARCHAR) AS p FROM session_events')).getRowObjectsJS());
    expect(text).not.toContain('sk_event_log_5f3a9c');
    expect(text).toContain('***');
  });

  it('keeps a batch whose write failed and writes it, in order, on the next flush', async () => {
    const { conn } = await open();
    const log = await SessionEventLog.open(conn, 's1');
    log.append('a', {}, T);
    // A table of the same name in another shape makes the appender fail.
    await conn.run('ALTER TABLE session_events RENAME TO session_events_real');
    await conn.run('CREATE TABLE session_events (x INTEGER)');
    await expect(log.flush()).rejects.toThrow();
    expect(log.pendingCount).toBe(1);
    log.append('b', {}, T);
    await conn.run('DROP TABLE session_events');
    await conn.run('ALTER TABLE session_events_real RENAME TO session_events');
    await log.flush();
    expect((await SessionEventLog.read(conn, 's1')).map((e) => [e.seq, e.type])).toEqual([[1, 'a'], [2, 'b']]);
  });
});

describe('withBarRef', () => {
  it('replaces a bar by its key and leaves other events alone', () => {
    expect(withBarRef({ type: 'x', bar: bar(0), n: 1 })).toEqual({ type: 'x', n: 1, ref: `binance|BTCUSDT|1m|${T}` });
    const plain = { type: 'y', bar: 'not a bar' };
    expect(withBarRef(plain)).toBe(plain);
  });
});
