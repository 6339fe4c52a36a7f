import { describe, expect, it } from 'vitest';
import { assign, createActor, fromPromise, setup, SimulatedClock } from 'xstate';
import { foldEvents, recordRootEvents, type LoggedEvent } from '../../src/events/fold.ts';

// A machine whose progress depends on an invoked promise, a delay and an actor error: the events the
// official recipe drops.
const machine = setup({
  types: {
    context: {} as { value: number; error: string; bumps: number },
    events: {} as { type: 'bump' },
    input: {} as { start: number },
  },
  actors: {
    load: fromPromise(async ({ input }: { input: number }) => input * 2),
    boom: fromPromise(async (): Promise<number> => {
      throw { code: 'BOOM' };
    }),
  },
}).createMachine({
  context: ({ input }) => ({ value: input.start, error: '', bumps: 0 }),
  initial: 'loading',
  states: {
    loading: {
      invoke: { src: 'load', input: ({ context }) => context.value, onDone: { target: 'waiting', actions: assign({ value: ({ event }) => event.output }) } },
    },
    waiting: { after: { 100: 'failing' } },
    failing: {
      invoke: { src: 'boom', onError: { target: 'done', actions: assign({ error: ({ event }) => (event.error as { code: string }).code }) } },
    },
    done: { on: { bump: { actions: assign({ bumps: ({ context }) => context.bumps + 1 }) } } },
  },
});

const flush = () => new Promise((resolve) => setTimeout(resolve, 0));

const runLive = async () => {
  const log: LoggedEvent[] = [];
  const clock = new SimulatedClock();
  const inspect = recordRootEvents((event) => log.push(JSON.parse(JSON.stringify(event)) as LoggedEvent));
  const actor = createActor(machine, { input: { start: 21 }, clock, inspect }).start();
  await flush();
  clock.increment(100);
  await flush();
  actor.send({ type: 'bump' });
  return { actor, log, inspect };
};

describe('event log fold', () => {
  it('records done, after and error events delivered to the root and rebuilds the same state with transition()', async () => {
    const { actor, log } = await runLive();
    expect(actor.getSnapshot().value).toBe('done');
    expect(log.map((e) => e.type)).toEqual([
      'xstate.init',
      expect.stringMatching(/^xstate\.done\.actor\./),
      expect.stringMatching(/^xstate\.after\.100\./),
      expect.stringMatching(/^xstate\.error\.actor\./),
      'bump',
    ]);
    const rebuilt = foldEvents(machine, log);
    expect(rebuilt.value).toBe('done');
    expect(rebuilt.context).toEqual({ value: 42, error: 'BOOM', bumps: 1 });
    expect(rebuilt.context).toEqual(actor.getSnapshot().context);
  });

  it('loses state when xstate.* events are dropped, which is why they are kept', async () => {
    const { log } = await runLive();
    const userOnly = log.filter((e) => !e.type.startsWith('xstate.'));
    expect(foldEvents(machine, userOnly, { input: { start: 21 } }).value).toBe('loading');
  });

  it('ignores the xstate.init that a restored actor logs again', async () => {
    const { actor, log, inspect } = await runLive();
    const restored = createActor(machine, { input: { start: 0 }, snapshot: actor.getPersistedSnapshot(), inspect }).start();
    restored.send({ type: 'bump' });
    expect(log.filter((e) => e.type === 'xstate.init')).toHaveLength(2);
    expect(foldEvents(machine, log).context).toEqual({ value: 42, error: 'BOOM', bumps: 2 });
  });

  it('continues from a given snapshot, or starts from the given input when the log has no init', async () => {
    const { log } = await runLive();
    const [init, ...rest] = log;
    const head = foldEvents(machine, [init!, ...rest.slice(0, 2)]);
    expect(head.value).toBe('failing');
    expect(foldEvents(machine, rest.slice(2), { from: head }).context).toEqual({ value: 42, error: 'BOOM', bumps: 1 });
    expect(foldEvents(machine, [], { input: { start: 7 } }).context.value).toBe(7);
    // The logged done event carries the promise's output: the fold never runs the actor again.
    expect(foldEvents(machine, rest, { input: { start: 5 } }).context).toEqual({ value: 42, error: 'BOOM', bumps: 1 });
  });
});
