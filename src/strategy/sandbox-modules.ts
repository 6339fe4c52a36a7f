/**
 * How a sandboxed strategy imports code: only relative or absolute `.ts`/`.mts`/`.js`/`.mjs` files inside the
 * strategy's own project (the nearest folder above it with a `package.json`) or inside this package, read by
 * the trusted worker and handed to QuickJS as source (TypeScript stripped by Node's `stripTypeScriptTypes`).
 * `node:` built-ins and npm packages are refused, except `argo-realtime` itself, which resolves to a small
 * built-in module exporting the runtime values of `argo-realtime/strategy` (`defineStrategy`, the interval helpers).
 */
import { existsSync, readFileSync, realpathSync } from 'node:fs';
import { stripTypeScriptTypes } from 'node:module';
import { dirname, extname, isAbsolute, join, relative, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The name under which the built-in `argo-realtime` module is loaded. */
export const BUILTIN_MODULE = 'argo-realtime:strategy';

const REFUSED = 'argo-realtime:refused:';
// The same runtime values as `argo-realtime/strategy` (authoring.ts): defineStrategy and the interval helpers,
// the latter loaded from the package's own pure domain module (no imports of its own).
const INTERVAL_MODULE = join(dirname(fileURLToPath(import.meta.url)), '..', 'domain', `interval${extname(fileURLToPath(import.meta.url))}`);
const BUILTIN_SOURCE = 'export const defineStrategy = (strategy) => strategy;\n' +
  `export { INTERVALS, bucketEnd, bucketStart, intervalMs, isInterval, nextBucketStart, parseInterval } from ${JSON.stringify(INTERVAL_MODULE)};\n`;
const PACKAGE_NAMES = new Set(['argo-realtime', 'argo-realtime/strategy']);
const EXTENSIONS = new Set(['.ts', '.mts', '.js', '.mjs']);

// This file lives in src/strategy/ (or dist/strategy/): two folders up is the package root.
const PACKAGE_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');

/** The nearest folder at or above `dir` that holds a `package.json`, or `dir` itself when there is none. */
export const projectRoot = (dir: string): string => {
  for (let at = dir; ; at = dirname(at)) {
    if (existsSync(join(at, 'package.json'))) return at;
    if (dirname(at) === at) return dir;
  }
};

const inside = (root: string, path: string): boolean => {
  const rel = relative(root, path);
  return rel === '' || (!rel.startsWith(`..${sep}`) && rel !== '..' && !isAbsolute(rel));
};

/** The module resolution of one sandboxed strategy. */
export interface SandboxModules {
  /** Folders whose files may be imported. */
  readonly roots: readonly string[];
  /** Resolves `requested` from the module `base` to a module name, or throws with the reason. */
  normalize(base: string, requested: string): string;
  /** The JavaScript source of module `name`, or throws with the reason. */
  load(name: string): string;
}

/** Module resolution for the strategy at `strategyPath` (absolute). */
export const sandboxModules = (strategyPath: string): SandboxModules => {
  const roots = [...new Set([projectRoot(dirname(strategyPath)), PACKAGE_ROOT].map((r) => realpathSync(r)))];
  const normalize = (base: string, requested: string): string => {
    if (PACKAGE_NAMES.has(requested)) return BUILTIN_MODULE;
    // QuickJS does not pass a normaliser's error on; the refusal is carried to `load`, which throws it.
    if (!requested.startsWith('./') && !requested.startsWith('../') && !requested.startsWith('/')) return `${REFUSED}${requested}`;
    return resolve(dirname(base), requested);
  };
  const load = (name: string): string => {
    if (name === BUILTIN_MODULE) return BUILTIN_SOURCE;
    if (name.startsWith(REFUSED)) {
      throw new Error(`cannot import "${name.slice(REFUSED.length)}": a sandboxed strategy may import only relative .ts/.js files ` +
        '(no node: built-ins, no npm packages); run it with isolation: trusted if it needs them');
    }
    const ext = extname(name);
    if (!EXTENSIONS.has(ext)) throw new Error(`cannot import "${name}": only .ts, .mts, .js and .mjs files can be imported`);
    let real: string;
    try {
      real = realpathSync(name);
    } catch {
      throw new Error(`cannot import "${name}": file not found`);
    }
    if (!roots.some((root) => inside(root, real))) {
      throw new Error(`cannot import "${name}": outside the strategy's project (${roots.join(', ')})`);
    }
    const source = readFileSync(real, 'utf8');
    return ext === '.ts' || ext === '.mts' ? stripTypeScriptTypes(source, { mode: 'strip' }) : source;
  };
  return { roots, normalize, load };
};
