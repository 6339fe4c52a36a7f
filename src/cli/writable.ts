/**
 * A check, before a command opens anything, that an output path can be written: the nearest existing directory
 * on its way must be a writable directory, and the file itself, when it exists, writable. A read-only directory
 * is then reported as such, naming the config key or flag, instead of as DuckDB's or mkdir's error later.
 */
import { accessSync, constants, statSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { realtimeError } from '../errors.ts';

const reason = (e: unknown): string => {
  const code = (e as NodeJS.ErrnoException).code;
  return code === 'EROFS' ? 'is on a read-only file system' : code === 'EACCES' || code === 'EPERM' ? 'is read-only for this user' : `cannot be written (${code ?? String(e)})`;
};

const writable = (path: string): unknown => {
  try {
    accessSync(path, constants.W_OK);
    return undefined;
  } catch (e) {
    return e;
  }
};

/** Throws CONFIG_INVALID naming `key` (e.g. `session.storage_config.output_path` or `--out`) when `path` cannot be written. */
export const checkWritable = (path: string, key: string, options: { readonly directory?: boolean } = {}): void => {
  if (path === ':memory:') return;
  const target = resolve(path);
  const fail = (message: string, at: string) => {
    throw realtimeError('CONFIG_INVALID', `${key}: ${message}`, { fields: [key], path: at });
  };
  const existing = statSync(target, { throwIfNoEntry: false });
  if (existing && !options.directory) {
    if (existing.isDirectory()) fail(`${target} is a directory; expected a file path`, target);
    const e = writable(target);
    if (e) fail(`the file ${target} ${reason(e)}`, target);
    return;
  }
  // A missing directory is created: the nearest one that exists must let us create entries in it.
  let dir = existing ? target : options.directory ? target : dirname(target);
  let stat = statSync(dir, { throwIfNoEntry: false });
  while (!stat && dirname(dir) !== dir) {
    dir = dirname(dir);
    stat = statSync(dir, { throwIfNoEntry: false });
  }
  if (stat && !stat.isDirectory()) fail(`cannot create ${target}: ${dir} is not a directory`, dir);
  const e = writable(dir);
  if (e) fail(`cannot write to ${target}: the directory ${dir} ${reason(e)}; choose a writable location or change its permissions`, dir);
};
