import { describe, expect, it } from 'vitest';
import { rewriteDeclarationSpecifiers } from '../../scripts/build.ts';

describe('rewriteDeclarationSpecifiers', () => {
  it('rewrites relative .ts specifiers of imports, re-exports and import types to .js', () => {
    const input = [
      "import type { Bar } from '../domain/bar.ts';",
      'export * from "./observability/index.ts";',
      "export declare const x: import('./y.mts').Y;",
      "import { a } from './z.cts';",
    ].join('\n');
    expect(rewriteDeclarationSpecifiers(input)).toBe([
      "import type { Bar } from '../domain/bar.js';",
      'export * from "./observability/index.js";',
      "export declare const x: import('./y.mjs').Y;",
      "import { a } from './z.cjs';",
    ].join('\n'));
  });

  it('leaves bare specifiers, .d.ts-free text and comments mentioning files alone', () => {
    const input = "import type { WebSocket } from 'ws';\n/** see src/x.ts */\nimport { y } from 'pkg/file.ts';";
    expect(rewriteDeclarationSpecifiers(input)).toBe(input);
  });

  it('keeps every line the same length, so declaration maps stay exact', () => {
    const input = "export { a } from './a.ts';\nexport { b } from '../b/c.ts';";
    expect(rewriteDeclarationSpecifiers(input).split('\n').map((l) => l.length)).toEqual(input.split('\n').map((l) => l.length));
  });
});
