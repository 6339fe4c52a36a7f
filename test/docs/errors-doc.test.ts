import { readFileSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { ERRORS_DOC, renderErrorDocs } from '../../scripts/gen-error-docs.ts';
import { EXIT_BY_ERROR_CODE, EXIT_CODE_DOCS } from '../../src/cli/exit-codes.ts';
import { ERROR_CODE_LIST, ERROR_CODES } from '../../src/error-codes.ts';

describe('docs/errors.md', () => {
  it('holds what the error code table generates', () => {
    expect(readFileSync(ERRORS_DOC, 'utf8'), 'stale: run `npm run docs:errors`').toBe(renderErrorDocs());
  });

  it('lists every code with its retry rule, cause and action, and every code has an exit code', () => {
    const doc = readFileSync(ERRORS_DOC, 'utf8');
    const exitCodes = new Set(EXIT_CODE_DOCS.map((e) => e.code));
    for (const code of ERROR_CODE_LIST) {
      const { retryable, summary, action } = ERROR_CODES[code];
      expect(doc, code).toContain(`| \`${code}\` | ${retryable ? 'yes' : 'no'} | ${EXIT_BY_ERROR_CODE[code]} |`);
      expect(summary.length > 0 && action.length > 0, code).toBe(true);
      expect(exitCodes.has(EXIT_BY_ERROR_CODE[code]), code).toBe(true);
      expect(EXIT_CODE_DOCS.find((e) => e.code === EXIT_BY_ERROR_CODE[code])!.errorCodes, code).toContain(code);
    }
    expect(Object.keys(EXIT_BY_ERROR_CODE).sort()).toEqual([...ERROR_CODE_LIST].sort());
  });
});

describe('the error contract in the code', () => {
  it('casts no value to an error code: codes are typed end to end', () => {
    // git grep exits 1 when nothing matches, which is what the contract wants.
    const hits = (() => {
      try {
        return execFileSync('git', ['grep', '-n', '-E', "as (RealtimeError\\['code'\\]|ErrorCode\\b)", '--', 'src', 'machines'], { encoding: 'utf8' });
      } catch (e) {
        if ((e as { status?: number }).status === 1) return '';
        throw e;
      }
    })();
    expect(hits).toBe('');
  });
});
