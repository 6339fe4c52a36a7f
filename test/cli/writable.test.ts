/**
 * The output-path check run before a session or an export opens anything: a path under a regular file, a
 * directory given as a file path, and missing directories (created later) are told apart, naming the key.
 */
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { checkWritable } from '../../src/cli/writable.ts';

const dir = mkdtempSync(join(tmpdir(), 'argo-writable-'));
const failure = (fn: () => void): { code?: string; message?: string } => {
  try {
    fn();
  } catch (e) {
    return e as { code: string; message: string };
  }
  return {};
};

describe('checkWritable', () => {
  it('accepts a new file under directories still to be created, and :memory:', () => {
    expect(() => checkWritable(join(dir, 'a', 'b', 'bars.duckdb'), 'session.storage_config.output_path')).not.toThrow();
    expect(() => checkWritable(':memory:', 'x')).not.toThrow();
  });

  it('names the key when a parent is a regular file or the path is a directory', () => {
    writeFileSync(join(dir, 'plain'), 'x');
    expect(failure(() => checkWritable(join(dir, 'plain', 'sub', 'bars.duckdb'), '--out'))).toMatchObject({
      code: 'CONFIG_INVALID', message: `--out: cannot create ${join(dir, 'plain', 'sub', 'bars.duckdb')}: ${join(dir, 'plain')} is not a directory`,
    });
    mkdirSync(join(dir, 'adir'));
    expect(failure(() => checkWritable(join(dir, 'adir'), 'session.storage_config.output_path'))).toMatchObject({
      code: 'CONFIG_INVALID', message: `session.storage_config.output_path: ${join(dir, 'adir')} is a directory; expected a file path`,
    });
    expect(() => checkWritable(join(dir, 'adir'), '--out', { directory: true })).not.toThrow();
  });
});
