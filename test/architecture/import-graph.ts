/**
 * The project's import graph, read with TypeScript's own pre-parser (`ts.preProcessFile`: static and dynamic
 * imports, re-exports, `import type`), and the two layer rules over it: what `machines/` may import, and the
 * cycles between the top-level folders of `src/`.
 */
import fs from 'node:fs';
import path from 'node:path';
import ts from 'typescript';

/** One import: the importing file and the specifier it names, resolved to a root-relative path when relative. */
export interface ImportEdge {
  readonly from: string;
  readonly specifier: string;
  /** Root-relative POSIX path of the target for relative specifiers; undefined for packages (`xstate`, `node:fs`). */
  readonly target?: string;
}

/** Every `.ts` file under `dirs` (relative to `root`), as root-relative POSIX paths, sorted. */
export const tsFilesUnder = (root: string, dirs: readonly string[]): string[] => {
  const out: string[] = [];
  const walk = (dir: string): void => {
    for (const entry of fs.readdirSync(path.join(root, dir), { withFileTypes: true })) {
      const rel = path.posix.join(dir, entry.name);
      if (entry.isDirectory()) walk(rel);
      else if (entry.name.endsWith('.ts')) out.push(rel);
    }
  };
  for (const dir of dirs) walk(dir);
  return out.sort();
};

/** The import specifiers of one file's source text, resolved against the file's root-relative path. */
export const importsOf = (file: string, text: string): ImportEdge[] =>
  ts.preProcessFile(text, true, true).importedFiles.map(({ fileName }) =>
    fileName.startsWith('.')
      ? { from: file, specifier: fileName, target: path.posix.normalize(path.posix.join(path.posix.dirname(file), fileName)) }
      : { from: file, specifier: fileName });

/** Every import of every file in `files`, read from disk under `root`. */
export const importGraph = (root: string, files: readonly string[]): ImportEdge[] =>
  files.flatMap((file) => importsOf(file, fs.readFileSync(path.join(root, file), 'utf8')));

/** Packages the pure machines may import. */
export const MACHINE_PACKAGES: readonly string[] = ['xstate'];

/** Whether a machine file may import `edge`: other machines and their lib, the domain, the error type, xstate. */
export const machineMayImport = (edge: ImportEdge): boolean =>
  edge.target === undefined
    ? MACHINE_PACKAGES.includes(edge.specifier)
    : edge.target.startsWith('machines/') || edge.target.startsWith('src/domain/') || edge.target === 'src/errors.ts';

/** The layer of a path in `src/`: its top-level folder (`src/config`), or the file itself when it sits in `src/`. */
export const layerOf = (file: string): string | undefined => {
  const parts = file.split('/');
  if (parts[0] !== 'src') return undefined;
  return parts.length > 2 ? `src/${parts[1]}` : file;
};

/** Strongly connected groups of more than one layer (Tarjan), each sorted, with one importing file per edge. */
export const layerCycles = (edges: readonly ImportEdge[]): { layers: string[]; via: string[] }[] => {
  const next = new Map<string, Map<string, string>>();
  for (const edge of edges) {
    const a = layerOf(edge.from);
    const b = edge.target === undefined ? undefined : layerOf(edge.target);
    if (a === undefined || b === undefined || a === b) continue;
    if (!next.has(a)) next.set(a, new Map());
    if (!next.has(b)) next.set(b, new Map());
    const out = next.get(a)!;
    if (!out.has(b)) out.set(b, `${edge.from} -> ${edge.target}`);
  }
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const groups: string[][] = [];
  let counter = 0;
  const visit = (v: string): void => {
    index.set(v, counter);
    low.set(v, counter++);
    stack.push(v);
    onStack.add(v);
    for (const w of next.get(v)!.keys()) {
      if (!index.has(w)) {
        visit(w);
        low.set(v, Math.min(low.get(v)!, low.get(w)!));
      } else if (onStack.has(w)) low.set(v, Math.min(low.get(v)!, index.get(w)!));
    }
    if (low.get(v) === index.get(v)) {
      const group: string[] = [];
      let w: string;
      do {
        w = stack.pop()!;
        onStack.delete(w);
        group.push(w);
      } while (w !== v);
      if (group.length > 1) groups.push(group.sort());
    }
  };
  for (const v of [...next.keys()].sort()) if (!index.has(v)) visit(v);
  return groups.map((layers) => ({
    layers,
    via: layers.flatMap((a) => [...next.get(a)!].filter(([b]) => layers.includes(b)).map(([, file]) => file)),
  }));
};
