/**
 * Follows the trace file a CLI child writes (`--trace <file>`, one JSON line per inspection event) as it grows:
 * the closed bars the child's session received, by symbol, and a change notifier. Waits end on the file's changes
 * (`fs.watch` on its directory, since the child creates the file), never on sleeps; only a failure deadline is timed.
 */
import { closeSync, openSync, readSync, watch } from 'node:fs';
import { basename, dirname } from 'node:path';
import { StringDecoder } from 'node:string_decoder';
import { eventWaits } from './event-waits.ts';

/** A trace file being followed. */
export interface TraceFollower {
  /** Closed bars the child's session received for `symbol`. */
  bars(symbol: string): number;
  /** Open time of the newest closed bar received for `symbol` (-Infinity before the first). */
  newest(symbol: string): number;
  /** Resolves once `ok()` holds, checked now and after every change of the file; rejects after `ms` naming `what`. */
  until(ok: () => boolean, what: string, ms?: number): Promise<void>;
  /** Resolves on the next change of the file (new trace lines: the child's session did something). */
  changed(ms?: number): Promise<void>;
  close(): void;
}

// `{"kind":"event","actor":"session","source":"session.marketData","event":{"type":"bar.closed","bar":"binance|BTCUSDT|1m|…"}}`
const BAR = /"kind":"event","actor":"session".*"event":\{"type":"bar\.closed","bar":"[^|"]+\|([^|"]+)\|[^|"]+\|(\d+)"/;

/** Starts following `path` (which need not exist yet). */
export const followTrace = (path: string): TraceFollower => {
  const waits = eventWaits();
  const counts = new Map<string, { n: number; newest: number }>();
  let offset = 0;
  let tail = '';
  let changes = 0;
  const buffer = Buffer.alloc(1 << 16);
  const decoder = new StringDecoder('utf8');
  const read = (): void => {
    let fd: number;
    try {
      fd = openSync(path, 'r');
    } catch {
      return; // not created yet
    }
    try {
      for (let n; (n = readSync(fd, buffer, 0, buffer.length, offset)) > 0; offset += n) tail += decoder.write(buffer.subarray(0, n));
    } finally {
      closeSync(fd);
    }
    const lines = tail.split('\n');
    tail = lines.pop()!;
    for (const line of lines) {
      const m = BAR.exec(line);
      if (!m) continue;
      const c = counts.get(m[1]!) ?? { n: 0, newest: -Infinity };
      counts.set(m[1]!, { n: c.n + 1, newest: Math.max(c.newest, Number(m[2])) });
    }
  };
  const watcher = watch(dirname(path), (_event, name) => {
    if (name !== null && name !== basename(path)) return;
    read();
    changes++;
    waits.poke();
  });
  read();
  return {
    bars: (symbol) => counts.get(symbol)?.n ?? 0,
    newest: (symbol) => counts.get(symbol)?.newest ?? -Infinity,
    until: (ok, what, ms) => waits.until(() => { read(); return ok(); }, what, ms),
    changed: (ms) => {
      const seen = changes;
      return waits.until(() => changes > seen, 'the trace file to change', ms);
    },
    close: () => watcher.close(),
  };
};
