/**
 * Live status while a session runs. On a terminal a few lines are redrawn in place (ANSI cursor movement) a few
 * times a second, and event lines (connection changes, orders, errors) scroll above them; elsewhere (a pipe, a
 * log file, CI) the same events are plain lines and the status is one line every few seconds.
 */
import { busStatusText } from '../bus/status-text.ts';
import pc from 'picocolors';
import type { SessionStats } from '../session/index.ts';
import type { Output } from './output.ts';
import { netPnl, pnlText, signed } from './pnl.ts';

// Move to the start of the line n rows up, then clear to the end of the screen.
const up = (n: number): string => (n > 0 ? `\x1b[${n}F\x1b[0J` : '');
// eslint-disable-next-line no-control-regex
const ANSI = /\x1b\[[0-9;?]*[A-Za-z]/g;

/** Visible width of a line without its colour codes. */
export const visibleLength = (text: string): number => text.replace(ANSI, '').length;

const fit = (line: string, columns: number): string => {
  if (visibleLength(line) <= columns) return line;
  const plain = line.replace(ANSI, '');
  return `${plain.slice(0, Math.max(0, columns - 1))}…`;
};

const colourPnl = (n: number, text: string): string => (n > 0 ? pc.green(text) : n < 0 ? pc.red(text) : text);
const pnl = (n: number): string => colourPnl(n, signed(n));

/** Symbols listed one by one in the status; past this many, a summary of them instead (1,000 symbols stay readable). */
export const LISTED_SYMBOLS = 8;

/** How many symbols have bars, and the newest and oldest of their last bars. */
const symbolsSummary = (s: SessionStats): { count: number; newest: number; oldest: number; maxAgeMs: number } => {
  const bars = Object.values(s.lastBars);
  return {
    count: bars.length,
    newest: Math.max(...bars.map((b) => b.openTime)),
    oldest: Math.min(...bars.map((b) => b.openTime)),
    maxAgeMs: Math.max(...bars.map((b) => b.ageMs)),
  };
};
const ms = (n: number): string => (n >= 10 ? n.toFixed(0) : n.toFixed(1));
const price = (n: number): string => (Math.abs(n) >= 1000 ? n.toFixed(2) : n.toPrecision(6));
const minute = (t: number): string => new Date(t).toISOString().slice(0, 16).replace('T', ' ');
const age = (m: number): string => (m < 1000 ? `${m} ms` : m < 120_000 ? `${(m / 1000).toFixed(1)} s` : `${Math.round(m / 60_000)} min`);

const STATE_COLOUR: Record<string, (s: string) => string> = {
  running: pc.green, starting: pc.yellow, stopping: pc.yellow, stopped: pc.dim, failed: pc.red, idle: pc.dim,
};
const CONNECTION_COLOUR: Record<string, (s: string) => string> = {
  connected: pc.green, connecting: pc.yellow, reconnecting: pc.yellow, disconnected: pc.red,
};

/** Persisted rows: accepted by the writer and no longer buffered. */
export const persistedRows = (s: SessionStats): number => s.writer.totalWrites - s.writer.bufferedWrites;

/** Write failures, bars held back, gaps and corrections, as status text (empty when all is well). */
export const durabilityText = (s: SessionStats, plain = false): string => {
  const d = s.durability;
  if (!d) return '';
  const warn = plain ? (t: string) => t : pc.yellow;
  const bad = plain ? (t: string) => t : pc.red;
  const parts: string[] = [];
  if (d.fatal) parts.push(bad(plain ? 'storage=lost' : 'STORAGE LOST'));
  if (d.writeFailing) parts.push(bad(plain ? `write_failing=${(d.failingForMs / 1000).toFixed(0)}s` : `writes failing ${(d.failingForMs / 1000).toFixed(0)} s`));
  if (d.holding) parts.push(bad(plain ? 'taking=no' : 'not taking bars (cap)'));
  if (d.openGaps.length) parts.push(warn(plain ? `gaps=${d.openGaps.length}` : `gaps ${d.openGaps.map((g) => `${g.symbol} ${g.bars}`).join(', ')}`));
  if (d.uncovered.length) parts.push(warn(plain ? `uncovered=${d.uncovered.length}` : `uncovered ranges ${d.uncovered.length}`));
  if (d.corrections) parts.push(plain ? `corrections=${d.corrections}` : pc.dim(`corrections ${d.corrections}`));
  return parts.length === 0 ? '' : plain ? ` ${parts.join(' ')}` : `  ${parts.join('  ')}`;
};

const iso = (t: unknown): string => (typeof t === 'number' ? new Date(t).toISOString() : '?');

/** One log line for a durability fact; undefined for the ones too frequent to print (each correction, each resumed stream). */
export const durabilityLine = (e: { readonly type: string; readonly [field: string]: unknown }): string | undefined => {
  const stream = `${String(e.symbol ?? '')} ${String(e.interval ?? '')}`.trim();
  switch (e.type) {
    case 'gap.opened': return pc.yellow(`durability gap opened ${stream} from ${iso(e.from)} (bars not taken: the writer is at its cap)`);
    case 'gap.closed': return pc.green(`durability gap closed ${stream} ${iso(e.from)} → ${iso(e.to)}: ${String(e.fetched)} bars fetched from REST`);
    case 'range.backfilled': return e.source === 'gap' ? undefined : pc.dim(`durability range backfilled ${stream} ${iso(e.from)} → ${iso(e.to)} (${String(e.bars)} bars)`);
    case 'writes.failing': return pc.red(`durability writes failing: ${String(e.error)}`);
    case 'writes.recovered': return pc.green(`durability writes succeed again after ${((Number(e.failedForMs) || 0) / 1000).toFixed(1)} s`);
    case 'holding': return pc.red(`durability writer at its cap (${String(e.buffered)} rows held): new bars are not taken, streams become gaps`);
    case 'taking': return pc.green(`durability taking bars again (${String(e.buffered)} rows held)`);
    case 'storage.lost': return pc.red(e.invalidated ? `durability the DuckDB database ${String(e.path)} was invalidated: nothing more is written`
      : `durability ${String(e.path)} was ${e.replaced ? 'replaced' : 'deleted'}: nothing more is written`);
    default: return undefined;
  }
};

/** The status block for a terminal: one line per concern, one per symbol. */
export const renderStatus = (s: SessionStats, elapsedMs: number, live = false): string[] => {
  // Real money: impossible to miss on every redraw.
  const state = (live ? `${pc.bgRed(pc.white(pc.bold(' LIVE ')))} ` : '') + (STATE_COLOUR[s.state] ?? pc.white)(`● ${s.state}`);
  const conn = (CONNECTION_COLOUR[s.connection] ?? pc.white)(s.connection);
  const lines = [
    `${state} ${pc.dim(`${(elapsedMs / 1000).toFixed(0)} s`)}  connection ${conn}  bars ${pc.bold(String(s.barsReceived))} ${pc.dim(`(${s.barsPerSecond.toFixed(1)}/s)`)}` +
      (s.provider ? `  reconnects ${s.provider.reconnects}  backfilled ${s.provider.barsBackfilled}` : ''),
    `  storage  persisted ${pc.bold(String(persistedRows(s)))}  buffered ${s.writer.bufferedWrites}  flushes ${s.writer.flushCount}` +
      (s.writer.errorCount ? pc.yellow(`  failed flushes ${s.writer.errorCount}`) : '') +
      (s.writer.overflowCount ? pc.yellow(`  overflow ${s.writer.overflowCount}`) : '') +
      (s.eventsPending ? pc.dim(`  events pending ${s.eventsPending}`) : '') + durabilityText(s),
  ];
  if (s.bus) lines.push(`  ${busStatusText(s.bus)}`);
  const positions = new Map(s.positions.map((p) => [p.symbol, p]));
  const symbols = Object.entries(s.lastBars).sort(([a], [b]) => a.localeCompare(b));
  for (const [symbol, bar] of symbols.slice(0, LISTED_SYMBOLS)) {
    const p = positions.get(symbol);
    const pos = p && p.quantity !== 0 ? `  position ${p.quantity} @ ${price(p.averagePrice)}  unrealized ${pnl(p.unrealizedPnl)}` : '';
    lines.push(`  ${pc.cyan(symbol.padEnd(10))} ${minute(bar.openTime)}  close ${price(bar.close)}  ${pc.dim(`${age(bar.ageMs)} ago`)}${pos}`);
  }
  if (symbols.length > LISTED_SYMBOLS) {
    const sum = symbolsSummary(s);
    const open = s.positions.filter((p) => p.quantity !== 0).length;
    lines.push(pc.dim(`  … and ${symbols.length - LISTED_SYMBOLS} more symbols: last bars ${minute(sum.oldest)} → ${minute(sum.newest)}, oldest ${age(sum.maxAgeMs)} ago; ${open} open positions in all`));
  }
  if (s.account) {
    const a = s.account;
    lines.push(`  account  equity ${a.equity.toFixed(2)} ${a.currency}  cash ${a.cash.toFixed(2)}  P&L ${pnlText(a, colourPnl)}`);
  }
  if (s.strategy) {
    const st = s.strategy;
    lines.push(`  strategy ${st.state}  bars ${st.barsProcessed}${st.barsFailed ? pc.yellow(` (failed ${st.barsFailed})`) : ''}  queued ${st.queued}` +
      `  latency p50 ${ms(st.latencyMs.p50)} ms p99 ${ms(st.latencyMs.p99)} ms  orders ${s.orders.placed} placed ${s.orders.filled} filled` +
      (s.orders.rejected ? pc.yellow(` ${s.orders.rejected} rejected`) : ''));
  }
  if (s.strategy && s.risk) {
    const r = s.risk;
    lines.push(`  risk     ${r.killSwitch === 'tripped' ? pc.bgRed(pc.white(pc.bold(` KILL SWITCH: ${r.killReason ?? 'tripped'} `))) : pc.green('armed')}` +
      `  refused ${r.rejected}  open orders ${r.openOrders}  exposure ${r.exposure.toFixed(2)}  day P&L ${pnl(r.dailyPnl)}` +
      (r.dailyLossLimit !== null ? pc.dim(` (limit -${r.dailyLossLimit.toFixed(2)})`) : ''));
  }
  return lines;
};

/** The status as one plain line, for logs. */
export const statusLine = (s: SessionStats, elapsedMs: number, live = false): string => {
  const parts = [
    `[${(elapsedMs / 1000).toFixed(1).padStart(5)}s] status`, ...(live ? [pc.red('LIVE')] : []), s.state, `connection=${s.connection}`,
    `bars=${s.barsReceived}`, `bars_per_s=${s.barsPerSecond.toFixed(1)}`,
    `persisted=${persistedRows(s)}`, `buffered=${s.writer.bufferedWrites}`,
  ];
  if (s.provider) parts.push(`reconnects=${s.provider.reconnects}`, `backfilled=${s.provider.barsBackfilled}`);
  if (s.bus) parts.push(busStatusText(s.bus));
  const durability = durabilityText(s, true).trim();
  if (durability) parts.push(durability);
  const entries = Object.entries(s.lastBars);
  if (entries.length > LISTED_SYMBOLS) {
    // A log line per few seconds must stay one readable line at 1,000 symbols: counts and extremes only.
    const sum = symbolsSummary(s);
    parts.push(`symbols=${sum.count}`, `last_bars=${minute(sum.oldest).slice(11)}..${minute(sum.newest).slice(11)}`, `oldest_bar_age=${age(sum.maxAgeMs).replace(' ', '')}`);
  } else if (entries.length) {
    parts.push(`last=${entries.map(([sym, b]) => `${sym}@${minute(b.openTime).slice(11)}=${price(b.close)}`).join(',')}`);
  }
  const open = s.positions.filter((p) => p.quantity !== 0);
  if (open.length > LISTED_SYMBOLS) parts.push(`positions=${open.length}`);
  else if (open.length) parts.push(`positions=${open.map((p) => `${p.symbol}:${p.quantity}`).join(',')}`);
  if (s.account) parts.push(`equity=${s.account.equity.toFixed(2)}`, `pnl_net_of_fees=${signed(netPnl(s.account))}`);
  if (s.strategy) parts.push(`orders=${s.orders.placed}`, `fills=${s.orders.filled}`);
  if (s.strategy && s.risk) parts.push(`risk=${s.risk.killSwitch}`, `refused=${s.risk.rejected}`);
  return parts.join(' ');
};

/** Options of {@link LiveStatus}. */
export interface LiveStatusOptions {
  /** Redraw period on a terminal (default 250 ms). */
  readonly redrawMs?: number;
  /** Period of the plain status line elsewhere (default 5 s). */
  readonly plainEveryMs?: number;
  /** Trading real money: the status says LIVE, in red. */
  readonly live?: boolean;
}

/** Draws the status of a session and prints event lines around it. */
export class LiveStatus {
  readonly #out: Output;
  readonly #stats: () => SessionStats;
  readonly #t0 = Date.now();
  readonly #redrawMs: number;
  readonly #plainEveryMs: number;
  readonly #live: boolean;
  #drawn = 0;
  #timer: NodeJS.Timeout | undefined;

  constructor(out: Output, stats: () => SessionStats, options: LiveStatusOptions = {}) {
    this.#out = out;
    this.#stats = stats;
    this.#redrawMs = options.redrawMs ?? 250;
    this.#plainEveryMs = options.plainEveryMs ?? 5_000;
    this.#live = options.live ?? false;
  }

  /** Seconds since the status started, for event line prefixes. */
  elapsed(): string {
    return `[${((Date.now() - this.#t0) / 1000).toFixed(1).padStart(5)}s]`;
  }

  /** Starts the periodic redraw (or plain line). */
  start(): void {
    if (this.#timer) return;
    const tick = () => (this.#out.isTTY ? this.#draw() : this.#out.line(statusLine(this.#stats(), Date.now() - this.#t0, this.#live)));
    this.#timer = setInterval(tick, this.#out.isTTY ? this.#redrawMs : this.#plainEveryMs);
    this.#timer.unref();
    if (this.#out.isTTY) this.#draw();
  }

  /** Prints an event line (above the status block on a terminal). */
  log(line: string): void {
    const text = `${pc.dim(this.elapsed())} ${line}`;
    if (!this.#out.isTTY || !this.#timer) {
      this.#out.line(text);
      return;
    }
    this.#out.raw(up(this.#drawn));
    this.#drawn = 0;
    this.#out.line(fit(text, this.#out.columns()));
    this.#draw();
  }

  /** Stops redrawing; on a terminal the last status stays on screen, elsewhere a final status line is printed. */
  stop(): void {
    if (!this.#timer) return;
    clearInterval(this.#timer);
    this.#timer = undefined;
    if (this.#out.isTTY) this.#draw();
    else this.#out.line(statusLine(this.#stats(), Date.now() - this.#t0, this.#live));
    this.#drawn = 0;
  }

  #draw(): void {
    const columns = this.#out.columns();
    const lines = renderStatus(this.#stats(), Date.now() - this.#t0, this.#live).map((l) => fit(l, columns));
    this.#out.raw(`${up(this.#drawn)}${lines.join('\n')}\n`);
    this.#drawn = lines.length;
  }
}
