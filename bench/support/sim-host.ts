/**
 * The Binance simulator in its own process, driven over IPC by a benchmark (`forkSimulator()` in sim-control.ts).
 * The simulator is the project's own (`startBinanceSimulator`, paused); this host only decides when the market
 * steps:
 *
 * - `credit`: as fast as the client drains. The host steps while fewer than `window` data frames are unacknowledged
 *   (the client reports how many it has received), so nothing piles up without bound on either side.
 * - `rate`: a steady number of steps per second, spread evenly (catch-up pacing on a 1 ms timer).
 *
 * With `cork`, the frames one step sends to a connection leave in one write instead of one `writev` per frame: the
 * stock write path spends ~70% of the simulator's time in that syscall and caps it below what a bare client drains
 * (docs/benchmarks.md). The bytes on the wire are the same.
 */
import WebSocket from 'ws';
import { startBinanceSimulator, type BinanceSimulator } from '../../src/sim/binance/simulator.ts';
import type { BinanceSimulatorOptions } from '../../src/sim/binance/options.ts';

/** Commands from the benchmark. */
export type SimCommand =
  | { readonly type: 'start'; readonly options: Partial<BinanceSimulatorOptions>; readonly cork: boolean }
  | { readonly type: 'credit'; readonly window: number; readonly seconds: number; readonly maxSteps?: number }
  | { readonly type: 'ack'; readonly received: number }
  | { readonly type: 'rate'; readonly stepsPerSecond: number; readonly seconds: number }
  | { readonly type: 'halt' }
  | { readonly type: 'advance'; readonly steps: number }
  /** Drops every connection, then advances `advance` steps at once (bars the client misses). */
  | { readonly type: 'drop'; readonly advance?: number }
  | { readonly type: 'stats' }
  | { readonly type: 'close' };

/** Replies and reports to the benchmark. */
export type SimReply =
  | { readonly type: 'started'; readonly wsUrl: string; readonly restUrl: string; readonly symbols: readonly string[] }
  | { readonly type: 'done'; readonly steps: number; readonly framesSent: number; readonly busyMs: number; readonly wallMs: number; readonly stalledMs: number; readonly cpuMs: number }
  | { readonly type: 'advanced'; readonly framesSent: number; readonly now: number }
  | { readonly type: 'dropped'; readonly count: number; readonly at: number }
  | { readonly type: 'stats'; readonly stats: ReturnType<BinanceSimulator['stats']>; readonly now: number; readonly connections: number }
  | { readonly type: 'halted' }
  | { readonly type: 'closed' };

const send = (reply: SimReply): void => void process.send!(reply);
/** Wall time with sub-millisecond resolution, comparable across processes of one machine. */
const wallNow = (): number => performance.timeOrigin + performance.now();

/** Coalesces every frame written to a socket within one tick into one write. */
const corkSends = (): void => {
  const corked = new Set<{ cork(): void; uncork(): void }>();
  const original = WebSocket.prototype.send;
  WebSocket.prototype.send = function send(this: WebSocket, ...args: Parameters<WebSocket['send']>) {
    const socket = (this as unknown as { _socket?: { cork(): void; uncork(): void } })._socket;
    if (socket && !corked.has(socket)) {
      corked.add(socket);
      socket.cork();
      process.nextTick(() => {
        corked.delete(socket);
        socket.uncork();
      });
    }
    return original.apply(this, args);
  } as WebSocket['send'];
};

let sim: BinanceSimulator | undefined;
let acked = 0;
let run: { stop: () => void; wake?: () => void } | undefined;

const cpuMs = (since: NodeJS.CpuUsage): number => {
  const d = process.cpuUsage(since);
  return (d.user + d.system) / 1000;
};

const framesSent = (): number => sim!.stats().dataFramesSent;

/** Steps while the client keeps up, for `seconds`, then reports. */
const credit = (window: number, seconds: number, maxSteps = Infinity): void => {
  const started = performance.now();
  const cpu = process.cpuUsage();
  let steps = 0;
  let busy = 0;
  let stalled = 0;
  let stalledSince: number | undefined;
  let stopped = false;
  const finish = (): void => {
    stopped = true;
    run = undefined;
    send({ type: 'done', steps, framesSent: framesSent(), busyMs: busy, wallMs: performance.now() - started, stalledMs: stalled, cpuMs: cpuMs(cpu) });
  };
  const pump = (): void => {
    if (stopped) return;
    const t0 = performance.now();
    if (stalledSince !== undefined) {
      stalled += t0 - stalledSince;
      stalledSince = undefined;
    }
    if (t0 - started >= seconds * 1000 || steps >= maxSteps) return finish();
    // Work in slices of a few ms so that acks (IPC) and socket writes get their turn.
    while (framesSent() - acked < window && performance.now() - t0 < 5 && steps < maxSteps) {
      sim!.advance(1);
      steps++;
    }
    busy += performance.now() - t0;
    if (framesSent() - acked < window) setImmediate(pump);
    else stalledSince = performance.now(); // the next ack wakes the pump
  };
  run = { stop: finish, wake: () => { if (stalledSince !== undefined) pump(); } };
  pump();
};

/** Steps at a steady rate for `seconds` (0: until halted), then reports. */
const rate = (stepsPerSecond: number, seconds: number): void => {
  const started = performance.now();
  const cpu = process.cpuUsage();
  let steps = 0;
  let busy = 0;
  let timer: NodeJS.Timeout | undefined;
  const finish = (): void => {
    clearTimeout(timer);
    run = undefined;
    send({ type: 'done', steps, framesSent: framesSent(), busyMs: busy, wallMs: performance.now() - started, stalledMs: 0, cpuMs: cpuMs(cpu) });
  };
  const tick = (): void => {
    const t0 = performance.now();
    const elapsed = t0 - started;
    if (seconds > 0 && elapsed >= seconds * 1000) return finish();
    const due = Math.floor((elapsed / 1000) * stepsPerSecond) + 1;
    while (steps < due) {
      sim!.advance(1);
      steps++;
    }
    busy += performance.now() - t0;
    const next = started + (steps / stepsPerSecond) * 1000;
    timer = setTimeout(tick, Math.max(0, next - performance.now()));
  };
  run = { stop: finish };
  tick();
};

process.on('message', async (command: SimCommand) => {
  switch (command.type) {
    case 'start':
      if (command.cork) corkSends();
      sim = await startBinanceSimulator({ ...command.options, paused: true });
      send({ type: 'started', wsUrl: sim.wsUrl, restUrl: sim.restUrl, symbols: sim.symbols });
      return;
    case 'credit':
      credit(command.window, command.seconds, command.maxSteps);
      return;
    case 'ack':
      acked = Math.max(acked, command.received);
      run?.wake?.();
      return;
    case 'rate':
      rate(command.stepsPerSecond, command.seconds);
      return;
    case 'halt':
      run?.stop(); // the run's own 'done' settles its promise
      send({ type: 'halted' });
      return;
    case 'advance':
      sim!.advance(command.steps);
      send({ type: 'advanced', framesSent: framesSent(), now: sim!.now() });
      return;
    case 'drop': {
      const at = wallNow();
      const count = sim!.dropConnections();
      if (command.advance) sim!.advance(command.advance);
      send({ type: 'dropped', count, at });
      return;
    }
    case 'stats':
      send({ type: 'stats', stats: sim!.stats(), now: sim!.now(), connections: sim!.connections().filter((c) => !c.closed).length });
      return;
    case 'close':
      run?.stop();
      await sim?.close();
      send({ type: 'closed' });
      process.disconnect();
  }
});
process.on('disconnect', () => process.exit(0));
