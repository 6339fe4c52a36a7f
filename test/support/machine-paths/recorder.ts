/**
 * Records what the real actors do, from the same inspection stream the Stately inspector reads: per actor the
 * sequence of its state values (one per processed event, consecutive repeats folded), and per machine the state
 * nodes entered and the transitions taken (from `@xstate.microstep`). Waits are driven by those events, with a
 * deadline only to fail a stuck path.
 */
import type { AnyActorRef, InspectionEvent } from 'xstate';
import { transitionKey, type TransitionLike } from './graph.ts';

interface SnapshotLike {
  readonly value?: unknown;
  readonly machine?: { readonly id: string };
  readonly _nodes?: readonly { readonly id: string }[];
}

/** What a recorder saw of one machine. */
export interface MachineSeen {
  readonly states: Set<string>;
  readonly transitions: Set<string>;
}

/** Collects inspection events of every actor of a run. */
export class InspectionRecorder {
  /** Pass as `inspect` to the real system. */
  readonly inspect = (event: InspectionEvent): void => this.onEvent(event);
  readonly seen = new Map<string, MachineSeen>();
  private readonly sequences = new Map<string, string[]>();
  private readonly waiters = new Set<() => void>();

  /** The state values (JSON) an actor has been in, consecutive repeats folded. */
  sequence(actor: AnyActorRef): string[] {
    return this.sequences.get(actor.sessionId) ?? [];
  }

  /** Resolves once `check` returns a value other than undefined; re-checked after every inspection event. */
  until<T>(check: () => T | undefined, what: string, timeoutMs = 15_000): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      const attempt = () => {
        try {
          const value = check();
          if (value === undefined) return;
          done();
          resolve(value);
        } catch (e) {
          done();
          reject(e as Error);
        }
      };
      const timer = setTimeout(() => {
        done();
        reject(new Error(`timed out after ${timeoutMs} ms waiting for ${what}`));
      }, timeoutMs);
      const done = () => {
        clearTimeout(timer);
        this.waiters.delete(attempt);
      };
      this.waiters.add(attempt);
      attempt();
    });
  }

  /** Re-runs pending waits (for conditions that are not inspection events, e.g. a listener a driver owns). */
  poke(): void {
    for (const w of [...this.waiters]) w();
  }

  private machine(id: string): MachineSeen {
    let m = this.seen.get(id);
    if (!m) this.seen.set(id, (m = { states: new Set(), transitions: new Set() }));
    return m;
  }

  private onEvent(event: InspectionEvent): void {
    if (event.type === '@xstate.microstep' || event.type === '@xstate.snapshot') {
      const snapshot = event.snapshot as SnapshotLike;
      const id = snapshot.machine?.id;
      if (id !== undefined) {
        const m = this.machine(id);
        for (const n of snapshot._nodes ?? []) if (n.id !== id) m.states.add(n.id);
        if (event.type === '@xstate.microstep') {
          for (const t of (event as { _transitions: TransitionLike[] })._transitions) m.transitions.add(transitionKey(t));
        } else {
          const seq = this.sequences.get(event.actorRef.sessionId) ?? [];
          const value = JSON.stringify(snapshot.value);
          if (seq.at(-1) !== value) seq.push(value);
          this.sequences.set(event.actorRef.sessionId, seq);
        }
      }
    }
    this.poke();
  }
}
