/**
 * Generates the machine documentation from the machine definitions themselves, so the docs cannot drift:
 * a Mermaid `stateDiagram-v2` per machine into `docs/machines.md`, and a table of every event each machine
 * accepts and emits into `docs/events.md`. Every `machines/*.machine.ts` file is picked up; output is sorted
 * and free of timestamps. The parts live in scripts/machine-docs/: `load.ts` (finding the machines),
 * `graph.ts` (edges and labels), `mermaid.ts` (diagram text), `events.ts` (event unions), `markdown.ts`
 * (the generated regions).
 *
 *   node scripts/gen-machine-docs.ts           rewrite the generated regions
 *   node scripts/gen-machine-docs.ts --check   exit 1 when a committed region is stale
 */
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { ROOT } from './machine-docs/load.ts';
import { EVENTS_REGION, MACHINES_REGION, readRegion, renderEventDocs, renderMachineDocs, replaceRegion, type Region } from './machine-docs/markdown.ts';

const main = async (args: readonly string[]): Promise<number> => {
  const check = args.includes('--check');
  const jobs: [Region, string][] = [[MACHINES_REGION, await renderMachineDocs()], [EVENTS_REGION, await renderEventDocs()]];
  let stale = 0;
  for (const [region, content] of jobs) {
    const rel = path.relative(ROOT, region.file);
    const text = await readFile(region.file, 'utf8');
    if (readRegion(text, region) === content) continue;
    if (check) {
      stale++;
      console.error(`${rel}: generated region is stale; run \`npm run docs:machines\``);
    } else {
      await writeFile(region.file, replaceRegion(text, region, content));
      console.log(`${rel}: updated`);
    }
  }
  if (check && stale === 0) console.log('machine docs are up to date');
  return stale > 0 ? 1 : 0;
};

if (process.argv[1] && import.meta.url === pathToFileURL(path.resolve(process.argv[1])).href) {
  main(process.argv.slice(2)).then((code) => { process.exitCode = code; }, (e: unknown) => {
    console.error(e);
    process.exitCode = 2;
  });
}
