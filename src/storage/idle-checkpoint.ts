/**
 * The bar store's idle CHECKPOINT: after a flush, once no other flush has started for a while and the WAL has
 * grown past a size, fold the WAL into the file, so checkpoints run while the stream pauses instead of inside a
 * commit. A flush arriving meanwhile waits for it; a failed checkpoint leaves the WAL as it was (nothing is lost).
 */
import fs from 'node:fs';
import { systemClock, type Clock, type TimerHandle } from '../clock.ts';

/** What the scheduler needs: when to run, how to tell the WAL's size, how to checkpoint, whether to hold off. */
export interface IdleCheckpointOptions {
  readonly delayMs: number;
  readonly minWalBytes: number;
  /** The WAL file; undefined (in-memory database): never. */
  readonly walPath: string | undefined;
  readonly checkpoint: () => Promise<unknown>;
  /** True while a flush runs or the store closed: the timer then does nothing. */
  readonly busy: () => boolean;
  /** Timers (default {@link systemClock}, whose timers never keep the process alive); tests pass a manual clock. */
  readonly clock?: Clock;
}

/** Schedules at most one idle CHECKPOINT at a time. */
export class IdleCheckpoint {
  readonly #o: IdleCheckpointOptions;
  #timer: TimerHandle | undefined;
  #running: Promise<void> | undefined;
  #count = 0;

  constructor(options: IdleCheckpointOptions) {
    this.#o = options;
  }

  /** CHECKPOINTs run so far. */
  get count(): number {
    return this.#count;
  }

  /** The checkpoint under way, if any (a flush or close waits for it). */
  get running(): Promise<void> | undefined {
    return this.#running;
  }

  /** Cancels the pending timer. */
  cancel(): void {
    this.#timer?.cancel();
    this.#timer = undefined;
  }

  /** (Re)starts the timer after a flush. */
  arm(): void {
    if (this.#o.delayMs <= 0 || this.#o.walPath === undefined) return;
    this.cancel();
    this.#timer = (this.#o.clock ?? systemClock).setTimeout(() => {
      this.#timer = undefined;
      if (this.#o.busy() || this.#running) return;
      if (this.#walBytes() < this.#o.minWalBytes) return;
      this.#running = this.#o.checkpoint().then(() => { this.#count++; }, () => undefined)
        .finally(() => { this.#running = undefined; });
    }, this.#o.delayMs);
  }

  #walBytes(): number {
    try {
      return this.#o.walPath === undefined ? 0 : fs.statSync(this.#o.walPath).size;
    } catch {
      return 0;
    }
  }
}
