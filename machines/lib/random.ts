/**
 * Deterministic randomness for pure machines: a mulberry32 generator whose whole state is one uint32 kept in
 * machine context, so jitter is reproducible from a seed and snapshots stay plain JSON.
 */

/** Advances the generator: returns the next state and a float in [0, 1). */
export const nextRandom = (state: number): { state: number; value: number } => {
  const s = (state + 0x6d2b79f5) >>> 0;
  let t = s;
  t = Math.imul(t ^ (t >>> 15), t | 1);
  t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
  return { state: s, value: ((t ^ (t >>> 14)) >>> 0) / 4294967296 };
};
