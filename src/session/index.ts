/** The realtime trading session: programmatic API. */
export { createRealtimeSession, type RealtimeSession, type RealtimeSessionOptions } from './session.ts';
export { SessionEventLog, type EventRow } from './event-log.ts';
export type { SessionEvents, SessionState, SessionStats, SessionSummary } from './types.ts';
export type { DurabilityStats, UnpersistedRange } from './durability.ts';
export { readResumePoints, type ResumePoint, type StreamId, type StreamRange } from './resume.ts';
