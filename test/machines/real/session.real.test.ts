/**
 * The session machine's own paths, run against the real session: `createRealtimeSession` with the Binance provider
 * and simulator on loopback, a real DuckDB file, real strategy files, the paper broker. Each path runs on a fresh
 * system; the session actor's state sequence (from its inspection events) must equal the path; at the end every
 * stored bar is the simulator's, once, with none missing, every order has its log entry, and the log's fold equals
 * the live broker. Plain runs are repeated under strategy failures the session rides out, the kill switch, and a
 * stop followed by a resume under the same id.
 */
import { describe, expect, it } from 'vitest';
import { createActor, transition, type AnyMachineSnapshot, type EventObject } from 'xstate';
import { sessionMachine, type SessionContext, type SessionFailure, type SessionInput } from '../../../machines/session.machine.ts';
import { Coverage } from '../../support/machine-paths/coverage.ts';
import { describePath, pathKeys, planPaths, runPath, type PlannedPath, type PlannedStep } from '../../support/machine-paths/paths.ts';
import { InspectionRecorder } from '../../support/machine-paths/recorder.ts';
import { nthBar } from './writer-driver.ts';
import { SHORT_STEP_MS, sessionDriver, type Scenario, type SessionSystem } from './session-driver.ts';

const input: SessionInput = { hasStrategy: true, hasTrading: true, stepTimeoutMs: SHORT_STEP_MS };
const c = (s: AnyMachineSnapshot) => s.context as SessionContext;
const timer = (s: AnyMachineSnapshot, delay: string): EventObject[] =>
  s._nodes.flatMap((n) => n.after.filter((t) => t.eventType.startsWith(`xstate.after.${delay}.`)).map((t) => ({ type: t.eventType })));
const fail = (type: string, source: SessionFailure['source'], code: string): EventObject =>
  ({ type, failure: { source, code, message: `${source} failed` } }) as EventObject;
const start: EventObject = { type: 'session.start' };
const stop: EventObject = { type: 'session.stop' };
const bar = { type: 'bar.closed', bar: nthBar(0) } as EventObject;

/** What can happen next to the real session: the driver's commands and faults, and the children's answers. */
const events = (s: AnyMachineSnapshot): EventObject[] => {
  const failure = c(s).failure;
  if (s.matches('idle')) return [start, stop];
  if (s.matches({ starting: 'openingWriter' })) return [{ type: 'writer.opened' }, fail('writer.failed', 'writer', 'WRITE_FAILED'), start, stop];
  if (s.matches({ starting: 'loadingStrategy' })) return [{ type: 'strategy.loaded' }, fail('strategy.failed', 'strategy', 'STRATEGY_FAILED'), ...timer(s, 'step'), stop];
  if (s.matches({ starting: 'connectingTrading' })) return [{ type: 'trading.connected' }];
  // Two streams are subscribed one after the other: bars of the first flow before the start is done.
  if (s.matches({ starting: 'startingMarketData' })) {
    return [bar, { type: 'marketData.started' }, fail('marketData.failed', 'marketData', 'CONNECTION_FAILED'), fail('strategy.halted', 'strategy', 'STRATEGY_FAILED'), stop];
  }
  if (s.matches('running')) {
    return [bar, start, stop, fail('marketData.failed', 'marketData', 'CONNECTION_FAILED'), fail('writer.failed', 'writer', 'STORAGE_LOST'), fail('strategy.halted', 'strategy', 'STRATEGY_FAILED')];
  }
  if (s.matches({ stopping: 'stoppingMarketData' })) return [{ type: 'marketData.stopped' }, ...(failure === null ? [start, stop] : [])];
  // A strategy still loading (it never finishes) holds its stop past the step timeout.
  if (s.matches({ stopping: 'stoppingStrategy' })) return failure?.message.includes('loading the strategy') ? timer(s, 'step') : [{ type: 'strategy.stopped' }];
  if (s.matches({ stopping: 'disconnectingTrading' })) return [{ type: 'trading.disconnected' }];
  // The file lost under the session: the final flush refuses to write into whatever stands at its path.
  if (s.matches({ stopping: 'closingWriter' })) return failure?.code === 'STORAGE_LOST' ? [fail('writer.failed', 'writer', 'STORAGE_LOST')] : [{ type: 'writer.closed' }];
  return [];
};

