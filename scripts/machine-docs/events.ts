/**
 * Event extraction for docs/events.md: the events each machine accepts and emits, read with the TypeScript
 * compiler from the unions given to `setup({ types })`, plus the event unions of other actors that are not
 * machines ({@link OTHER_EVENT_UNIONS}).
 */
import path from 'node:path';
import ts from 'typescript';
import type { AnyStateMachine } from 'xstate';
import { compareText as cmp, loadMachines, ROOT, type FoundMachine } from './load.ts';

/** One event of a machine's event union. */
export interface EventDoc {
  readonly type: string;
  /** `name: Type` of every property but `type`, as declared. */
  readonly payload: readonly string[];
  readonly note: string | undefined;
}

/** The event types of a machine, read from `setup({ types: { events, emitted } })`. */
export interface MachineEventsDoc {
  readonly exportName: string;
  readonly file: string;
  readonly accepts: { readonly typeName: string; readonly events: readonly EventDoc[] } | undefined;
  readonly emits: { readonly typeName: string; readonly events: readonly EventDoc[] } | undefined;
  /** Other exported unions of `{ type: '…' }` objects in the file (e.g. commands sent to children). */
  readonly others: readonly { readonly typeName: string; readonly events: readonly EventDoc[] }[];
}

const compilerOptions = (): ts.CompilerOptions => {
  const configPath = path.join(ROOT, 'tsconfig.json');
  const raw = ts.readConfigFile(configPath, (p) => ts.sys.readFile(p));
  return ts.parseJsonConfigFileContent(raw.config, ts.sys, ROOT, undefined, configPath).options;
};

