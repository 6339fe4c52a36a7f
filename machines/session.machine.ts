/**
 * The realtime trading session: orchestrates four long-lived children (systemIds `marketData`, `writer`,
 * `strategy`, `trading`) through commands and their replies. Start opens the writer, loads the strategy, connects
 * the trading provider, then connects and subscribes the market data; stop reverses it (market data first, so no
 * bar is lost, then the strategy finishes the bar in hand, trading disconnects, the writer flushes and closes).
 * Every closed bar goes to the writer, the trading provider (the paper broker fills on bars) and the strategy.
 * A failure anywhere during start or run stops the session the same orderly way and ends in `failed`.
 *
 * Pure: the children are referenced by name and provided by the live session (`src/session/`); every step has a
 * timeout so that a stuck child can never hang a stop.
 */
import { assign, emit, enqueueActions, fromCallback, sendTo, setup } from 'xstate';
import type { Bar } from '../src/domain/bar.ts';
import type { ErrorCode } from '../src/errors.ts';

/** A failure as plain data (logged in the event log, so no Error objects). */
export interface SessionFailure {
  readonly code: ErrorCode;
  readonly message: string;
  readonly source: 'marketData' | 'writer' | 'strategy' | 'trading' | 'session';
}

export interface SessionInput {
  readonly hasStrategy: boolean;
  readonly hasTrading: boolean;
  /** Longest wait for one start or stop step. */
  readonly stepTimeoutMs: number;
}

export interface SessionContext {
  readonly hasStrategy: boolean;
  readonly hasTrading: boolean;
  readonly stepTimeoutMs: number;
  readonly failure: SessionFailure | null;
  readonly barsReceived: number;
  /** Started steps, so that stop only undoes what was done. */
  readonly started: { readonly writer: boolean; readonly strategy: boolean; readonly trading: boolean; readonly marketData: boolean };
}

type Failed = { failure: SessionFailure };

/** Events: user commands, child replies, and bars. */
export type SessionEvent =
  | { type: 'session.start' }
  | { type: 'session.stop'; reason?: string }
  | { type: 'writer.opened' } | { type: 'writer.closed' } | ({ type: 'writer.failed' } & Failed)
  | { type: 'strategy.loaded' } | { type: 'strategy.stopped' } | ({ type: 'strategy.failed' } & Failed) | ({ type: 'strategy.halted' } & Failed)
  | { type: 'trading.connected' } | { type: 'trading.disconnected' } | ({ type: 'trading.failed' } & Failed)
  | { type: 'marketData.started' } | { type: 'marketData.stopped' } | ({ type: 'marketData.failed' } & Failed)
  | { type: 'bar.closed'; bar: Bar };

/** Commands the session sends to its children. */
export type WriterCommand = { type: 'writer.open' } | { type: 'writer.write'; bar: Bar } | { type: 'writer.close' };
export type StrategyCommand = { type: 'strategy.load' } | { type: 'strategy.bar'; bar: Bar } | { type: 'strategy.stop' };
export type TradingCommand = { type: 'trading.connect' } | { type: 'trading.bar'; bar: Bar } | { type: 'trading.disconnect' };
export type MarketDataCommand = { type: 'marketData.start' } | { type: 'marketData.stop' };

/** Facts for listeners. */
export type SessionEmitted =
  | { type: 'session.state'; state: 'starting' | 'running' | 'stopping' | 'stopped' | 'failed'; failure: SessionFailure | null }
  | { type: 'session.ignored'; event: string; state: string };

const timeoutFailure = (source: SessionFailure['source'], step: string): SessionFailure => ({ code: 'TIMEOUT', source, message: `${step} did not answer in time` });

