/** The fleet's rebalancing rule, as a pure function. */
import { describe, expect, it } from 'vitest';
import { planLeases } from '../../src/bus/lease-plan.ts';

const universe = ['s1', 's2', 's3', 's4', 's5', 's6'];

describe('planLeases', () => {
  it('takes every free stream when it is the only recorder', () => {
    expect(planLeases({ self: 'a', universe, holders: new Map(), live: 1 }).acquire).toHaveLength(6);
  });

  it('takes only its share of free streams when others are alive', () => {
    const plan = planLeases({ self: 'b', universe, holders: new Map([['s1', 'a'], ['s2', 'a'], ['s3', 'a']]), live: 2 });
    expect(plan.acquire).toHaveLength(3);
    expect(plan.acquire.every((k) => !['s1', 's2', 's3'].includes(k))).toBe(true);
  });

  it('gives back streams beyond its share when a recorder joins', () => {
    const holders = new Map(universe.map((k, i) => [k, i < 3 ? 'a' : 'b']));
    const plan = planLeases({ self: 'a', universe, holders, live: 3 });
    expect(plan).toEqual({ acquire: [], release: [expect.any(String)] });
    expect(holders.get(plan.release[0]!)).toBe('a');
  });

  it('never plans to take a stream another recorder holds', () => {
    const holders = new Map(universe.map((k) => [k, 'x']));
    expect(planLeases({ self: 'a', universe, holders, live: 2 })).toEqual({ acquire: [], release: [] });
  });
});
