/**
 * The peers section of `npm run bench` (bench/run.ts): runs bench/peers.bench.ts for every client at each symbol
 * count, `runs` times in interleaved rounds, and reduces each (client, symbols) to the median of every figure. The
 * summary rows are the issue's targets as ratios against the `binance` SDK and ccxt measured in the same run; when
 * bench/peers is not installed those rows say so instead of a figure.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { PEER_CLIENTS, peerVersion, type PeerClient, type PeerResult } from '../peers.bench.ts';
import { runChild } from './common.ts';
import type { Row } from './report.ts';

/** A summary row, as bench/run.ts prints it. */
export type PeerRow = Row;

// A figure that did not come back as a number (NaN and Infinity cross IPC as null) prints as a dash.
const ok = (n: number | null | undefined): n is number => typeof n === 'number' && Number.isFinite(n);
const int = (n: number): string => (ok(n) ? Math.round(n).toLocaleString('en-US') : '—');
const x = (n: number): string => (ok(n) ? `${n.toFixed(2)}×` : '—');
const fix2 = (n: number): string => (ok(n) ? n.toFixed(2) : '—');
const median = (xs: readonly number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length === 0 ? Number.NaN : s.length % 2 ? s[s.length >> 1]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
};
const load = (): string => os.loadavg().map((l) => l.toFixed(2)).join(' / ');

/** Median figures of one (client, symbols) over its runs. */
export interface PeerMedian {
  readonly client: PeerClient;
  readonly symbols: number;
  readonly skipped?: string;
  readonly version?: string;
  readonly rate: number;
  readonly cpuUsPerMsg: number;
  readonly peakRssMb: number;
  readonly readyRssMb: number;
  readonly simCpu: number;
  readonly messages: number;
  readonly runs: number;
  readonly pinned: boolean;
  /** Every run's exactness check held (record, session). */
  readonly exact?: boolean;
  readonly rates: readonly number[];
}

const reduce = (results: readonly PeerResult[]): PeerMedian => {
  const r0 = results[0]!;
  const m = (k: 'rate' | 'cpuUsPerMsg' | 'peakRssMb' | 'readyRssMb' | 'simCpu'): number => median(results.map((r) => (ok(r[k]) ? r[k] : Number.NaN)));
  const checks = results.map((r) => r.check).filter((c) => c !== undefined);
  return {
    client: r0.client, symbols: r0.symbols, ...(r0.skipped ? { skipped: r0.skipped } : {}), ...(r0.version ? { version: r0.version } : {}),
    rate: m('rate'), cpuUsPerMsg: m('cpuUsPerMsg'), peakRssMb: m('peakRssMb'), readyRssMb: m('readyRssMb'), simCpu: m('simCpu'),
    messages: r0.messages, runs: results.length, pinned: results.every((r) => r.pinned),
    ...(checks.length ? { exact: checks.every((c) => c.mismatched === 0 && c.missing === 0 && c.rows === c.expected && c.expected > 0) } : {}),
    rates: results.map((r) => r.rate),
  };
};

