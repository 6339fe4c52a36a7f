/**
 * The peer benchmark's exactness check: every closed candle in a recorded DuckDB file is compared, field by field,
 * with the simulator's own klines (its REST `/api/v3/klines`, computed from the same market model that fed the
 * stream), and candles the simulator closed inside the file's range but the file lacks are counted as missing.
 */
import { DuckDBInstance } from '@duckdb/node-api';

/** Outcome: rows in the file, candles the simulator closed in the file's range, differing and missing ones. */
export interface ClosedBarCheck {
  readonly rows: number;
  readonly expected: number;
  readonly mismatched: number;
  readonly missing: number;
}

type Row = { symbol: string; t: number; open: number; high: number; low: number; close: number; volume: number; trades: number | null };

/** Checks the bars table of a closed DuckDB file against the simulator at `restUrl`. */
export const checkClosedBars = async (dbPath: string, restUrl: string, symbols: readonly string[], interval: string): Promise<ClosedBarCheck> => {
  const instance = await DuckDBInstance.create(dbPath, { access_mode: 'READ_ONLY' });
  const conn = await instance.connect();
  let rows: Row[];
  try {
    const r = await conn.runAndReadAll(
      'SELECT symbol, epoch_ms("timestamp")::DOUBLE AS t, open, high, low, close, volume, trade_count AS trades ' +
      'FROM realtime_market_data WHERE "interval" = $1 ORDER BY symbol, "timestamp"', [interval]);
    rows = r.getRowObjectsJS() as unknown as Row[];
  } finally {
    conn.closeSync();
    instance.closeSync();
  }
  const bySymbol = new Map<string, Map<number, Row>>();
  for (const row of rows) {
    let m = bySymbol.get(row.symbol);
    if (!m) bySymbol.set(row.symbol, (m = new Map()));
    m.set(Number(row.t), row);
  }
  let expected = 0;
  let mismatched = 0;
  let missing = 0;
  const serverTime = ((await (await fetch(`${restUrl}/api/v3/time`)).json()) as { serverTime: number }).serverTime;
  // A few symbols at a time: the simulator enforces Binance's request weight per minute like the venue.
  for (let i = 0; i < symbols.length; i += 20) {
    await Promise.all(symbols.slice(i, i + 20).map(async (symbol) => {
      const mine = bySymbol.get(symbol);
      if (!mine || mine.size === 0) return;
      const from = Math.min(...mine.keys());
      const res = await fetch(`${restUrl}/api/v3/klines?symbol=${symbol}&interval=${interval}&startTime=${from}&limit=1000`);
      if (!res.ok) throw new Error(`klines ${symbol}: HTTP ${res.status} ${await res.text()}`);
      const klines = (await res.json()) as [number, string, string, string, string, string, number, string, number][];
      for (const k of klines) {
        if (k[6] >= serverTime) continue; // still open
        expected++;
        const row = mine.get(k[0]);
        if (!row) { missing++; continue; }
        const same = row.open === Number(k[1]) && row.high === Number(k[2]) && row.low === Number(k[3]) &&
          row.close === Number(k[4]) && row.volume === Number(k[5]) && (row.trades === null || row.trades === k[8]);
        if (!same) mismatched++;
      }
    }));
  }
  return { rows: rows.length, expected, mismatched, missing };
};
