/**
 * The end-of-session summary: bars, orders and fills, P&L, positions, what the DuckDB file now holds (read back
 * from the closed file, not from counters) and a query to try next with `argo-realtime query`.
 */
import { existsSync } from 'node:fs';
import { relative } from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import pc from 'picocolors';
import { describe } from '../errors.ts';
import type { SessionSummary } from '../session/index.ts';
import type { Output } from './output.ts';
import { pnlText } from './pnl.ts';

/** Rows of one stream in the file. */
export interface StoredStream {
  readonly symbol: string;
  readonly interval: string;
  readonly rows: number;
  readonly first: number;
  readonly last: number;
}

/** Reads per-stream row counts from a closed DuckDB file (read-only); empty when the file or table is missing. */
export const storedStreams = async (dbPath: string, table: string): Promise<StoredStream[]> => {
  if (dbPath === ':memory:' || !existsSync(dbPath)) return [];
  const instance = await DuckDBInstance.create(dbPath, { access_mode: 'READ_ONLY' });
  const connection = await instance.connect();
  try {
    const reader = await connection.runAndReadAll(
      `SELECT symbol, "interval", count(*)::DOUBLE AS n, epoch_ms(min("timestamp"))::DOUBLE AS first, epoch_ms(max("timestamp"))::DOUBLE AS last
       FROM "${table}" GROUP BY ALL ORDER BY symbol, "interval"`,
    );
    return reader.getRowObjectsJS().map((r) => ({
      symbol: String(r.symbol), interval: String(r.interval), rows: Number(r.n), first: Number(r.first), last: Number(r.last),
    }));
  } finally {
    connection.closeSync();
    instance.closeSync();
  }
};

/** The file path as a user would type it from here. */
export const displayPath = (p: string): string => {
  const rel = relative(process.cwd(), p);
  return rel && !rel.startsWith('..') && !rel.startsWith('/') ? rel : p;
};

/** A query worth trying on the recorded table. */
export const sampleQuery = (table: string): string =>
  `SELECT symbol, count(*) AS bars, min("timestamp") AS first, max("timestamp") AS last, round(avg(close), 2) AS avg_close FROM ${table} GROUP BY symbol ORDER BY symbol`;

const minute = (t: number): string => new Date(t).toISOString().slice(0, 16).replace('T', ' ');

/** Prints the summary of a finished session. */
export const printSummary = async (out: Output, summary: SessionSummary, extra: readonly string[] = []): Promise<void> => {
  const row = (label: string, text: string) => out.line(`  ${pc.bold(label.padEnd(10))} ${text}`);
  out.line();
  out.line(`${pc.bold('summary')}  session ${summary.id} ${summary.state}${summary.reason ? ` (${summary.reason})` : ''}${summary.resumed ? pc.dim(' (resumed an earlier run)') : ''}`);
  row('bars', `${summary.bars} closed bars received`);
  let streams: StoredStream[] = [];
  try {
    streams = await storedStreams(summary.dbPath, summary.table);
  } catch (e) {
    row('file', pc.yellow(`could not read ${summary.dbPath} back: ${describe(e)}`));
  }
  const file = displayPath(summary.dbPath);
  if (summary.dbPath !== ':memory:') {
    const total = streams.reduce((n, s) => n + s.rows, 0);
    row('file', `${file}, table ${summary.table}: ${total} rows`);
    for (const s of streams) out.line(pc.dim(`             ${s.symbol} ${s.interval}: ${s.rows} bars, ${minute(s.first)} → ${minute(s.last)} UTC`));
  }
  if (summary.account) {
    const a = summary.account;
    row('orders', `${summary.orders} placed, ${summary.fills} fills`);
    row('P&L', `${pnlText(a)}; equity ${a.equity.toFixed(2)}, cash ${a.cash.toFixed(2)}`);
    const open = summary.positions.filter((p) => p.quantity !== 0);
    row('positions', open.length ? open.map((p) => `${p.symbol} ${p.quantity} @ ${p.averagePrice.toFixed(2)}`).join(', ') : 'flat');
  }
  const unpersisted = summary.unpersisted ?? [];
  if (unpersisted.length > 0) {
    row('NOT SAVED', pc.red(`${unpersisted.reduce((n, r) => n + r.bars, 0)} bars are not in the file; the next start on this file fetches them from the venue's REST history:`));
    for (const r of unpersisted) {
      out.line(pc.red(`             ${r.provider} ${r.symbol} ${r.interval}: ${new Date(r.from).toISOString()} → ${new Date(r.to).toISOString()} (${r.kind === 'buffered' ? `${r.bars} bars held in memory, not flushed` : r.bars > 0 ? `${r.bars} bars not taken at the writer cap` : 'a gap left open by an earlier run, not fetched yet'})`));
    }
  }
  for (const line of extra) out.line(line);
  if (summary.dbPath !== ':memory:' && streams.length > 0) {
    out.line();
    out.line(pc.bold('try'));
    out.line(`  npx argo-realtime query --db ${file} '${sampleQuery(summary.table)}'`);
  }
};
