/**
 * Builds the package into `dist/`: tsc with `tsconfig.build.json` (JS, declarations, declaration maps and
 * source maps of src/, machines/ and examples/), then rewrites the relative `.ts` specifiers that tsc
 * leaves in declaration files to `.js` (microsoft/TypeScript#61037: `rewriteRelativeImportExtensions`
 * rewrites emitted JS only), so a consumer's strict NodeNext `tsc` reads them without TS5097. Same-length
 * rewrite: the declaration maps stay exact.
 *
 *   node scripts/build.ts        (npm run build; also `prepare`, so `npm pack` and git installs build)
 */
import { spawnSync } from 'node:child_process';
import { chmodSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const DIST = path.join(ROOT, 'dist');

/** `from './x.ts'`, `import('./x.ts')`, `export * from '../y.ts'` → `.js`; bare specifiers are left alone. */
export const rewriteDeclarationSpecifiers = (text: string): string =>
  text.replace(/((?:\bfrom|\bimport\()\s*)(['"])(\.{1,2}\/[^'"\n]*?)\.(m|c)?ts\2/g, (_m, lead: string, q: string, p: string, mc: string | undefined) =>
    `${lead}${q}${p}.${mc ?? ''}js${q}`);

const declarationFiles = (dir: string): string[] =>
  readdirSync(dir, { withFileTypes: true, recursive: true })
    .filter((e) => e.isFile() && e.name.endsWith('.d.ts'))
    .map((e) => path.join(e.parentPath, e.name));

const main = (): number => {
  rmSync(DIST, { recursive: true, force: true });
  const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc');
  const result = spawnSync(process.execPath, [tsc, '-p', path.join(ROOT, 'tsconfig.build.json')], { stdio: 'inherit' });
  if (result.status !== 0) return result.status ?? 1;
  let rewritten = 0;
  for (const file of declarationFiles(DIST)) {
    const before = readFileSync(file, 'utf8');
    const after = rewriteDeclarationSpecifiers(before);
    if (after !== before) {
      writeFileSync(file, after);
      rewritten++;
    }
  }
  chmodSync(path.join(DIST, 'src', 'cli', 'main.js'), 0o755);
  console.log(`built dist/ (${rewritten} declaration files had .ts specifiers rewritten to .js)`);
  return 0;
};

if (import.meta.main) process.exitCode = main();