/** The session machine; provide the four children (`marketData`, `writer`, `strategy`, `trading`). */
export const sessionMachine = setup({
  types: {
    context: {} as SessionContext,
    events: {} as SessionEvent,
    input: {} as SessionInput,
    emitted: {} as SessionEmitted,
  },
  // Inert defaults: the live session provides the real children with `provide({ actors })`.
  actors: {
    marketData: fromCallback<MarketDataCommand>(() => {}),
    writer: fromCallback<WriterCommand>(() => {}),
    strategy: fromCallback<StrategyCommand>(() => {}),
    trading: fromCallback<TradingCommand>(() => {}),
  },
  actions: {
    // The first failure is the reason the session stops; later ones (often consequences) do not replace it.
    failWith: assign(({ context, event }) => ('failure' in event && context.failure === null ? { failure: event.failure } : {})),
    countBar: assign(({ context }) => ({ barsReceived: context.barsReceived + 1 })),
    toWriter: sendTo('writer', ({ event }) => ({ type: 'writer.write' as const, bar: (event as Extract<SessionEvent, { type: 'bar.closed' }>).bar })),
    toTrading: sendTo('trading', ({ event }) => ({ type: 'trading.bar' as const, bar: (event as Extract<SessionEvent, { type: 'bar.closed' }>).bar })),
    toStrategy: sendTo('strategy', ({ event }) => ({ type: 'strategy.bar' as const, bar: (event as Extract<SessionEvent, { type: 'bar.closed' }>).bar })),
  },
  guards: {
    failed: ({ context }) => context.failure !== null,
  },
  delays: {
    step: ({ context }) => context.stepTimeoutMs,
  },
}).createMachine({
  id: 'session',
  context: ({ input }) => ({
    hasStrategy: input.hasStrategy,
    hasTrading: input.hasTrading,
    stepTimeoutMs: input.stepTimeoutMs,
    failure: null,
    barsReceived: 0,
    started: { writer: false, strategy: false, trading: false, marketData: false },
  }),
  invoke: [
    { id: 'marketData', systemId: 'marketData', src: 'marketData' },
    { id: 'writer', systemId: 'writer', src: 'writer' },
    { id: 'strategy', systemId: 'strategy', src: 'strategy' },
    { id: 'trading', systemId: 'trading', src: 'trading' },
  ],
  initial: 'idle',
  states: {
    idle: {
      on: {
        'session.start': 'starting',
        'session.stop': { target: 'stopped' },
      },
    },
    starting: {
      entry: emit({ type: 'session.state', state: 'starting', failure: null }),
      on: {
        // A second start while starting is ignored (and said so); a stop goes through the orderly stop.
        'session.start': { actions: emit({ type: 'session.ignored', event: 'session.start', state: 'starting' }) },
        'session.stop': 'stopping',
        'writer.failed': { target: 'stopping', actions: 'failWith' },
        'strategy.failed': { target: 'stopping', actions: 'failWith' },
        // Bars reach the strategy while market data is still starting: a halt then stops the session as it would later.
        'strategy.halted': { target: 'stopping', actions: 'failWith' },
        'trading.failed': { target: 'stopping', actions: 'failWith' },
        'marketData.failed': { target: 'stopping', actions: 'failWith' },
      },
      initial: 'openingWriter',
      states: {
        openingWriter: {
          // A child counts as started once asked to start: a stop meanwhile must undo a start still in flight.
          entry: [assign(({ context }) => ({ started: { ...context.started, writer: true } })), sendTo('writer', { type: 'writer.open' })],
          on: { 'writer.opened': 'loadingStrategy' },
          after: { step: { target: '#session.stopping', actions: assign({ failure: timeoutFailure('writer', 'opening the writer') }) } },
        },
        loadingStrategy: {
          always: { guard: ({ context }) => !context.hasStrategy, target: 'connectingTrading' },
          // Entry actions run even when `always` leaves at once: send only when there is a strategy.
          entry: enqueueActions(({ context, enqueue }) => {
            if (!context.hasStrategy) return;
            enqueue.assign({ started: { ...context.started, strategy: true } });
            enqueue.sendTo('strategy', { type: 'strategy.load' });
          }),
          on: { 'strategy.loaded': 'connectingTrading' },
          after: { step: { target: '#session.stopping', actions: assign({ failure: timeoutFailure('strategy', 'loading the strategy') }) } },
        },
        connectingTrading: {
          always: { guard: ({ context }) => !context.hasTrading, target: 'startingMarketData' },
          entry: enqueueActions(({ context, enqueue }) => {
            if (!context.hasTrading) return;
            enqueue.assign({ started: { ...context.started, trading: true } });
            enqueue.sendTo('trading', { type: 'trading.connect' });
          }),
          on: { 'trading.connected': 'startingMarketData' },
          after: { step: { target: '#session.stopping', actions: assign({ failure: timeoutFailure('trading', 'connecting the trading provider') }) } },
        },
        startingMarketData: {
          // Market data connects and subscribes; a long outage is the provider's to retry, not a start timeout.
          entry: [assign(({ context }) => ({ started: { ...context.started, marketData: true } })), sendTo('marketData', { type: 'marketData.start' })],
          on: {
            'marketData.started': '#session.running',
            // The first streams flow before subscribe() has returned for all of them: every other child is ready.
            'bar.closed': { actions: ['countBar', 'toWriter', 'toTrading', 'toStrategy'] },
          },
        },
      },
    },
    running: {
      entry: emit({ type: 'session.state', state: 'running', failure: null }),
      on: {
        'bar.closed': { actions: ['countBar', 'toWriter', 'toTrading', 'toStrategy'] },
        'session.start': { actions: emit({ type: 'session.ignored', event: 'session.start', state: 'running' }) },
        'session.stop': 'stopping',
        'marketData.failed': { target: 'stopping', actions: 'failWith' },
        'writer.failed': { target: 'stopping', actions: 'failWith' },
        'trading.failed': { target: 'stopping', actions: 'failWith' },
        'strategy.halted': { target: 'stopping', actions: 'failWith' },
      },
    },
    stopping: {
      entry: emit(({ context }) => ({ type: 'session.state' as const, state: 'stopping' as const, failure: context.failure })),
      on: {
        // Bars already on their way while the feed stops are still persisted (and the broker still marks them).
        'bar.closed': { actions: ['countBar', 'toWriter', 'toTrading'] },
        'session.start': { actions: emit({ type: 'session.ignored', event: 'session.start', state: 'stopping' }) },
        'session.stop': { actions: emit({ type: 'session.ignored', event: 'session.stop', state: 'stopping' }) },
        'writer.failed': { actions: 'failWith' },
        'strategy.failed': { actions: 'failWith' },
        'strategy.halted': { actions: 'failWith' },
        'trading.failed': { actions: 'failWith' },
        'marketData.failed': { actions: 'failWith' },
      },
      initial: 'stoppingMarketData',
      states: {
        stoppingMarketData: {
          always: { guard: ({ context }) => !context.started.marketData, target: 'stoppingStrategy' },
          entry: enqueueActions(({ context, enqueue }) => { if (context.started.marketData) enqueue.sendTo('marketData', { type: 'marketData.stop' }); }),
          on: { 'marketData.stopped': 'stoppingStrategy' },
          after: { step: 'stoppingStrategy' },
        },
        stoppingStrategy: {
          always: { guard: ({ context }) => !context.started.strategy, target: 'disconnectingTrading' },
          entry: enqueueActions(({ context, enqueue }) => { if (context.started.strategy) enqueue.sendTo('strategy', { type: 'strategy.stop' }); }),
          on: { 'strategy.stopped': 'disconnectingTrading' },
          after: { step: 'disconnectingTrading' },
        },
        disconnectingTrading: {
          always: { guard: ({ context }) => !context.started.trading, target: 'closingWriter' },
          entry: enqueueActions(({ context, enqueue }) => { if (context.started.trading) enqueue.sendTo('trading', { type: 'trading.disconnect' }); }),
          on: { 'trading.disconnected': 'closingWriter' },
          after: { step: 'closingWriter' },
        },
        closingWriter: {
          always: { guard: ({ context }) => !context.started.writer, target: 'done' },
          entry: enqueueActions(({ context, enqueue }) => { if (context.started.writer) enqueue.sendTo('writer', { type: 'writer.close' }); }),
          // A close that failed (a flush that kept failing, the file lost) ends the stop at once, as failed: the
          // writer already gave up, waiting longer would only delay reporting the rows it could not persist.
          on: { 'writer.closed': 'done', 'writer.failed': { target: 'done', actions: 'failWith' } },
          // The writer retries a failing flush on its own; give it several steps before declaring the stop done.
          after: { step: { target: 'done', actions: assign(({ context }) => (context.failure ? {} : { failure: timeoutFailure('writer', 'closing the writer') })) } },
        },
        done: {
          always: [{ guard: 'failed', target: '#session.failed' }, { target: '#session.stopped' }],
        },
      },
    },
    stopped: {
      type: 'final',
      entry: emit({ type: 'session.state', state: 'stopped', failure: null }),
    },
    failed: {
      type: 'final',
      entry: emit(({ context }) => ({ type: 'session.state' as const, state: 'failed' as const, failure: context.failure })),
    },
  },
});
