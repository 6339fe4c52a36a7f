/**
 * Parent side of sim-host.ts: forks the simulator into its own process and exposes its commands as promises.
 */
import { fork, type ChildProcess } from 'node:child_process';
import type { BinanceSimulatorOptions } from '../../src/sim/binance/options.ts';
import type { SimCommand, SimReply } from './sim-host.ts';

type Reply<T extends SimReply['type']> = Extract<SimReply, { type: T }>;

/** A simulator process. */
export interface SimProcess {
  readonly wsUrl: string;
  readonly restUrl: string;
  readonly symbols: readonly string[];
  readonly pid: number;
  /** Steps as fast as acknowledged frames allow, for `seconds`; resolves when it stopped stepping. */
  credit(window: number, seconds: number, maxSteps?: number): Promise<Reply<'done'>>;
  /** Reports frames received by the client (cumulative). */
  ack(received: number): void;
  /** Steps at a steady rate; resolves after `seconds` (or when halted). */
  rate(stepsPerSecond: number, seconds: number): Promise<Reply<'done'>>;
  /** Stops a credit or rate run early (its own promise then resolves). */
  halt(): Promise<Reply<'halted'>>;
  advance(steps: number): Promise<Reply<'advanced'>>;
  /** Drops every connection (the client sees 1006), then advances `advance` steps that nobody receives. */
  drop(advance?: number): Promise<Reply<'dropped'>>;
  stats(): Promise<Reply<'stats'>>;
  close(): Promise<void>;
}

/** Forks sim-host.ts and starts a paused simulator in it. */
export const forkSimulator = async (options: Partial<BinanceSimulatorOptions>, { cork = true } = {}): Promise<SimProcess> => {
  const child: ChildProcess = fork(new URL('./sim-host.ts', import.meta.url), [], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  const waiters = new Map<string, ((reply: SimReply) => void)[]>();
  child.on('message', (reply: SimReply) => {
    const list = waiters.get(reply.type);
    const next = list?.shift();
    next?.(reply);
  });
  const exited = new Promise<never>((_, reject) => child.once('exit', (code) => reject(new Error(`simulator process exited (${code})`))));
  exited.catch(() => undefined);
  const request = <T extends SimReply['type']>(command: SimCommand, type: T): Promise<Reply<T>> => {
    const reply = new Promise<Reply<T>>((resolve) => {
      const list = waiters.get(type) ?? [];
      list.push(resolve as (r: SimReply) => void);
      waiters.set(type, list);
    });
    child.send(command);
    return Promise.race([reply, exited]);
  };
  const started = await request({ type: 'start', options, cork }, 'started');
  return {
    wsUrl: started.wsUrl,
    restUrl: started.restUrl,
    symbols: started.symbols,
    pid: child.pid!,
    credit: (window, seconds, maxSteps) => request({ type: 'credit', window, seconds, ...(maxSteps ? { maxSteps } : {}) }, 'done'),
    ack: (received) => { if (child.connected) child.send({ type: 'ack', received } satisfies SimCommand); },
    rate: (stepsPerSecond, seconds) => request({ type: 'rate', stepsPerSecond, seconds }, 'done'),
    halt: () => request({ type: 'halt' }, 'halted'),
    advance: (steps) => request({ type: 'advance', steps }, 'advanced'),
    drop: (advance) => request({ type: 'drop', ...(advance ? { advance } : {}) }, 'dropped'),
    stats: () => request({ type: 'stats' }, 'stats'),
    close: async () => {
      if (!child.connected) return;
      await Promise.race([request({ type: 'close' }, 'closed'), new Promise((r) => setTimeout(r, 3_000))]).catch(() => undefined);
      if (child.exitCode === null) child.kill();
    },
  };
};

/** Kline stream names of `symbols` at `interval`, as Binance spells them. */
export const streamNames = (symbols: readonly string[], interval: string): string[] =>
  symbols.map((s) => `${s.toLowerCase()}@kline_${interval}`);
