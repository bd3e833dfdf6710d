import type { CaseResult } from './runner.js';
import type { TargetId } from './target-process.js';

/** The result of a case the harness could not run at all (the target would not start, the canary could not connect). */
export function failedResult(caseName: string, target: TargetId, error: unknown): CaseResult {
  return {
    caseName,
    target,
    sent: { connections: 0, frames: 0, bytes: 0 },
    outcomes: [],
    notes: [],
    baselineRss: 0,
    peakRss: 0,
    rssDelta: 0,
    settledRssDelta: undefined,
    allowedGrowth: 0,
    peakConnections: 0,
    cpuMs: 0,
    canary: undefined,
    releasedMs: undefined,
    serverMemoryPeak: undefined,
    crashed: undefined,
    failures: [{ tag: 'harness', detail: `could not run: ${error instanceof Error ? error.message : String(error)}` }],
    durationMs: 0,
    phasesMs: { setup: 0, attack: 0, canary: 0, release: 0 },
  };
}
