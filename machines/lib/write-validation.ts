/**
 * Validation of bars handed to the writer's public API (`writeRealtime` / `writeBatch` of a library user): the
 * domain's one check ({@link barProblem}) per bar. Bars a provider decoded were checked there and are written as
 * trusted, so they are never checked twice.
 */
import { barProblem, type Bar } from '../../src/domain/bar.ts';

/** A bar refused by its index in the write and why. */
export interface InvalidBar {
  readonly index: number;
  readonly problem: string;
}

/** Splits a write into the bars the table can take and the refused ones; `valid` is `bars` itself when all pass. */
export const splitInvalid = (bars: readonly Bar[]): { readonly valid: readonly Bar[]; readonly invalid: readonly InvalidBar[] | undefined } => {
  let invalid: InvalidBar[] | undefined;
  for (let i = 0; i < bars.length; i++) {
    const problem = barProblem(bars[i]!);
    if (problem !== undefined) (invalid ??= []).push({ index: i, problem });
  }
  if (!invalid) return { valid: bars, invalid };
  const bad = new Set(invalid.map((x) => x.index));
  return { valid: bars.filter((_, i) => !bad.has(i)), invalid };
};
