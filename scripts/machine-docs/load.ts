/**
 * Finds the machines to document: every exported state machine of every `machines/*.machine.ts` file, in a
 * stable order, for the diagram and event generators of scripts/gen-machine-docs.ts.
 */
import { readdir } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type { AnyStateMachine } from 'xstate';

/** The repository root. */
export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const MACHINES_DIR = path.join(ROOT, 'machines');

/** Orders strings by code unit, the same on every locale, so generated docs are stable. */
export const compareText = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);

/** A machine found in a machine file. */
export interface FoundMachine {
  /** Path relative to the repository root, with forward slashes. */
  readonly file: string;
  readonly exportName: string;
  readonly machine: AnyStateMachine;
}

/** The `machines/*.machine.ts` files, relative to the root, sorted. */
export const machineFiles = async (): Promise<string[]> =>
  (await readdir(MACHINES_DIR)).filter((f) => f.endsWith('.machine.ts')).sort().map((f) => `machines/${f}`);

// Duck-typed rather than `instanceof StateMachine`: a second copy of xstate would fail the class check.
const isMachine = (value: unknown): value is AnyStateMachine =>
  typeof value === 'object' && value !== null && '__xstatenode' in value && 'root' in value &&
  typeof (value as { transition?: unknown }).transition === 'function';

/** Every exported machine of every machine file, sorted by machine id then export name (a machine once). */
export const loadMachines = async (): Promise<FoundMachine[]> => {
  const found: FoundMachine[] = [];
  const seen = new Set<AnyStateMachine>();
  for (const file of await machineFiles()) {
    const mod = (await import(pathToFileURL(path.join(ROOT, file)).href)) as Record<string, unknown>;
    for (const exportName of Object.keys(mod).sort()) {
      const value = mod[exportName];
      if (isMachine(value) && !seen.has(value)) {
        seen.add(value);
        found.push({ file, exportName, machine: value });
      }
    }
  }
  return found.sort((a, b) => compareText(a.machine.id, b.machine.id) || compareText(a.exportName, b.exportName));
};
