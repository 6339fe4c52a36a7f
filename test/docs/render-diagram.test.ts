import { describe, expect, it } from 'vitest';
import { and, not, setup } from 'xstate';
import { renderDiagram } from '../../scripts/machine-docs/mermaid.ts';

const machine = setup({
  types: { events: {} as { type: 'go' } | { type: 'stop' } | { type: 'poke' } },
  guards: { ready: () => true, busy: () => false },
  delays: { pause: 100 },
}).createMachine({
  id: 'sample',
  initial: 'idle',
  on: { stop: '.done' },
  states: {
    idle: { on: { go: { guard: and(['ready', not('busy')]), target: 'work' } } },
    work: {
      type: 'parallel',
      on: { poke: { target: '.left.b' } },
      states: {
        left: { initial: 'a', states: { a: { after: { pause: 'b' } }, b: { always: { guard: 'ready', target: '#sample.done' } } } },
        right: { always: { guard: ({ context }) => context === undefined } },
      },
    },
    done: { type: 'final' },
  },
});

describe('renderDiagram', () => {
  it('renders nesting, parallel regions, delays, eventless transitions, guards and final states', () => {
    expect(renderDiagram(machine)).toBe([
      'stateDiagram-v2',
      '  state "(any state)" as any_state',
      '  [*] --> idle',
      '  idle',
      '  state work {',
      '    state "left" as work_left {',
      '      [*] --> work_left_a',
      '      state "a" as work_left_a',
      '      state "b" as work_left_b',
      '      work_left_a --> work_left_b : after pause',
      '    }',
      '    --',
      '    state "right" as work_right',
      '    work_right --> work_right : always [inline]',
      '  }',
      '  done',
      '  any_state --> done : stop',
      '  idle --> work : go [and(ready, not(busy))]',
      '  work --> work : poke (to left.b)',
      '  work_left_b --> done : always [ready]',
      '  done --> [*]',
    ].join('\n'));
  });
});

describe('renderDiagram ids', () => {
  it('labels states whose key Mermaid cannot take as an id', () => {
    const odd = setup({}).createMachine({
      id: 'odd',
      initial: 'half-open',
      states: { 'half-open': { on: { close: 'end' } }, end: { type: 'final' } },
    });
    expect(renderDiagram(odd)).toBe([
      'stateDiagram-v2',
      '  [*] --> half_open',
      '  state "half-open" as half_open',
      '  state "end" as s_end',
      '  half_open --> s_end : close',
      '  s_end --> [*]',
    ].join('\n'));
  });
});
