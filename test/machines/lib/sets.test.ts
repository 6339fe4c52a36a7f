import { fc, test } from '@fast-check/vitest';
import { describe, expect, it } from 'vitest';
import { minus, sameSet, union } from '../../../machines/lib/sets.ts';

describe('string sets as arrays', () => {
  it('appends only items not yet present, once each, keeping order', () => {
    expect(union(['a', 'b'], ['b', 'c', 'c', 'a', 'd'])).toEqual(['a', 'b', 'c', 'd']);
    expect(union([], ['x', 'x'])).toEqual(['x']);
  });

  it('removes the items of every other list', () => {
    expect(minus(['a', 'b', 'c', 'd'], ['b'], ['d', 'z'])).toEqual(['a', 'c']);
    expect(minus(['a'])).toEqual(['a']);
  });

  it('compares as sets: same items in any order are equal, different items of the same count are not', () => {
    expect(sameSet(['a', 'b'], ['b', 'a'])).toBe(true);
    expect(sameSet(['a', 'b'], ['a', 'c'])).toBe(false);
    expect(sameSet(['a'], ['b'])).toBe(false);
    expect(sameSet(['a'], ['a', 'b'])).toBe(false);
    expect(sameSet(['a', 'a'], ['a'])).toBe(true);
  });

  test.prop([fc.array(fc.constantFrom('a', 'b', 'c', 'd')), fc.array(fc.constantFrom('a', 'b', 'c', 'd'))])(
    'agrees with Set semantics',
    (a: string[], b: string[]) => {
      const u = union(a, b);
      expect(new Set(u).size).toBe(u.length - (a.length - new Set(a).size));
      expect(new Set(u)).toEqual(new Set([...a, ...b]));
      expect(minus(a, b).every((x) => !b.includes(x))).toBe(true);
      expect(sameSet(a, b)).toBe(new Set(a).size === new Set(b).size && a.every((x) => b.includes(x)));
    },
  );
});
