/**
 * Tests wait on events, not time: this fails when a file under test/ sleeps to synchronise (an awaited `sleep(` or
 * `delay(`, or a promise resolved by a bare `setTimeout(resolve, ms)`) more often than its entry below allows.
 * Each entry says why its sleeps are there; an entry that allows more than the file uses fails too, so the list
 * only shrinks. Failure deadlines (`setTimeout(() => reject(...), ms)`) are not sleeps and are not counted.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';

const ROOT = join(import.meta.dirname, '..', '..');
const SLEEP = /\bawait\s+(?:sleep|delay)\(|setTimeout\(\s*(?:r|res|resolve|wake)\s*[,)]/g;

/** File → how many sleeps it may use, and why. */
const ALLOWED: Readonly<Record<string, { readonly count: number; readonly reason: string }>> = {
  'test/support/manual-clock.ts': { count: 1, reason: 'The hand-driven clock itself: its sleep resolves on its own timer, fired by advance().' },
  'test/support/jump-clock.ts': { count: 1, reason: 'The jump clock itself: its sleep resolves on the next microtask, time jumping over the wait; nothing waits.' },
  'test/strategy/fixtures/slow.strategy.ts': { count: 1, reason: 'A strategy that is slow on purpose: its delay is the behaviour under test (budgets, timeouts).' },
  'test/bus/fixtures/marks-bars.strategy.ts': { count: 1, reason: 'A strategy fixture with a configurable processing delay: the delay is the behaviour under test.' },
  'test/trading/fold.test.ts': { count: 1, reason: 'setTimeout(0) yields one macrotask so queued I/O callbacks run; no duration is waited for.' },
  'test/session/restart.prop.test.ts': { count: 1, reason: "The SIGKILL moment is the property's generated input (ms after `session running`): a kill at an arbitrary instant of the child's work is what is tested." },
};

const files = (dir: string): string[] =>
  readdirSync(dir, { withFileTypes: true }).flatMap((d) => (d.isDirectory() ? files(join(dir, d.name)) : /\.[cm]?ts$/.test(d.name) ? [join(dir, d.name)] : []));

/** Sleeps used per file under test/, this file excluded (its pattern would count itself). */
const sleepsPerFile = (): Record<string, number> => {
  const out: Record<string, number> = {};
  for (const file of files(join(ROOT, 'test'))) {
    const rel = relative(ROOT, file).split('\\').join('/');
    if (rel === 'test/architecture/no-sleeps.test.ts') continue;
    const n = readFileSync(file, 'utf8').match(SLEEP)?.length ?? 0;
    if (n > 0) out[rel] = n;
  }
  return out;
};

describe('no sleeps in tests', () => {
  it('finds the sleep patterns it is meant to find, and not failure deadlines', () => {
    const count = (text: string) => text.match(SLEEP)?.length ?? 0;
    expect(count('await sleep(100);')).toBe(1);
    expect(count('await new Promise((r) => setTimeout(r, 50));')).toBe(1);
    expect(count('new Promise((resolve) => setTimeout(resolve, ms))')).toBe(1);
    expect(count("const timer = setTimeout(() => reject(new Error('late')), 5_000);")).toBe(0);
    expect(count('clock.sleep(10)')).toBe(0);
  });

  it('allows no sleep outside the list, and no more than each entry says', () => {
    const found = sleepsPerFile();
    const over = Object.entries(found).filter(([file, n]) => n > (ALLOWED[file]?.count ?? 0)).map(([file, n]) => `${file}: ${n} sleeps, allowed ${ALLOWED[file]?.count ?? 0}`);
    expect(over).toEqual([]);
  });

  it('keeps no entry that allows more sleeps than its file uses', () => {
    const found = sleepsPerFile();
    const stale = Object.entries(ALLOWED).filter(([file, { count }]) => (found[file] ?? 0) < count).map(([file, { count }]) => `${file}: allows ${count}, uses ${found[file] ?? 0}`);
    expect(stale).toEqual([]);
  });
});
