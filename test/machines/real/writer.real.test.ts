/**
 * The writer machine's own paths, run against the real DuckDB writer on a real 16 MB tmpfs that the driver fills
 * and frees (a full disk, then room again). Each path runs on a fresh database file; the writer actor's state
 * sequence must equal the path; at the end every bar accepted is stored exactly once with its exact values.
 * Mounting needs root (as locally and in CI); without it the suite says so and skips.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { AnyMachineSnapshot, EventObject } from 'xstate';
import { writerMachine, type WriterContext } from '../../../machines/writer.machine.ts';
import { Coverage } from '../../support/machine-paths/coverage.ts';
import { describePath, planPaths, runPath } from '../../support/machine-paths/paths.ts';
import { InspectionRecorder } from '../../support/machine-paths/recorder.ts';
import { invalidBar, nthBar, writerDriver } from './writer-driver.ts';

const BUFFER = 3;
const dir = mkdtempSync(join(tmpdir(), 'argo-writer-paths-'));
const mounted = (() => {
  try {
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=16m', 'tmpfs', dir], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
})();

const w = (s: AnyMachineSnapshot) => s.context as WriterContext;
const timer = (s: AnyMachineSnapshot, delay: string): EventObject[] =>
  s._nodes.flatMap((n) => n.after.filter((t) => t.eventType.startsWith(`xstate.after.${delay}.`)).map((t) => ({ type: t.eventType })));
const flushDone = { type: 'xstate.done.actor.flushBatch', output: { durationMs: 1, finishedAt: 1 } } as EventObject;
const flushFailed = { type: 'xstate.error.actor.flushBatch', error: new Error('No space left on device') } as EventObject;

/** What can happen next to the real writer: what the driver does, and DuckDB's answers and the timers. */
const events = (s: AnyMachineSnapshot): EventObject[] => {
  const c = w(s);
  const write = { type: 'writer.write', bars: [nthBar(c.accepted)] } as EventObject;
  const commands: EventObject[] = [write, { type: 'writer.flush' }, { type: 'writer.close' }, { type: 'writer.configure', flushIntervalMs: 0 } as EventObject];
  if (c.attempt > 2 || c.accepted > 2 * BUFFER) return [];
  // A fresh writer that flushes its first write at once: that write may also be one it refuses.
  const fresh = c.flushFirstAtOnce && c.counters.flushCount === 0 && c.counters.errorCount === 0 && c.counters.rejectedInvalid === 0;
  const refused = fresh ? [{ type: 'writer.write', bars: [invalidBar(c.accepted)] } as EventObject] : [];
  if (s.matches('idle')) return [write, ...refused, { type: 'writer.close' }, { type: 'writer.configure', flushIntervalMs: 0 } as EventObject];
  if (s.matches('buffering')) return [...commands, ...timer(s, 'flushInterval')];
  // A flush is held at the driver's gate until its result: commands sent meanwhile reach a running flush.
  if (s.matches('flushing')) return [flushDone, flushFailed, ...(c.accepted - c.durable <= BUFFER ? [write, { type: 'writer.flush' }] : [])];
  if (s.matches({ closing: 'flushing' })) return [flushDone, flushFailed, ...(c.accepted - c.durable <= BUFFER ? [write] : [])];
  if (s.matches('retrying')) return [...timer(s, 'retryBackoff'), write, { type: 'writer.flush' }, { type: 'writer.close' }];
  if (s.matches({ closing: 'retrying' })) return timer(s, 'retryBackoff');
  if (s.matches({ closing: 'finalizing' })) return [{ type: 'xstate.done.actor.closeStore' }];
  return [];
};

const serializeState = (s: AnyMachineSnapshot): string => {
  const c = w(s);
  return JSON.stringify({ v: s.value, pending: c.accepted - c.durable, close: c.closeRequested, attempt: c.attempt, cf: c.closeFailures, timer: c.flushIntervalMs > 0, want: c.flushTarget > c.durable, fresh: c.counters.flushCount === 0 && c.counters.errorCount === 0, rej: c.counters.rejectedInvalid > 0 });
};

const coverage = new Coverage([writerMachine]);

describe.skipIf(!mounted)('writer machine paths against the DuckDB writer on a tmpfs', () => {
  afterAll(() => {
    execFileSync('umount', [dir]);
    rmSync(dir, { recursive: true, force: true });
  });

  // Planned with the machine's default (the first write waits for a trigger) and with DuckDBRealtimeWriter's
  // default (the first write is flushed at once): the driver opens the real writer the same way.
  const paths = [false, true].flatMap((first) => [false, true].flatMap((timed) =>
    planPaths(writerMachine, { input: { bufferSize: BUFFER, flushIntervalMs: timed ? 150 : 0, closeRetries: 1, flushFirstAtOnce: first }, events, serializeState })));

  it('plans paths from the machine graph', () => {
    expect(paths.length).toBeGreaterThan(10);
  });

  const driver = writerDriver(dir, { bufferSize: BUFFER });
  const names = new Map<string, number>();
  for (const path of paths) {
    const name = describePath(path);
    const n = (names.get(name) ?? 0) + 1;
    names.set(name, n);
    it(`walks ${name}${n > 1 ? ` (variant ${n})` : ''}`, async () => {
      const end = path.steps.at(-1)!.state._nodes.map((x) => x.id);
      if ((path.keys ?? []).every((k) => coverage.covered('writer', k)) && end.every((id) => coverage.reachedState('writer', id))) return;
      const recorder = new InspectionRecorder();
      try {
        await runPath(path, driver, recorder);
      } finally {
        coverage.add(recorder);
      }
    }, 30_000);
  }

  it('reaches every state and transition of the writer, or says why not', () => {
    const { report, summary } = coverage.write('writer');
    expect(report[0]!.unexplained, summary).toEqual([]);
    expect(report[0]!.stale, summary).toEqual([]);
  });
});