/** The JSDoc text before a declaration; for a member of a union, the one between the previous member and it. */
const docComment = (node: ts.Node): string | undefined => {
  const text = node.getSourceFile().getFullText();
  const parent = node.parent;
  const previous = parent && ts.isUnionTypeNode(parent) ? parent.types[parent.types.indexOf(node as ts.TypeNode) - 1] : undefined;
  const from = previous?.end ?? (parent && ts.isUnionTypeNode(parent) ? parent.pos : node.getFullStart());
  const doc = text.slice(from, node.getStart()).match(/\/\*\*[\s\S]*?\*\//g)?.at(-1);
  return doc?.replace(/^\/\*\*|\*\/$/g, '').split('\n').map((l) => l.replace(/^\s*\*\s?/, '').trim()).filter(Boolean).join(' ');
};

/** True when every member of the type is an object with a string-literal `type`. */
const isEventUnion = (checker: ts.TypeChecker, typeNode: ts.TypeNode): boolean => {
  const type = checker.getTypeFromTypeNode(typeNode);
  return (type.isUnion() ? type.types : [type]).every((m) => {
    const prop = m.getProperty('type');
    const t = prop && checker.getTypeOfSymbolAtLocation(prop, typeNode);
    return t !== undefined && (t.isUnion() ? t.types : [t]).every((x) => x.isStringLiteral());
  });
};

const eventsOf = (checker: ts.TypeChecker, typeNode: ts.TypeNode): EventDoc[] => {
  const type = checker.getTypeFromTypeNode(typeNode);
  const members = type.isUnion() ? type.types : [type];
  const out: EventDoc[] = [];
  for (const member of members) {
    const typeProp = member.getProperty('type');
    if (!typeProp) continue;
    const typeOfType = checker.getTypeOfSymbolAtLocation(typeProp, typeNode);
    const names = (typeOfType.isUnion() ? typeOfType.types : [typeOfType]).map((t) => (t.isStringLiteral() ? t.value : checker.typeToString(t)));
    const payload = member.getProperties().filter((p) => p.name !== 'type').map((p) => {
      const decl = p.valueDeclaration ?? p.declarations?.[0];
      const optional = (p.flags & ts.SymbolFlags.Optional) !== 0 ? '?' : '';
      const declared = decl && ts.isPropertySignature(decl) && decl.type ? decl.type.getText() : checker.typeToString(checker.getTypeOfSymbolAtLocation(p, typeNode));
      return `${p.name}${optional}: ${declared.replace(/\s+/g, ' ')}`;
    });
    const decl = member.getSymbol()?.declarations?.[0];
    const note = decl ? docComment(decl) : undefined;
    for (const name of names) out.push({ type: name, payload, note });
  }
  return out.sort((a, b) => cmp(a.type, b.type));
};

/** Event unions outside `machines/` that other actors act on, documented with the machines' events. */
export const OTHER_EVENT_UNIONS = [
  { title: 'strategy runtime', file: 'src/strategy/events.ts', typeName: 'StrategyEvent',
    text: 'Not a machine: what `StrategyRunner` reports on `onEvent` (the session logs them as `strategy:<type>`).' },
  { title: 'risk engine', file: 'src/risk/guarded-provider.ts', typeName: 'RiskFact',
    text: 'Not a machine: what the pre-trade risk engine reports (the session logs them as `risk:<type>` and emits them as `risk`; see [risk.md](risk.md)).' },
] as const;

/** Every documented event: per machine, and the {@link OTHER_EVENT_UNIONS}. */
export interface EventsDoc {
  readonly machines: Map<AnyStateMachine, MachineEventsDoc>;
  readonly others: readonly { readonly title: string; readonly text: string; readonly file: string; readonly typeName: string; readonly events: readonly EventDoc[] }[];
}

/** The events of every exported machine, from its file's `setup({ types })` (or `createMachine({ types })`). */
export const machineEvents = async (found?: readonly FoundMachine[]): Promise<EventsDoc> => {
  const machines = found ?? (await loadMachines());
  const files = [...new Set([...machines.map((m) => m.file), ...OTHER_EVENT_UNIONS.map((u) => u.file)])].map((f) => path.join(ROOT, f));
  const program = ts.createProgram(files, { ...compilerOptions(), noEmit: true });
  const checker = program.getTypeChecker();
  const out = new Map<AnyStateMachine, MachineEventsDoc>();
  for (const m of machines) {
    const source = program.getSourceFile(path.join(ROOT, m.file));
    let typesObject: ts.ObjectLiteralExpression | undefined;
    const visit = (node: ts.Node): void => {
      if (typesObject) return;
      if (ts.isPropertyAssignment(node) && node.name.getText() === 'types' && ts.isObjectLiteralExpression(node.initializer)) typesObject = node.initializer;
      else ts.forEachChild(node, visit);
    };
    source?.forEachChild((stmt) => {
      if (!ts.isVariableStatement(stmt)) return;
      for (const d of stmt.declarationList.declarations) if (d.name.getText() === m.exportName && d.initializer) visit(d.initializer);
    });
    const typeAt = (key: string) => {
      const prop = typesObject?.properties.find((p): p is ts.PropertyAssignment => ts.isPropertyAssignment(p) && p.name.getText() === key);
      const expr = prop?.initializer;
      if (!expr || !ts.isAsExpression(expr)) return undefined;
      return { typeName: expr.type.getText(), events: eventsOf(checker, expr.type) };
    };
    const accepts = typeAt('events');
    const emits = typeAt('emitted');
    const others: MachineEventsDoc['others'][number][] = [];
    // Listed once per file, under its first machine.
    if (source && machines.find((x) => x.file === m.file) === m) {
      for (const stmt of source.statements) {
        if (!ts.isTypeAliasDeclaration(stmt) || !stmt.modifiers?.some((x) => x.kind === ts.SyntaxKind.ExportKeyword)) continue;
        const typeName = stmt.name.text;
        if (typeName === accepts?.typeName || typeName === emits?.typeName || !isEventUnion(checker, stmt.type)) continue;
        others.push({ typeName, events: eventsOf(checker, stmt.type) });
      }
    }
    out.set(m.machine, { exportName: m.exportName, file: m.file, accepts, emits, others: others.sort((a, b) => cmp(a.typeName, b.typeName)) });
  }
  const others = OTHER_EVENT_UNIONS.map((u) => {
    const decl = program.getSourceFile(path.join(ROOT, u.file))?.statements.find((x): x is ts.TypeAliasDeclaration => ts.isTypeAliasDeclaration(x) && x.name.text === u.typeName);
    if (!decl) throw new Error(`${u.file}: type ${u.typeName} not found`);
    return { ...u, events: eventsOf(checker, decl.type) };
  });
  return { machines: out, others };
};
