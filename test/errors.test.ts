import { describe, expect, it } from 'vitest';
import { EXIT, exitCodeFor } from '../src/cli/exit-codes.ts';
import { ERROR_CODE_LIST, errorCodeOf } from '../src/error-codes.ts';
import { decodeRealtimeError, ERROR_CODES, isRealtimeError, realtimeError, RealtimeError } from '../src/errors.ts';

describe('RealtimeError', () => {
  it('carries the seed code, its retryable classification and data, and serialises to JSON with all of them', () => {
    const e = realtimeError('WRITE_FAILED', 'flush failed', { rows: 3 });
    expect(e).toBeInstanceOf(RealtimeError);
    expect(e).toBeInstanceOf(Error);
    expect(e.retryable).toBe(true);
    expect(JSON.parse(JSON.stringify(e))).toEqual({ _tag: 'RealtimeError', code: 'WRITE_FAILED', message: 'flush failed', retryable: true, data: { rows: 3 } });
    expect(realtimeError('AUTHENTICATION_FAILED', 'bad key').retryable).toBe(false);
    expect(realtimeError('CONNECTION_FAILED', 'gave up').retryable).toBe(false);
  });

  it('classifies every seed code as retryable or fatal', () => {
    for (const code of ['CONNECTION_FAILED', 'CONNECTION_LOST', 'AUTHENTICATION_FAILED', 'SUBSCRIPTION_FAILED', 'INVALID_SYMBOL', 'RATE_LIMITED', 'INVALID_MESSAGE', 'WRITE_FAILED', 'BUFFER_OVERFLOW'] as const) {
      expect(typeof ERROR_CODES[code].retryable).toBe('boolean');
    }
    expect(ERROR_CODES.INVALID_SYMBOL.retryable).toBe(false);
    expect(ERROR_CODES.RATE_LIMITED.retryable).toBe(true);
  });

  it('is recognised after crossing a JSON or worker boundary as a plain object', () => {
    const plain = JSON.parse(JSON.stringify(realtimeError('RATE_LIMITED', 'slow down')));
    expect(isRealtimeError(plain)).toBe(true);
    expect(isRealtimeError(new Error('x'))).toBe(false);
    expect(isRealtimeError({ _tag: 'Other', code: 'X' })).toBe(false);
  });

  it('takes retryable from the code\'s rule in the table for every code', () => {
    for (const code of ERROR_CODE_LIST) expect(realtimeError(code, 'x').retryable, code).toBe(ERROR_CODES[code].retryable);
  });

  it('reads an unknown code from a JSON boundary back as UNKNOWN_ERROR, keeping the original code', () => {
    const plain = { ...JSON.parse(JSON.stringify(realtimeError('WRITE_FAILED', 'from a newer worker', { rows: 2 }))), code: 'DISK_ON_FIRE', retryable: true };
    expect(isRealtimeError(plain)).toBe(false);
    expect(decodeRealtimeError(plain)).toEqual({
      _tag: 'RealtimeError', code: 'UNKNOWN_ERROR', retryable: false, message: 'from a newer worker', data: { rows: 2, code: 'DISK_ON_FIRE' },
    });
    expect(exitCodeFor(plain)).toBe(EXIT.failure);
    const known = JSON.parse(JSON.stringify(realtimeError('AUTHENTICATION_FAILED', 'bad key')));
    expect(decodeRealtimeError(known)).toEqual(known);
    expect(exitCodeFor(known)).toBe(EXIT.auth);
    expect(decodeRealtimeError(new Error('plain'))).toBeUndefined();
    expect(errorCodeOf('CONFIG_INVALID')).toBe('CONFIG_INVALID');
    expect(errorCodeOf('toString')).toBe('UNKNOWN_ERROR');
    expect(errorCodeOf(42, 'INTERNAL_ERROR')).toBe('INTERNAL_ERROR');
  });
});

