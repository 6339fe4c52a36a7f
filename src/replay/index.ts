/** Replay of recorded sessions through the live session machinery: programmatic API behind `argo-realtime replay`. */
export { replaySession, type ReplayOptions, type ReplayResult } from './replay.ts';
export { ReplayProvider, checkReplaySpeed, parseReplaySpeed, type PlayOptions, type PlayResult, type ReplaySpeed } from './replay-provider.ts';
export { openRecording, type Recording, type RecordingSelection } from './recorded-bars.ts';
