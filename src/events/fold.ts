/**
 * Event sourcing for XState machines: record every event delivered to a root actor (through `inspect`) and
 * rebuild its snapshot by folding that log through the pure `transition()`, from `initialTransition()`. Unlike
 * the recipe that replays with `actor.send` and drops `xstate.*` events, this keeps `xstate.done.actor.*`,
 * `xstate.error.actor.*` and `xstate.after.*`, which carry real transitions, and runs no actor or timer.
 */
import {
  initialTransition, transition,
  type AnyEventObject, type AnyMachineSnapshot, type AnyStateMachine, type EventFromLogic, type InputFrom,
  type InspectionEvent, type SnapshotFrom,
} from 'xstate';

/** An event as stored in a log: JSON with a `type`. */
export interface LoggedEvent {
  readonly type: string;
  readonly [key: string]: unknown;
}

/** Where a fold starts: a snapshot to continue from, or the machine input for a log that lacks `xstate.init`. */
export interface FoldOptions<M extends AnyStateMachine> {
  readonly from?: SnapshotFrom<M>;
  readonly input?: InputFrom<M>;
}

/** The type of the event an actor receives when it starts; it carries the actor's input. */
export const INIT_EVENT_TYPE = 'xstate.init';

const initial = (machine: AnyStateMachine, input: unknown): AnyMachineSnapshot =>
  (initialTransition as (m: AnyStateMachine, input?: unknown) => [AnyMachineSnapshot, unknown])(machine, input)[0];

/**
 * Rebuilds a machine's snapshot from logged events; an `xstate.init` first starts from its input, and a later
 * one (logged again when an actor is restored from a snapshot) changes nothing.
 */
export const foldEvents = <M extends AnyStateMachine>(
  machine: M,
  events: Iterable<LoggedEvent>,
  options: FoldOptions<M> = {},
): SnapshotFrom<M> => {
  let snapshot: AnyMachineSnapshot | undefined = options.from;
  for (const event of events) {
    if (event.type === INIT_EVENT_TYPE) {
      snapshot ??= initial(machine, event['input'] ?? options.input);
      continue;
    }
    snapshot ??= initial(machine, options.input);
    snapshot = transition(machine, snapshot as SnapshotFrom<M>, event as EventFromLogic<M>)[0];
  }
  return (snapshot ?? initial(machine, options.input)) as SnapshotFrom<M>;
};

/** An `inspect` observer that passes every event delivered to the root actor, and only those, to `onEvent`. */
export const recordRootEvents = (onEvent: (event: AnyEventObject) => void) => (inspection: InspectionEvent): void => {
  if (inspection.type === '@xstate.event' && inspection.actorRef.sessionId === inspection.rootId) onEvent(inspection.event);
};
