import { describe, expect, it } from 'vitest';
import { ms } from '../../bench/support/report.ts';

describe('bench report figures', () => {
  it('formats milliseconds to three significant places at most', () => {
    expect(ms(1234.5)).toBe('1235');
    expect(ms(17.66)).toBe('17.7');
    expect(ms(1.234)).toBe('1.23');
  });

  it('shows a dash for a summary without samples (NaN, or null once it crossed a process as JSON)', () => {
    expect(ms(Number.NaN)).toBe('—');
    expect(ms(JSON.parse(JSON.stringify({ p99: Number.NaN })).p99)).toBe('—');
  });
});
