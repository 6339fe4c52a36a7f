/**
 * Locating this package's own modules at run time, the same way from sources (`.ts`, run by Node's type
 * stripping during development) and from the build (`dist/**.js`, what an installed package runs): tsc
 * rewrites import specifiers but not the paths inside `new URL(..., import.meta.url)`.
 */
import { extname } from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * The custom export condition under which `argo-realtime` and `argo-realtime/strategy` resolve to the
 * TypeScript sources (package.json `exports`); used only when running from a clone.
 */
export const SOURCE_CONDITION = 'argo-realtime-source';

/** `specifier` (relative, without extension) next to the module at `base`, with that module's own extension. */
export const siblingModuleUrl = (specifier: string, base: string): URL =>
  new URL(`${specifier}${extname(fileURLToPath(base))}`, base);

/** True when the module at `base` is a TypeScript source rather than built JavaScript. */
export const runningFromSource = (base: string): boolean => extname(fileURLToPath(base)) === '.ts';

/**
 * Node options for a worker thread started from the module at `base`: from sources, the parent's options
 * plus the source condition, so code in the worker that imports `argo-realtime/strategy` (the examples)
 * gets the same sources as its host; from the build, Node's default (inherit the parent's).
 */
export const workerExecArgv = (base: string): string[] | undefined => {
  if (!runningFromSource(base)) return undefined;
  const flag = `--conditions=${SOURCE_CONDITION}`;
  return process.execArgv.includes(flag) ? [...process.execArgv] : [...process.execArgv, flag];
};
