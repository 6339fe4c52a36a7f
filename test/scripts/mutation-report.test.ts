import { describe, expect, it } from 'vitest';
import {
  failuresOf, mutantKey, renderReport, replaceRegion, REGION, scoreOf, survivorsOf,
  type MutationReport, type ReportMutant,
} from '../../scripts/mutation-report.ts';

const mutant = (status: string, line: number, mutatorName = 'EqualityOperator', replacement = 'a < b'): ReportMutant =>
  ({ status, mutatorName, replacement, location: { start: { line, column: 3 } } });

const report: MutationReport = {
  files: {
    'machines/b.machine.ts': { mutants: [mutant('Killed', 1), mutant('Timeout', 2), mutant('Survived', 9), mutant('NoCoverage', 4), mutant('CompileError', 5)] },
    'machines/a.machine.ts': { mutants: [mutant('Killed', 1), mutant('Killed', 2)] },
  },
};

describe('mutation report', () => {
  it('scores killed and timed-out mutants over all valid ones, leaving compile errors out', () => {
    expect(scoreOf(report.files['machines/b.machine.ts']!.mutants)).toEqual({ killed: 2, survived: 1, noCoverage: 1, score: 50 });
    expect(scoreOf([]).score).toBe(100);
  });

  it('lists live mutants in file and line order with the reason written for their replacement', () => {
    const survivors = survivorsOf(report, {
      'machines/b.machine.ts:9:3 EqualityOperator': { replacement: 'a < b', reason: 'the bound is never reached' },
      'machines/b.machine.ts:4:3 EqualityOperator': { replacement: 'a >= b', reason: 'written for another mutant' },
    });
    expect(survivors.map((s) => [s.key, s.reason])).toEqual([
      ['machines/b.machine.ts:4:3 EqualityOperator', undefined],
      ['machines/b.machine.ts:9:3 EqualityOperator', 'the bound is never reached'],
    ]);
  });

  it('fails on a score under the threshold and on every unexplained survivor', () => {
    const survivors = survivorsOf(report, {});
    expect(failuresOf(report, survivors)).toEqual([
      'machines/ scores 66.7%, under 90%',
      'no equivalence reason for machines/b.machine.ts:4:3 EqualityOperator ("a < b")',
      'no equivalence reason for machines/b.machine.ts:9:3 EqualityOperator ("a < b")',
    ]);
  });

  it('passes a report whose score meets the threshold and whose survivors are all explained', () => {
    const good: MutationReport = { files: { 'machines/a.machine.ts': { mutants: [...Array.from({ length: 9 }, (_, i) => mutant('Killed', i)), mutant('Survived', 20)] } } };
    const survivors = survivorsOf(good, { [mutantKey('machines/a.machine.ts', mutant('Survived', 20))]: { replacement: 'a < b', reason: 'equal at the bound' } });
    expect(failuresOf(good, survivors)).toEqual([]);
    expect(renderReport(good, survivors)).toContain('| `machines/a.machine.ts:20:3` | EqualityOperator | `a < b` | equal at the bound |');
  });

  it('matches each of several reasons kept under one key to the replacement it was written for', () => {
    const two: MutationReport = { files: { 'machines/a.machine.ts': { mutants: [mutant('Survived', 7, 'EqualityOperator', 'a <= b'), mutant('Survived', 7, 'EqualityOperator', 'a >= b')] } } };
    const survivors = survivorsOf(two, {
      'machines/a.machine.ts:7:3 EqualityOperator': [{ replacement: 'a >= b', reason: 'upper' }, { replacement: 'a <= b', reason: 'lower' }],
    });
    expect(survivors.map((s) => s.reason)).toEqual(['lower', 'upper']);
  });

  it('holds each exactness-critical src module to 80 % on its own, and skips a module the run did not mutate', () => {
    const low: MutationReport = {
      files: {
        'src/storage/known-keys.ts': { mutants: [...Array.from({ length: 7 }, (_, i) => mutant('Killed', i)), mutant('NoCoverage', 8), mutant('NoCoverage', 9), mutant('NoCoverage', 10)] },
        'src/risk/risk-engine.ts': { mutants: [mutant('Killed', 1)] },
      },
    };
    const reasons = Object.fromEntries([8, 9, 10].map((line) => [mutantKey('src/storage/known-keys.ts', mutant('NoCoverage', line)), { replacement: 'a < b', reason: 'x' }]));
    expect(failuresOf(low, survivorsOf(low, reasons))).toEqual(['src/storage/known-keys.ts scores 70.0%, under 80%']);
  });

  it('replaces only the generated region of the document', () => {
    const text = `intro\n${REGION.begin}\nold\n${REGION.end}\noutro\n`;
    expect(replaceRegion(text, 'new\n')).toBe(`intro\n${REGION.begin}\nnew\n${REGION.end}\noutro\n`);
    expect(() => replaceRegion('no markers', 'x')).toThrow(/lacks the markers/);
  });
});
