import { readFile } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { machineEvents } from '../../scripts/machine-docs/events.ts';
import { loadMachines, machineFiles } from '../../scripts/machine-docs/load.ts';
import { EVENTS_REGION, MACHINES_REGION, readRegion, renderEventDocs, renderMachineDocs } from '../../scripts/machine-docs/markdown.ts';

const STALE = 'stale generated docs: run `npm run docs:machines` and commit the result';

const region = async (r: typeof MACHINES_REGION): Promise<string> => {
  const committed = readRegion(await readFile(r.file, 'utf8'), r);
  if (committed === undefined) throw new Error(`${r.file} lacks the markers ${r.begin} … ${r.end}`);
  return committed;
};

/** The Mermaid text under each `### <machine id>` heading of the diagrams region. */
const diagramsById = (text: string): Map<string, string> => {
  const out = new Map<string, string>();
  for (const section of text.split(/^### /m).slice(1)) {
    const id = section.slice(0, section.indexOf('\n')).trim();
    const mermaid = /```mermaid\n([\s\S]*?)```/.exec(section)?.[1];
    if (mermaid !== undefined) out.set(id, mermaid);
  }
  return out;
};

describe('machine diagrams in docs/machines.md', () => {
  it('match what the generator renders from the machine definitions', async () => {
    expect(await region(MACHINES_REGION), STALE).toBe(await renderMachineDocs());
  });

  it('cover every machines/*.machine.ts file with at least one diagram', async () => {
    const machines = await loadMachines();
    const diagrams = diagramsById(await region(MACHINES_REGION));
    for (const file of await machineFiles()) {
      const here = machines.filter((m) => m.file === file);
      expect(here.length, `${file} exports no state machine`).toBeGreaterThan(0);
      for (const { machine } of here) expect(diagrams.has(machine.id), `no diagram for ${machine.id} (${file})`).toBe(true);
    }
  });

  it('declare every top-level state of each machine in its diagram', async () => {
    const diagrams = diagramsById(await region(MACHINES_REGION));
    for (const { machine } of await loadMachines()) {
      const mermaid = diagrams.get(machine.id) ?? '';
      expect(mermaid.startsWith('stateDiagram-v2\n'), machine.id).toBe(true);
      for (const key of Object.keys(machine.root.states)) {
        const declared = new RegExp(`^\\s*(?:state )?(?:${key}|"${key}" as \\w+)(?: \\{)?$`, 'm');
        expect(mermaid, `${machine.id}: state ${key} missing from its diagram`).toMatch(declared);
      }
    }
  });

  it('draw edges only between declared states, with balanced blocks', async () => {
    for (const [id, mermaid] of diagramsById(await region(MACHINES_REGION))) {
      const lines = mermaid.split('\n').map((l) => l.trim()).filter(Boolean);
      const declared = new Set(['[*]']);
      let depth = 0;
      for (const line of lines) {
        const m = /^state "[^"]*" as (\w+)(?: \{)?$/.exec(line) ?? /^state (\w+) \{$/.exec(line) ?? /^(\w+)$/.exec(line);
        if (m) declared.add(m[1]!);
        if (line.endsWith('{')) depth++;
        if (line === '}') depth--;
        expect(depth, `${id}: unbalanced braces`).toBeGreaterThanOrEqual(0);
      }
      expect(depth, `${id}: unbalanced braces`).toBe(0);
      for (const line of lines.filter((l) => l.includes(' --> '))) {
        const [from, rest] = line.split(' --> ');
        const to = rest!.split(' : ')[0]!;
        expect(declared.has(from!) && declared.has(to), `${id}: "${line}" names an undeclared state`).toBe(true);
      }
    }
  });
});

describe('event tables in docs/events.md', () => {
  it('match the event unions of the machines', async () => {
    expect(await region(EVENTS_REGION), STALE).toBe(await renderEventDocs());
  });

  it('document every event a machine has a transition for', async () => {
    const machines = await loadMachines();
    const docs = await machineEvents(machines);
    for (const { machine } of machines) {
      const documented = new Set(docs.machines.get(machine)?.accepts?.events.map((e) => e.type));
      const handled = new Set<string>();
      const walk = (node: typeof machine.root): void => {
        for (const type of node.transitions.keys()) if (!type.startsWith('xstate.') && type !== '*') handled.add(type);
        Object.values(node.states).forEach(walk);
      };
      walk(machine.root);
      for (const type of handled) expect(documented.has(type), `${machine.id} handles ${type}, which its event union lacks`).toBe(true);
    }
  });
});
