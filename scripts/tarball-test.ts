/**
 * The install test of the published package, as a new user meets it: `npm pack` (which builds), then for
 * each Node (the lowest that `engines` admits, fetched from the npm registry's `node` package into a temp
 * prefix, and the project's pinned Node 24) a scratch project installs the tarball with production
 * dependencies only and runs `npx argo-realtime --version`, `providers`, `schema`, `demo --duration 5`
 * (simulator, example strategy, paper broker, DuckDB file; offline), a `replay` of the demo's file with a
 * TypeScript strategy outside node_modules, a `.mjs` consumer running a session through the public API, and
 * `tsc` over a strict NodeNext `.ts` consumer. Prints `ok`/`not ok` per check and `N passed, N failed` last.
 *
 *   node scripts/tarball-test.ts                 lowest engines Node and the current (pinned) Node
 *   node scripts/tarball-test.ts --node 24.21.0  only that version (repeatable; `current` = this Node)
 *   node scripts/tarball-test.ts --keep          leave the scratch directories for inspection
 */
import { spawn } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { entryPoints, lowestNode, tarballProblems } from './tarball-files.ts';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const FIXTURES = path.join(ROOT, 'scripts', 'tarball-fixtures');
const pkg = JSON.parse(readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as {
  name: string; version: string; engines: { node: string }; devDependencies: Record<string, string>;
  bin?: Record<string, string>; exports?: Parameters<typeof entryPoints>[0]['exports'];
};

interface Run { readonly code: number | null; readonly out: string }

/** Runs `command` with `args`, collecting stdout+stderr; a run past `timeoutMs` is killed and reported as code null. */
const run = (command: string, args: readonly string[], options: { cwd: string; env: NodeJS.ProcessEnv; timeoutMs?: number }): Promise<Run> =>
  new Promise((resolve) => {
    const child = spawn(command, args, { cwd: options.cwd, env: options.env, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.setEncoding('utf8').on('data', (s: string) => { out += s; });
    child.stderr.setEncoding('utf8').on('data', (s: string) => { out += s; });
    const timeoutMs = options.timeoutMs ?? 180_000;
    const timer = setTimeout(() => { out += `\n[killed after ${timeoutMs} ms]`; child.kill('SIGKILL'); }, timeoutMs);
    child.on('error', (e) => { clearTimeout(timer); resolve({ code: null, out: out + String(e) }); });
    child.on('close', (code) => { clearTimeout(timer); resolve({ code, out }); });
  });

let passed = 0;
let failed = 0;
const check = (name: string, ok: boolean, detail: string): void => {
  if (ok) passed++;
  else failed++;
  console.log(`${ok ? 'ok' : 'not ok'} - ${name}`);
  if (!ok) console.log(detail.trim().split('\n').slice(-25).map((l) => `    ${l}`).join('\n'));
};

// What `npm run` adds for its own scripts (prefixes, package fields, lifecycle) or that would change how Node
// resolves modules must not reach the scratch project; certificates, proxies and the npm cache still do.
const LEAKY = /^(npm_(?!config_(cache|registry|userconfig)$)|INIT_CWD$|NODE_OPTIONS$|NODE_PATH$)/i;

/** This environment with `binDir` first on PATH, so `node`, `npm`/`npx` shebangs and the package's bin run on that Node. */
const envWith = (binDir: string): NodeJS.ProcessEnv => ({
  ...Object.fromEntries(Object.entries(process.env).filter(([k]) => !LEAKY.test(k))),
  PATH: `${binDir}${path.delimiter}${process.env.PATH ?? ''}`,
  NO_COLOR: '1',
});

/** The directory holding a `node` binary of `version` ('current' = this process's Node). */
const nodeBinDir = async (version: string, work: string): Promise<string> => {
  if (version === 'current') return path.dirname(process.execPath);
  const prefix = path.join(work, `node-${version}`);
  mkdirSync(prefix, { recursive: true });
  // The registry's `node` package installs the official binary (from its `node-bin` platform packages).
  const r = await run('npm', ['install', '--prefix', prefix, '--no-audit', '--no-fund', '--no-save', `node@${version}`], { cwd: prefix, env: envWith(path.dirname(process.execPath)) });
  const bin = path.join(prefix, 'node_modules', 'node', 'bin');
  if (r.code !== 0 || !existsSync(path.join(bin, 'node'))) throw new Error(`could not install node@${version}:\n${r.out}`);
  return bin;
};

const testOnNode = async (version: string, tarball: string, work: string): Promise<void> => {
  let bin: string;
  try {
    bin = await nodeBinDir(version, work);
  } catch (e) {
    check(`node ${version}: obtained from the registry`, false, String(e));
    return;
  }
  const env = envWith(bin);
  const actual = (await run('node', ['--version'], { cwd: work, env })).out.trim();
  const label = `node ${actual}`;
  const scratch = path.join(work, `scratch-${actual}`);
  mkdirSync(scratch, { recursive: true });
  writeFileSync(path.join(scratch, 'package.json'), JSON.stringify({ name: 'scratch', private: true, type: 'module' }, null, 2));
  for (const f of ['consumer.mjs', 'consumer.ts', 'my.strategy.ts']) copyFileSync(path.join(FIXTURES, f), path.join(scratch, f));
  const sh = (cmd: string, args: readonly string[], timeoutMs?: number) => run(cmd, args, { cwd: scratch, env, ...(timeoutMs ? { timeoutMs } : {}) });

  const install = await sh('npm', ['install', '--omit=dev', '--no-audit', '--no-fund', tarball]);
  check(`${label}: npm install --omit=dev of the tarball`, install.code === 0, install.out);
  if (install.code !== 0) return;

  const version_ = await sh('npx', ['argo-realtime', '--version']);
  check(`${label}: npx argo-realtime --version prints ${pkg.version}`, version_.code === 0 && version_.out.trim() === pkg.version, version_.out);

  const providers = await sh('npx', ['argo-realtime', 'providers']);
  check(`${label}: npx argo-realtime providers lists the providers`, providers.code === 0 && /binance-realtime/.test(providers.out) && /\bpaper\b/.test(providers.out), providers.out);

  const schema = await sh('npx', ['argo-realtime', 'schema']);
  const shipped = readFileSync(path.join(scratch, 'node_modules', pkg.name, 'schema', 'session-config.schema.json'), 'utf8');
  let same = false;
  try { same = JSON.stringify(JSON.parse(schema.out)) === JSON.stringify(JSON.parse(shipped)); } catch { same = false; }
  check(`${label}: npx argo-realtime schema prints the shipped schema file`, schema.code === 0 && same, schema.out.slice(0, 2_000));

  const demo = await sh('npx', ['argo-realtime', 'demo', '--duration', '5', '--db', 'demo.duckdb']);
  check(`${label}: npx argo-realtime demo --duration 5 stores every bar exactly once`,
    demo.code === 0 && /exactly once/.test(demo.out) && existsSync(path.join(scratch, 'demo.duckdb')), demo.out);

  const replay = await sh('npx', ['argo-realtime', 'replay', '--db', 'demo.duckdb', '--strategy', './my.strategy.ts', '--out', 'replay.duckdb']);
  check(`${label}: replay runs a .ts strategy outside node_modules importing argo-realtime/strategy`,
    replay.code === 0 && /fills 1\b/.test(replay.out), replay.out);

  const mjs = await sh('node', ['consumer.mjs'], 90_000);
  let result: { state?: string; bars?: number; fills?: number; errors?: unknown[]; defineStrategy?: string; minuteMs?: number; schemaPath?: string } = {};
  try { result = JSON.parse(mjs.out.trim().split('\n').at(-1) ?? '{}'); } catch { result = {}; }
  check(`${label}: a .mjs consumer runs a session through the public API`,
    mjs.code === 0 && result.state === 'stopped' && (result.bars ?? 0) >= 5 && (result.fills ?? 0) >= 1 && result.defineStrategy === 'function'
      && result.minuteMs === 60_000 && typeof result.schemaPath === 'string' && existsSync(result.schemaPath), mjs.out);

  // The consumer's own dev tools: TypeScript (the repo's version) and the types of the Node it runs on.
  const major = actual.replace(/^v/, '').split('.')[0];
  const tools = await sh('npm', ['install', '--no-audit', '--no-fund', '--save-dev', `typescript@${pkg.devDependencies.typescript}`, `@types/node@${major}`]);
  writeFileSync(path.join(scratch, 'tsconfig.json'), JSON.stringify({ compilerOptions: { module: 'nodenext', strict: true, noEmit: true }, include: ['consumer.ts', 'my.strategy.ts'] }, null, 2));
  const tsc = tools.code === 0 ? await sh('npx', ['tsc', '-p', '.']) : tools;
  check(`${label}: tsc (strict, NodeNext, no other flags) type-checks a .ts consumer and the strategy`, tsc.code === 0, tsc.out);
};

const main = async (): Promise<number> => {
  const args = process.argv.slice(2);
  const keep = args.includes('--keep');
  const requested = args.flatMap((a, i) => (a === '--node' && args[i + 1] ? [args[i + 1]!] : []));
  const nodes = requested.length > 0 ? requested : [lowestNode(pkg.engines.node), 'current'];
  const work = mkdtempSync(path.join(tmpdir(), 'argo-tarball-'));
  try {
    const pack = await run('npm', ['pack', '--json', '--pack-destination', work], { cwd: ROOT, env: { ...process.env, PATH: `${path.join(ROOT, 'node_modules', '.bin')}${path.delimiter}${process.env.PATH ?? ''}` } });
    let packed: { filename: string; files: { path: string }[] } | undefined;
    try { packed = (JSON.parse(pack.out.slice(pack.out.indexOf('[\n'))) as { filename: string; files: { path: string }[] }[])[0]; } catch { packed = undefined; }
    check('npm pack builds and packs the package', pack.code === 0 && packed !== undefined, pack.out);
    if (!packed) return 1;
    const problems = tarballProblems(packed.files.map((f) => f.path), entryPoints(pkg));
    check('the tarball ships the build, LICENSE, schema and examples, and no tests, benchmarks or CI files', problems.length === 0, problems.join('\n'));
    for (const version of nodes) await testOnNode(version, path.join(work, packed.filename), work);
  } finally {
    if (keep) console.log(`kept ${work}`);
    else rmSync(work, { recursive: true, force: true });
  }
  console.log(`${passed} passed, ${failed} failed`);
  return failed === 0 ? 0 : 1;
};

if (import.meta.main) process.exitCode = await main();