/** Runs every client at every symbol count and builds the summary rows and the doc section. */
export const peersSection = async (o: {
  symbols: readonly number[]; messages: number; runs: number; script: string; stamp: (command: string, before: string) => string;
  /** Results of an earlier run (the JSON file this section writes): rendered again without running. */
  from?: string;
  log: (text: string) => void; table: (header: readonly string[], rows: readonly (readonly string[])[]) => string;
}): Promise<{ rows: PeerRow[]; markdown: string }> => {
  const before = load();
  const all = new Map<string, PeerResult[]>();
  // Every result is kept in a file as soon as it arrives, so a failure later loses no run (`--peer-results <file>`).
  const saved = o.from ?? path.join(os.tmpdir(), `argo-bench-peers-${new Date().toISOString().replace(/[:.]/g, '-')}.json`);
  if (o.from) {
    for (const [k, v] of Object.entries(JSON.parse(fs.readFileSync(o.from, 'utf8')) as Record<string, PeerResult[]>)) all.set(k, v);
  } else o.log(`peers: results go to ${saved}`);
  for (let round = 0; round < (o.from ? 0 : o.runs); round++) {
    for (const symbols of o.symbols) {
      for (const client of PEER_CLIENTS) {
        o.log(`peers: round ${round + 1}/${o.runs}, ${symbols} symbols, ${client}`);
        const r = await runChild<PeerResult>(o.script, ['--client', client, '--symbols', String(symbols), '--messages', String(o.messages)]);
        const key = `${client}/${symbols}`;
        all.set(key, [...(all.get(key) ?? []), r]);
        fs.writeFileSync(saved, JSON.stringify(Object.fromEntries(all)));
        if (!r.skipped) o.log(`peers: ${int(r.rate)} msg/s, ${fix2(r.cpuUsPerMsg)} µs/msg, peak RSS ${int(r.peakRssMb)} MB, ${int(r.messages)} messages${r.check ? `, check ${JSON.stringify(r.check)}` : ''}`);
        if (r.skipped && round === 0) o.log(`peers: ${r.skipped}`);
      }
    }
  }
  const med = (client: PeerClient, symbols: number): PeerMedian | undefined => {
    const rs = all.get(`${client}/${symbols}`);
    return rs ? reduce(rs) : undefined;
  };
  const rows: PeerRow[] = [];
  const ratioRow = (who: 'record' | 'session', vs: 'binance' | 'ccxt', symbols: number, want: number): void => {
    const a = med(who, symbols);
    const b = med(vs, symbols);
    const name = `7. peers, ${int(symbols)} symbols: argo ${who} durable msg/s vs ${vs === 'binance' ? '`binance` SDK' : 'ccxt'} (no persistence)`;
    if (!a || !b) return;
    if (b.skipped) {
      rows.push({ benchmark: name, figure: int(a.rate), baseline: 'not installed', ratio: '—', target: `≥ ${want.toFixed(1)}×`, result: 'info' });
      return;
    }
    const ratio = a.rate / b.rate;
    rows.push({ benchmark: name, figure: int(a.rate), baseline: int(b.rate), ratio: x(ratio), target: `≥ ${want.toFixed(1)}×`,
      result: ok(ratio) && ratio >= want && a.exact === true ? 'pass' : 'FAIL' });
  };
  for (const s of o.symbols) {
    ratioRow('record', 'binance', s, 1);
    ratioRow('session', 'binance', s, 1);
  }
  const big = Math.max(...o.symbols);
  ratioRow('record', 'ccxt', big, 3);
  for (const who of ['record', 'session'] as const) {
    const a = med(who, big);
    const floor = med('floor', big);
    if (!a || !floor) continue;
    rows.push({ benchmark: `7. peers, ${int(big)} symbols: argo ${who} CPU µs/msg`, figure: fix2(a.cpuUsPerMsg), baseline: `${fix2(floor.cpuUsPerMsg)} (floor)`,
      ratio: x(a.cpuUsPerMsg / floor.cpuUsPerMsg), target: '≤ 4.5 µs/msg', result: a.cpuUsPerMsg <= 4.5 ? 'pass' : 'FAIL' });
    const cap = who === 'record' ? 150 : 180;
    rows.push({ benchmark: `7. peers, ${int(big)} symbols: argo ${who} peak RSS MB`, figure: int(a.peakRssMb), baseline: `${int(floor.peakRssMb)} (floor)`,
      ratio: x(a.peakRssMb / floor.peakRssMb), target: `≤ ${cap} MB`, result: a.peakRssMb <= cap ? 'pass' : 'FAIL' });
  }
  const label: Record<PeerClient, string> = {
    floor: 'bare `ws` + `JSON.parse` (floor)',
    binance: `\`binance\` SDK ${peerVersion('binance') ?? '(not installed)'}, no persistence`,
    ccxt: `ccxt ${peerVersion('ccxt') ?? '(not installed)'} watchOHLCVForSymbols, no persistence`,
    record: 'argo record, durable', session: 'argo session, durable',
  };
  const cell = (m: PeerMedian | undefined, f: (m: PeerMedian) => string): string => (!m ? '—' : m.skipped ? 'not installed' : f(m));
  const main = o.table(
    ['client', ...o.symbols.map((s) => `${int(s)} symbols msg/s`), `CPU µs/msg (${int(big)})`, `peak RSS MB (${int(big)})`, `RSS ready MB (${int(big)})`, 'closed candles exact'],
    PEER_CLIENTS.map((c) => [
      label[c], ...o.symbols.map((s) => cell(med(c, s), (m) => int(m.rate))),
      cell(med(c, big), (m) => fix2(m.cpuUsPerMsg)), cell(med(c, big), (m) => int(m.peakRssMb)), cell(med(c, big), (m) => int(m.readyRssMb)),
      c === 'record' || c === 'session' ? o.symbols.map((s) => (med(c, s)?.exact ? 'yes' : '**no**')).join(' / ') : '—',
    ]),
  );
  const runsTable = o.table(
    ['client', 'symbols', 'msg/s of each run', 'simulator CPU (median)'],
    [...all.values()].map(reduce).filter((m) => !m.skipped).map((m) => [m.client, int(m.symbols), m.rates.map(int).join(', '), `${(m.simCpu * 100).toFixed(0)}%`]),
  );
  const pinned = [...all.values()].flat().every((r) => r.skipped || r.pinned);
  const markdown = [
    '## 7. Peers', '',
    o.stamp(`npm run bench -- --only peers --peer-messages ${o.messages} --peer-runs ${o.runs}`, before), '',
    `The same independent Binance firehose for every client: the project's simulator in its own process (bench/support/sim-host.ts, ` +
    `credit flow: it steps while fewer than 20,000 frames are unacknowledged) serving the kline streams of N symbols, 1m candles with ` +
    `an update per 2 s of market time (30 updates and one closed frame per candle), ${int(o.messages)} messages per run. ` +
    `${pinned ? 'Simulator pinned to CPU 0 and client (all its threads) to CPU 1 with `taskset -a`.' : 'Not pinned (`taskset` missing).'} ` +
    `Figures are the median of ${o.runs} runs in interleaved rounds. msg/s: from the first message to the last one handled (argo: to the ` +
    'last bar durable, `session.flush()`); CPU: `process.cpuUsage()` of the client process (every thread: DuckDB, the strategy worker) ' +
    'per message; peak RSS: `process.resourceUsage().maxRSS`; "RSS ready": after connecting and subscribing, before the first message. ' +
    'Clients (bench/peers.bench.ts): the floor is a bare `ws` client; the `binance` SDK\'s `WebsocketClient` with `wsUrl` pointed at the ' +
    'simulator, counting its `message` events; ccxt pro `watchOHLCVForSymbols` in a loop with its REST and WebSocket URLs pointed at the ' +
    'simulator, counting the messages its `handleMessage` handled; argo record is the session `argo-realtime record` builds ' +
    '(`recordConfig`, writer defaults); argo session adds the no-op strategy in its worker and the paper broker. After each argo run every ' +
    'closed candle in the file is compared field by field with the simulator\'s own `/api/v3/klines` ("exact": none differs, none missing). ' +
    'The peers are optional (`npm run bench:peers:install` installs bench/peers/; without it their rows say "not installed").', '',
    main, '', runsTable,
  ].join('\n');
  return { rows, markdown };
};
