/**
 * Coverage of machines by runs against the real system: which state nodes and transitions of each machine the
 * real actors went through. The report is written as JSON under the temp dir and printed as a summary; a state or
 * transition never reached must have a written reason in `unreachable.ts`, and a reason for something reached is
 * stale (both make the check fail).
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { AnyStateMachine } from 'xstate';
import { stateIds, transitions } from './graph.ts';
import type { InspectionRecorder } from './recorder.ts';
import { UNREACHABLE } from './unreachable.ts';

/** The coverage of one machine. */
export interface MachineCoverage {
  readonly machine: string;
  readonly states: { readonly total: number; readonly reached: readonly string[]; readonly unreached: readonly string[] };
  readonly transitions: { readonly total: number; readonly reached: readonly string[]; readonly unreached: readonly string[] };
  /** Unreached items with their written reason. */
  readonly explained: Readonly<Record<string, string>>;
  /** Unreached items with no reason: each one fails the run. */
  readonly unexplained: readonly string[];
  /** Reasons written for items that were reached: each one fails the run too. */
  readonly stale: readonly string[];
}

/** Accumulates what recorders saw, across the runs of a test file. */
export class Coverage {
  private readonly machines: AnyStateMachine[];
  private readonly states = new Map<string, Set<string>>();
  private readonly taken = new Map<string, Set<string>>();

  constructor(machines: readonly AnyStateMachine[]) {
    this.machines = [...machines];
    for (const m of machines) {
      this.states.set(m.id, new Set());
      this.taken.set(m.id, new Set());
    }
  }

  /** Adds what one recorder saw. */
  add(recorder: InspectionRecorder): void {
    for (const [id, seen] of recorder.seen) {
      for (const s of seen.states) this.states.get(id)?.add(s);
      for (const t of seen.transitions) this.taken.get(id)?.add(t);
    }
  }

  /** True when `key` (a transition key) of `machine` was taken by some real actor. */
  covered(machine: string, key: string): boolean {
    return this.taken.get(machine)?.has(key) ?? false;
  }

  /** True when state node `id` of `machine` was entered by some real actor. */
  reachedState(machine: string, id: string): boolean {
    return id === machine || (this.states.get(machine)?.has(id) ?? false);
  }

  /** The coverage of each machine, against the written reasons. */
  report(): MachineCoverage[] {
    return this.machines.map((m) => {
      const reasons = UNREACHABLE[m.id] ?? {};
      const allStates = stateIds(m);
      const allTransitions = transitions(m).map((t) => t.key);
      const reachedStates = allStates.filter((s) => this.states.get(m.id)!.has(s));
      const reachedTransitions = allTransitions.filter((t) => this.taken.get(m.id)!.has(t));
      const unreached = [...allStates.filter((s) => !reachedStates.includes(s)), ...allTransitions.filter((t) => !reachedTransitions.includes(t))];
      return {
        machine: m.id,
        states: { total: allStates.length, reached: reachedStates, unreached: allStates.filter((s) => !reachedStates.includes(s)) },
        transitions: { total: allTransitions.length, reached: reachedTransitions, unreached: allTransitions.filter((t) => !reachedTransitions.includes(t)) },
        explained: Object.fromEntries(unreached.filter((u) => reasons[u] !== undefined).map((u) => [u, reasons[u]!])),
        unexplained: unreached.filter((u) => reasons[u] === undefined),
        // A "By chance" item is taken by some runs and not others: reached, its reason is not stale.
        stale: Object.keys(reasons).filter((k) => !unreached.includes(k) && !reasons[k]!.startsWith('By chance')),
      };
    });
  }

  /** Writes the report to `<tmpdir>/argo-machine-paths/<name>.json`, prints a summary, and returns both. */
  write(name: string): { file: string; report: MachineCoverage[]; summary: string } {
    const report = this.report();
    const dir = join(tmpdir(), 'argo-machine-paths');
    mkdirSync(dir, { recursive: true });
    const file = join(dir, `${name}.json`);
    writeFileSync(file, `${JSON.stringify(report, null, 2)}\n`);
    const lines = report.map((r) =>
      `${r.machine}: states ${r.states.reached.length}/${r.states.total}, transitions ${r.transitions.reached.length}/${r.transitions.total} reached against the real system; `
      + `${Object.keys(r.explained).length} unreached with a reason, ${r.unexplained.length} without${r.stale.length ? `, ${r.stale.length} stale reason(s)` : ''}`);
    for (const r of report) {
      for (const u of r.unexplained) lines.push(`  UNREACHED ${u}`);
      for (const s of r.stale) lines.push(`  STALE REASON (reached) ${s}`);
    }
    const summary = [`machine-path coverage (${file})`, ...lines].join('\n');
    console.log(summary);
    return { file, report, summary };
  }
}
