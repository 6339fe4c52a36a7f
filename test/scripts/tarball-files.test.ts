import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { entryPoints, lowestNode, REQUIRED_FILES, tarballProblems } from '../../scripts/tarball-files.ts';

const pkg = JSON.parse(readFileSync('package.json', 'utf8')) as Parameters<typeof entryPoints>[0] & { engines: { node: string }; files: string[] };

describe('lowestNode', () => {
  it('picks the lowest version of a range with alternatives', () => {
    expect(lowestNode('^22.18.0 || >=23.6.0')).toBe('22.18.0');
    expect(lowestNode('>=24.1.0 || ^22.9.10')).toBe('22.9.10');
  });

  it('refuses a range that names no full version', () => {
    expect(() => lowestNode('>=22')).toThrow(/no x\.y\.z/);
  });
});

describe('package.json entry points', () => {
  it('point a user only at built files, each with its declarations', () => {
    const entries = entryPoints(pkg);
    expect(entries).toContain('dist/src/cli/main.js');
    expect(entries).toContain('dist/src/index.d.ts');
    expect(entries).toContain('dist/src/strategy/authoring.d.ts');
    for (const entry of entries) expect(entry, entry).toMatch(/^(dist\/.*\.(js|d\.ts)|schema\/.*\.json|package\.json)$/);
  });

  it('state the lowest Node as a range the tarball test can install', () => {
    expect(lowestNode(pkg.engines.node)).toMatch(/^22\.\d+\.\d+$/);
  });
});

describe('tarballProblems', () => {
  const good = [...REQUIRED_FILES, 'dist/src/cli/main.js', 'src/index.ts', 'examples/binance.yaml'];

  it('accepts a listing with the required files and nothing from development', () => {
    expect(tarballProblems(good, ['dist/src/cli/main.js'])).toEqual([]);
  });

  it('reports a missing entry point and development files', () => {
    expect(tarballProblems([...good, 'test/cli/helpers.ts', 'bench/run.ts', '.ci/run', 'data/demo.duckdb', 'tsconfig.build.json'], ['dist/src/index.js'])).toEqual([
      'missing dist/src/index.js',
      'should not ship test/cli/helpers.ts', 'should not ship bench/run.ts', 'should not ship .ci/run', 'should not ship data/demo.duckdb',
      'should not ship tsconfig.build.json',
    ]);
  });
});
