/**
 * The session's four children as callback actors: thin adapters that turn the session machine's commands into
 * calls on the real components (provider, writer, strategy runner, trading provider) and their outcomes back into
 * events. All I/O of a session happens here; the session machine stays pure.
 */
import { fromCallback } from 'xstate';
import type { MarketDataCommand, SessionEvent, SessionFailure, StrategyCommand, TradingCommand, WriterCommand } from '../../machines/session.machine.ts';
import type { Bar } from '../domain/bar.ts';
import { isRealtimeError, realtimeError, type ErrorCode, type RealtimeError } from '../errors.ts';
import { redact } from '../secrets.ts';

const DEFAULT_CODE: Record<SessionFailure['source'], ErrorCode> = {
  marketData: 'CONNECTION_FAILED', writer: 'WRITE_FAILED', strategy: 'STRATEGY_FAILED', trading: 'CONNECTION_FAILED', session: 'CONNECTION_FAILED',
};

/** Turns anything thrown into the plain failure the session machine logs. */
export const failureOf = (source: SessionFailure['source'], e: unknown): SessionFailure => ({
  source,
  // A strategy whose config fails its own schema is a configuration error, not a strategy crash.
  code: isRealtimeError(e) ? e.code : (e as { name?: string; stage?: string }).stage === 'config' ? 'CONFIG_INVALID' : DEFAULT_CODE[source],
  message: redact(e instanceof Error ? e.message : String(e)),
});

type Send = (event: SessionEvent) => void;

/** What each child does; the session supplies these as closures over its components. */
export interface ChildOps {
  readonly marketData: { start(): Promise<void>; stop(): Promise<void>; listen(onBar: (bar: Bar) => void, onFatal: (e: RealtimeError) => void): () => void };
  readonly writer: { open(): Promise<void>; write(bar: Bar): void; close(): Promise<void>; onFatal?(fn: (e: RealtimeError) => void): void };
  readonly strategy: { load(): Promise<void>; bar(bar: Bar): void; stop(): Promise<void>; onHalt(fn: (f: SessionFailure) => void): void };
  readonly trading: { connect(): Promise<void>; bar(bar: Bar): void; disconnect(): Promise<void> };
}

/** Runs an async step and reports done or failed. */
const step = (send: Send, run: () => Promise<void>, done: SessionEvent, source: SessionFailure['source'], failedType: 'writer.failed' | 'strategy.failed' | 'trading.failed' | 'marketData.failed') => {
  run().then(() => send(done), (e: unknown) => send({ type: failedType, failure: failureOf(source, e) }));
};

/** Child actor logics for `sessionMachine.provide({ actors })`. */
export const sessionChildren = (ops: ChildOps) => ({
  marketData: fromCallback<MarketDataCommand>(({ sendBack, receive }) => {
    const send = sendBack as Send;
    const unlisten = ops.marketData.listen(
      (bar) => send({ type: 'bar.closed', bar }),
      (e) => send({ type: 'marketData.failed', failure: failureOf('marketData', e) }),
    );
    receive((cmd) => {
      if (cmd.type === 'marketData.start') step(send, () => ops.marketData.start(), { type: 'marketData.started' }, 'marketData', 'marketData.failed');
      else step(send, () => ops.marketData.stop(), { type: 'marketData.stopped' }, 'marketData', 'marketData.failed');
    });
    return unlisten;
  }),
  writer: fromCallback<WriterCommand>(({ sendBack, receive }) => {
    const send = sendBack as Send;
    // Storage lost under the running session (file deleted or replaced): fail it at once, not at the next bar.
    ops.writer.onFatal?.((e) => send({ type: 'writer.failed', failure: failureOf('writer', e) }));
    receive((cmd) => {
      if (cmd.type === 'writer.write') {
        try {
          ops.writer.write(cmd.bar);
        } catch (e) {
          send({ type: 'writer.failed', failure: failureOf('writer', e) });
        }
      } else if (cmd.type === 'writer.open') step(send, () => ops.writer.open(), { type: 'writer.opened' }, 'writer', 'writer.failed');
      else step(send, () => ops.writer.close(), { type: 'writer.closed' }, 'writer', 'writer.failed');
    });
  }),
  strategy: fromCallback<StrategyCommand>(({ sendBack, receive }) => {
    const send = sendBack as Send;
    ops.strategy.onHalt((failure) => send({ type: 'strategy.halted', failure }));
    receive((cmd) => {
      if (cmd.type === 'strategy.bar') ops.strategy.bar(cmd.bar);
      else if (cmd.type === 'strategy.load') step(send, () => ops.strategy.load(), { type: 'strategy.loaded' }, 'strategy', 'strategy.failed');
      else step(send, () => ops.strategy.stop(), { type: 'strategy.stopped' }, 'strategy', 'strategy.failed');
    });
  }),
  trading: fromCallback<TradingCommand>(({ sendBack, receive }) => {
    const send = sendBack as Send;
    receive((cmd) => {
      if (cmd.type === 'trading.bar') ops.trading.bar(cmd.bar);
      else if (cmd.type === 'trading.connect') step(send, () => ops.trading.connect(), { type: 'trading.connected' }, 'trading', 'trading.failed');
      else step(send, () => ops.trading.disconnect(), { type: 'trading.disconnected' }, 'trading', 'trading.failed');
    });
  }),
});

/** The error for a component used before the session created it. */
export const notReady = (what: string): RealtimeError => realtimeError('NOT_READY', `${what} is not ready`);
