/**
 * Every relative link in the README and docs/ points at a file of the repository (a link to a file that is not
 * shipped, such as a reference kept outside the repo, is a stale doc), and every `#anchor` into a doc names
 * one of its headings.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

const DOCS = ['README.md', ...readdirSync('docs').filter((f) => f.endsWith('.md')).map((f) => join('docs', f))];

// GitHub's heading anchors: lower case, punctuation dropped, spaces as hyphens.
const anchors = (markdown: string): Set<string> => new Set([...markdown.matchAll(/^#+ (.+)$/gm)].map((m) =>
  m[1]!.toLowerCase().replace(/[^\p{L}\p{N} _-]/gu, '').replace(/ /g, '-')));

describe('documentation links', () => {
  it('resolves every relative link and anchor of README.md and docs/', () => {
    const broken: string[] = [];
    for (const doc of DOCS) {
      const text = readFileSync(doc, 'utf8').replace(/```[\s\S]*?```/g, '');
      for (const [, target] of text.matchAll(/\]\(([^)\s]+)\)/g)) {
        if (/^[a-z]+:/.test(target!) || target!.startsWith('#') && target!.length === 1) continue;
        const [file, anchor] = target!.split('#');
        const path = file ? resolve(dirname(doc), file) : resolve(doc);
        if (!existsSync(path)) broken.push(`${doc}: ${target}`);
        else if (anchor && path.endsWith('.md') && !anchors(readFileSync(path, 'utf8')).has(anchor)) broken.push(`${doc}: ${target} (no such heading)`);
      }
    }
    expect(broken).toEqual([]);
  });

  it('names only Markdown files that exist when it names one in code (`docs/events.md`)', () => {
    const missing: string[] = [];
    for (const doc of DOCS) {
      const text = readFileSync(doc, 'utf8').replace(/```[\s\S]*?```/g, '');
      for (const [, name] of text.matchAll(/`([\w./-]+\.md)`/g)) {
        if (!existsSync(resolve(dirname(doc), name!)) && !existsSync(resolve(name!))) missing.push(`${doc}: ${name}`);
      }
    }
    expect(missing).toEqual([]);
  });
});
