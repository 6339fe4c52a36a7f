/** Small helpers for string sets kept as arrays (machine context must stay plain JSON). */

/** `a` with the items of `b` appended, without duplicates, order kept. */
export const union = (a: readonly string[], b: readonly string[]): string[] => {
  const seen = new Set(a);
  const out = [...a];
  for (const x of b) if (!seen.has(x)) { seen.add(x); out.push(x); }
  return out;
};

/** Items of `a` that are not in any of `others`. */
export const minus = (a: readonly string[], ...others: readonly (readonly string[])[]): string[] => {
  const drop = new Set(others.flat());
  return a.filter((x) => !drop.has(x));
};

/** True when both hold the same items. */
export const sameSet = (a: readonly string[], b: readonly string[]): boolean => {
  const sa = new Set(a);
  const sb = new Set(b);
  if (sa.size !== sb.size) return false;
  for (const x of sb) if (!sa.has(x)) return false;
  return true;
};