const serializeState = (s: AnyMachineSnapshot): string => JSON.stringify({ v: s.value, f: c(s).failure?.code ?? null, m: c(s).failure?.message ?? null, st: c(s).started });

/** A path given by its events, for the scenarios that repeat a plain run. */
const pathOf = (events: readonly (string | EventObject)[]): PlannedPath => {
  let state = createActor(sessionMachine, { input }).getSnapshot() as AnyMachineSnapshot;
  const steps: PlannedStep[] = [{ event: { type: 'xstate.init' }, state }];
  for (const e of events) {
    const event = typeof e === 'string' ? { type: e } : e;
    [state] = transition(sessionMachine, state as never, event as never) as unknown as [AnyMachineSnapshot];
    steps.push({ event, state });
  }
  return { steps, takes: [], keys: pathKeys(sessionMachine, steps) };
};
const RUN_AND_STOP = ['session.start', 'writer.opened', 'strategy.loaded', 'trading.connected', 'marketData.started',
  'session.stop', 'marketData.stopped', 'strategy.stopped', 'trading.disconnected', 'writer.closed'];

const coverage = new Coverage([sessionMachine]);
const names = new Map<string, number>();
const walk = (path: PlannedPath, scenario: Scenario = 'trade', always = false) => {
  const name = `${describePath(path)}${scenario === 'trade' ? '' : ` [${scenario}]`}`;
  const n = (names.get(name) ?? 0) + 1;
  names.set(name, n);
  it(`walks ${name}${n > 1 ? ` (variant ${n})` : ''}`, async () => {
    const end = path.steps.at(-1)!.state._nodes.map((x) => x.id);
    if (!always && (path.keys ?? []).every((k) => coverage.covered('session', k)) && end.every((id) => coverage.reachedState('session', id))) return;
    const recorder = new InspectionRecorder();
    let first: SessionSystem | undefined;
    const driver = sessionDriver(scenario);
    try {
      await runPath(path, { ...driver, stop: async (s) => { first = s; await driver.stop(s); } }, recorder, 30_000);
      if (scenario === 'resume') {
        // The same id on the same file: the session resumes, the bars missed meanwhile are backfilled, the broker
        // is folded from the first run's log, and the invariants hold over both runs.
        const again = new InspectionRecorder();
        try {
          await runPath(path, sessionDriver('resume', { db: first!.db, id: first!.session.id }), again, 30_000);
        } finally {
          coverage.add(again);
        }
      }
    } finally {
      coverage.add(recorder);
    }
  }, 60_000);
};

describe('session paths against the real session, Binance simulator, DuckDB and paper broker', () => {
  const paths = planPaths(sessionMachine, { input, events, serializeState });

  it('plans paths from the machine graph', () => {
    expect(paths.length).toBeGreaterThan(10);
  });

  // A session without a strategy runs without trading too: the start and stop skip both steps.
  const bare = planPaths(sessionMachine, { input: { ...input, hasStrategy: false, hasTrading: false }, events, serializeState });

  for (const path of [...paths, ...bare]) walk(path);
  // A stop while the strategy is still loading, and the load then failing: the failure is the session's.
  walk(pathOf(['session.start', 'writer.opened', 'session.stop', fail('strategy.failed', 'strategy', 'STRATEGY_FAILED'), 'strategy.stopped', 'writer.closed']));
  const plain = pathOf(RUN_AND_STOP);
  for (const scenario of ['skip-throw', 'skip-loop', 'kill', 'resume'] as const) walk(plain, scenario, true);
  const halted = paths.find((p) => p.steps.at(-1)!.event.type === 'strategy.halted');
  if (halted) walk(halted, 'halt-loop', true);

  it('reaches every state and transition of the session, or says why not', () => {
    const { report, summary } = coverage.write('session');
    expect(report[0]!.unexplained, summary).toEqual([]);
    expect(report[0]!.stale, summary).toEqual([]);
  });
});
