import { describe, expect, it } from 'vitest';
import { main } from '../../examples/session.ts';

describe('examples/session.ts', () => {
  it('runs the documented programmatic example to a stopped session with bars persisted', async () => {
    const summary = await main(2_500);
    expect(summary.state).toBe('stopped');
    expect(summary.bars).toBeGreaterThan(4);
    expect(summary.account?.currency).toBe('USD');
  });
});
