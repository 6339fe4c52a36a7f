import { describe, expect, it } from 'vitest';
import { fileURLToPath } from 'node:url';
import { importGraph, importsOf, layerCycles, machineMayImport, tsFilesUnder } from './import-graph.ts';

const root = fileURLToPath(new URL('../..', import.meta.url));
const graph = importGraph(root, tsFilesUnder(root, ['src', 'machines']));

describe('layers', () => {
  it('reads every import form: static, type-only, re-export and dynamic', () => {
    const text = [
      "import { a } from './a.ts';",
      "import type { B } from '../domain/b.ts';",
      "export * from '../../machines/c.machine.ts';",
      "const d = await import('./d.ts');",
      "import { setup } from 'xstate';",
    ].join('\n');
    expect(importsOf('src/x/y.ts', text).map((e) => e.target ?? e.specifier))
      .toEqual(['src/x/a.ts', 'src/domain/b.ts', 'machines/c.machine.ts', 'src/x/d.ts', 'xstate']);
  });

  it('finds the files of both trees', () => {
    const files = new Set(graph.map((e) => e.from));
    expect(files).toContain('machines/connection.machine.ts');
    expect(files).toContain('src/session/session.ts');
  });

  it('lets the machines import only the domain, the error type, other machines and xstate', () => {
    const outside = graph.filter((e) => e.from.startsWith('machines/') && !machineMayImport(e));
    expect(outside.map((e) => `${e.from} imports ${e.specifier}`)).toEqual([]);
  });

  it('refuses a machine import of a provider, a trading module or another package', () => {
    const edges = importsOf('machines/x.machine.ts', [
      "import type { S } from '../src/providers/realtime-provider.ts';",
      "import { a } from '../src/trading/paper/account.ts';",
      "import * as fs from 'node:fs';",
      "import { barProblem } from '../src/domain/bar.ts';",
    ].join('\n'));
    expect(edges.map(machineMayImport)).toEqual([false, false, false, true]);
  });

  it('has no import cycle between the top-level folders of src', () => {
    expect(layerCycles(graph)).toEqual([]);
  });

  it('sees a cycle planted in the real graph: a provider importing the session config', () => {
    // src/config imports the providers' config schemas, so one import back closes a cycle the check must report.
    const planted = importsOf('src/providers/registry.ts', "import type { SessionConfig } from '../config/session-config.ts';");
    const cycles = layerCycles([...graph, ...planted]);
    expect(cycles.length).toBe(1);
    expect(cycles[0]!.layers).toEqual(expect.arrayContaining(['src/config', 'src/providers']));
    expect(cycles[0]!.via).toContain('src/providers/registry.ts -> src/config/session-config.ts');
  });

  it('reports a cycle between two folders with the files that close it', () => {
    const edges = [
      ...importsOf('src/config/a.ts', "import { p } from '../providers/p.ts';"),
      ...importsOf('src/providers/p.ts', "import { t } from '../config/tools.ts';"),
      ...importsOf('src/session/s.ts', "import { p } from '../providers/p.ts';"),
    ];
    expect(layerCycles(edges)).toEqual([{
      layers: ['src/config', 'src/providers'],
      via: ['src/config/a.ts -> src/providers/p.ts', 'src/providers/p.ts -> src/config/tools.ts'],
    }]);
  });
});
