/**
 * Deterministic randomness for the simulator: a stateless integer hash (so any point of the market can be
 * computed on demand, in any order) and a small seeded generator for fault decisions.
 */

const mix = (h: number, k: number): number => {
  let x = Math.imul(k | 0, 0xcc9e2d51);
  x = (x << 15) | (x >>> 17);
  x = Math.imul(x, 0x1b873593);
  let y = h ^ x;
  y = (y << 13) | (y >>> 19);
  return (Math.imul(y, 5) + 0xe6546b64) | 0;
};

const finalise = (h: number): number => {
  let x = h ^ (h >>> 16);
  x = Math.imul(x, 0x85ebca6b);
  x ^= x >>> 13;
  x = Math.imul(x, 0xc2b2ae35);
  x ^= x >>> 16;
  return x >>> 0;
};

/** Unsigned 32-bit hash of up to three integers under a key (murmur3-style mixing, no allocation). */
export const hash32 = (key: number, a: number, b = 0, c = 0): number =>
  finalise(mix(mix(mix(key | 0, a), b), c));

/** Maps an unsigned 32-bit integer to [0, 1). */
export const unit = (h: number): number => h / 4_294_967_296;

/** FNV-1a hash of a string, used to give each symbol its own stream of randomness. */
export const stringHash = (text: string): number => {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
};

/** A seeded generator of numbers in [0, 1) (mulberry32): same seed, same sequence. */
export const seededRandom = (seed: number): (() => number) => {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) | 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
};
