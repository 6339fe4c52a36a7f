/**
 * The trace reader: every line the writer produces reads back as a typed record, lines that are not records
 * are reported with their line number and skipped, and the example lines in docs/observability.md are valid
 * records (so the documented format cannot drift from the reader).
 */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { createActor, createMachine } from 'xstate';
import { createTraceWriter, parseTraceLine, readTrace, type TraceLine } from '../../src/observability/index.ts';

const collect = async (path: string, malformed: number[] = []): Promise<TraceLine[]> => {
  const out: TraceLine[] = [];
  for await (const line of readTrace(path, { onMalformed: (n) => malformed.push(n) })) out.push(line);
  return out;
};

describe('readTrace', () => {
  it('reads back every line the writer wrote as a typed record, facts included', async () => {
    const path = join(mkdtempSync(join(tmpdir(), 'argo-trace-reader-')), 'door.trace.jsonl');
    let now = 1_000;
    const trace = createTraceWriter(path, { now: () => now++ });
    const listeners: ((data: unknown) => void)[] = [];
    trace.attach({ on: ((_: string, l: (data: unknown) => void) => { listeners.push(l); return () => undefined; }) as never });
    const machine = createMachine({ id: 'door', initial: 'closed', context: { opened: 0 }, states: { closed: { on: { open: 'opened' } }, opened: { on: { close: 'closed' } } } });
    const actor = createActor(machine, { inspect: trace.inspect }).start();
    actor.send({ type: 'open' });
    listeners[0]!({ state: 'running' });
    actor.stop();
    await trace.close();
    const lines = await collect(path);
    expect(lines).toHaveLength(readFileSync(path, 'utf8').trimEnd().split('\n').length);
    expect(lines.map((l) => l.kind)).toEqual(['actor', 'event', 'snapshot', 'event', 'snapshot', 'fact', 'snapshot']);
    const snapshot = lines.find((l): l is Extract<TraceLine, { kind: 'snapshot' }> => l.kind === 'snapshot' && l.state === 'opened')!;
    expect(snapshot).toMatchObject({ actor: 'door', event: 'open', status: 'active', ctx: { opened: 0 } });
    expect(lines.find((l) => l.kind === 'fact')).toMatchObject({ fact: 'state', data: { state: 'running' } });
  });

  it('skips and reports lines that are not trace records, with their line numbers', async () => {
    const path = join(mkdtempSync(join(tmpdir(), 'argo-trace-reader-')), 'bad.trace.jsonl');
    writeFileSync(path, [
      '{"t":1,"kind":"actor","actor":"a","system":0}',
      'not json',
      '{"t":"2","kind":"event","actor":"a","event":{}}',
      '{"t":3,"kind":"mystery","actor":"a"}',
      '',
      '{"t":4,"kind":"fact","actor":"session","fact":"fill","data":{"price":1}}',
      '{"t":5,"kind":"snaps',
    ].join('\n'));
    const malformed: number[] = [];
    expect((await collect(path, malformed)).map((l) => l.t)).toEqual([1, 4]);
    expect(malformed).toEqual([2, 3, 4, 7]);
  });

  it('reads the example lines of docs/observability.md', () => {
    const doc = readFileSync('docs/observability.md', 'utf8');
    const block = /`--trace run\.trace\.jsonl` writes[\s\S]*?```json\n([\s\S]*?)```/.exec(doc)![1]!;
    const examples = block.trim().split('\n');
    expect(examples.length).toBeGreaterThanOrEqual(4);
    for (const line of examples) expect(parseTraceLine(line), line).toBeDefined();
  });
});
