/** A run state with every required field, for unit tests that need one; each test overrides what it looks at. */
import type { RunState, Usage } from '../../src/core/contracts/schemas';

export const FIXTURE_RUN_ID = '20260101-000000-0a1b2c3d';

export function zeroUsage(): Usage {
  return { input: 0, output: 0, cacheRead: 0, cacheWrite: 0, calls: 0 };
}

/** Stages in the given order, all pending with no usage yet. */
export function pendingStages(ids: readonly string[]): RunState['stages'] {
  return ids.map((id) => ({ id, status: 'pending' as const, attempts: 0, usage: zeroUsage() }));
}

export function runStateFixture(overrides: Partial<RunState> = {}): RunState {
  const runId = overrides.runId ?? FIXTURE_RUN_ID;
  return {
    version: 1,
    runId,
    runDir: '/run',
    repoRoot: '/repo',
    description: 'Build a todo CLI',
    mode: 'build',
    offline: true,
    baseBranch: 'main',
    baseCommit: 'a'.repeat(40),
    integrationBranch: `orchestration/${runId}/integration`,
    status: 'running',
    createdAt: '2026-01-01T00:00:00.000Z',
    updatedAt: '2026-01-01T00:00:00.000Z',
    stages: [],
    modules: [],
    gates: [],
    merges: [],
    usage: zeroUsage(),
    costUsd: 0,
    agentUsage: {},
    ...overrides,
  };
}
