/**
 * What the packed tarball must and must not hold, and the lowest Node version an `engines` range admits: the
 * pure parts of the tarball test (scripts/tarball-test.ts), unit-tested in test/scripts/tarball-files.test.ts.
 */

/** Files a user runs or reads that must be in the tarball, besides every `bin` and `exports` target. */
export const REQUIRED_FILES = [
  'package.json', 'README.md', 'LICENSE', 'schema/session-config.schema.json',
  'dist/src/strategy/worker.js', 'dist/src/index.d.ts.map', 'dist/examples/ma-cross.strategy.js', 'docs/configuration.md',
] as const;

// Development-only trees and files: tests and their fixtures, benchmarks, CI, build scripts, local data.
const FORBIDDEN = [/^test\//, /^bench\//, /^\.ci\//, /^scripts\//, /^node_modules\//, /^data\//, /^coverage\//, /\.duckdb(\.wal)?$/, /\.tgz$/, /\.tsbuildinfo$/, /^vitest\.config\./, /^tsconfig[^/]*\.json$/];

type Exports = string | { readonly [key: string]: Exports };

const targets = (exports: Exports | undefined): string[] =>
  exports === undefined ? [] : typeof exports === 'string' ? [exports] : Object.values(exports).flatMap(targets);

/** Every file `package.json` points a user at (`bin`, and `exports` targets other than the source condition). */
export const entryPoints = (pkg: { readonly bin?: Readonly<Record<string, string>>; readonly exports?: Exports }): string[] => {
  const exported = typeof pkg.exports === 'object'
    ? Object.values(pkg.exports).flatMap((e) => (typeof e === 'object' ? Object.entries(e).filter(([c]) => c !== 'argo-realtime-source').flatMap(([, t]) => targets(t)) : targets(e)))
    : targets(pkg.exports);
  return [...Object.values(pkg.bin ?? {}), ...exported].map((p) => p.replace(/^\.\//, ''));
};

/** Problems with a tarball listing (paths relative to the package root); empty when it is right. */
export const tarballProblems = (files: readonly string[], entries: readonly string[] = []): string[] => {
  const have = new Set(files);
  return [
    ...[...REQUIRED_FILES, ...entries].filter((f) => !have.has(f)).map((f) => `missing ${f}`),
    ...files.filter((f) => FORBIDDEN.some((re) => re.test(f))).map((f) => `should not ship ${f}`),
  ];
};

/** The lowest `x.y.z` named in an `engines.node` range such as `^22.18.0 || >=23.6.0`. */
export const lowestNode = (range: string): string => {
  const versions = [...range.matchAll(/(\d+)\.(\d+)\.(\d+)/g)].map((m) => [Number(m[1]), Number(m[2]), Number(m[3])] as const);
  if (versions.length === 0) throw new Error(`engines.node names no x.y.z version: ${range}`);
  versions.sort((a, b) => a[0] - b[0] || a[1] - b[1] || a[2] - b[2]);
  return versions[0]!.join('.');
};
