/**
 * The modules a file loads when it is imported: its static value imports, followed transitively. Type-only
 * imports (erased at run time) and dynamic `import()` (loaded only when run) are not followed; read with
 * TypeScript's parser, so `import type`, `import { type X }` and `export type` are told apart from values.
 */
import fs from 'node:fs';
import path from 'node:path';
import ts from 'typescript';

/** The relative specifiers `file` imports for their values at load time. */
export const staticValueImports = (file: string, text: string): string[] => {
  const source = ts.createSourceFile(file, text, ts.ScriptTarget.Latest, false, ts.ScriptKind.TS);
  const out: string[] = [];
  for (const node of source.statements) {
    if (ts.isImportDeclaration(node) && ts.isStringLiteral(node.moduleSpecifier)) {
      const clause = node.importClause;
      if (clause?.isTypeOnly) continue;
      const named = clause?.namedBindings;
      // `import { type A, type B } from` loads nothing; a side-effect import or any value binding loads the module.
      const onlyTypes = clause !== undefined && clause.name === undefined && named !== undefined && ts.isNamedImports(named)
        && named.elements.length > 0 && named.elements.every((e) => e.isTypeOnly);
      if (!onlyTypes) out.push(node.moduleSpecifier.text);
    } else if (ts.isExportDeclaration(node) && node.moduleSpecifier && ts.isStringLiteral(node.moduleSpecifier) && !node.isTypeOnly) {
      const clause = node.exportClause;
      const onlyTypes = clause !== undefined && ts.isNamedExports(clause) && clause.elements.length > 0 && clause.elements.every((e) => e.isTypeOnly);
      if (!onlyTypes) out.push(node.moduleSpecifier.text);
    }
  }
  return out;
};

/** Every project file (relative to `root`) loaded by importing `entry`, the entry included. */
export const loadedModules = (root: string, entry: string): Set<string> => {
  const seen = new Set<string>();
  const visit = (file: string) => {
    if (seen.has(file)) return;
    seen.add(file);
    const text = fs.readFileSync(path.join(root, file), 'utf8');
    for (const spec of staticValueImports(file, text)) {
      if (!spec.startsWith('.')) continue;
      visit(path.posix.normalize(path.posix.join(path.posix.dirname(file), spec)));
    }
  };
  visit(entry);
  return seen;
};
