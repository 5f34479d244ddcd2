/**
 * Request changes at an implement run's ship gate: the feedback becomes a task for a builder working
 * on the integration branch itself (no phase branch: the phases are merged), then the suite runs
 * there, with fix tasks while it is red (bounded), and the gate is asked again. One team for all
 * rounds (`team/ship/`), so the builder keeps its conversation and no name is ever spawned twice.
 */
import { headCommit } from '../git';
import type { ImplementContext } from './phase';
import { openTeamFiles, shipTeamDir } from './teamFiles';
import { runTeam, type TeamContext } from './team';
import { testIntegrationHead } from './shipStep';
import { stoppedError } from '../shell';

/** The phase number the ship team's branches and worktrees are named with (`phase-00-builder-1`). */
const SHIP_TEAM_PHASE = 0;

export async function makeShipChanges(ic: ImplementContext, feedback: string, round: number): Promise<{ testsPassed: boolean }> {
  const tc: TeamContext = {
    ...openTeamFiles(shipTeamDir(ic.runDir)),
    session: ic.session,
    runId: ic.store.state.runId,
    repoRoot: ic.repoRoot,
    phase: SHIP_TEAM_PHASE,
    phaseTitle: 'Changes asked at the ship gate',
    phaseWt: ic.integrationWt,
    worktreesDir: ic.worktreesDir,
    testCommand: ic.testCommand,
    stallMs: ic.options.stallMs,
    teamMode: false,
    maxValidationFixes: ic.options.maxValidationFixes,
    compactBytes: ic.options.compactBytes,
    dependencyGeneration: ic.store.state.dependencies?.manifests,
  };
  const id = `S${round}`;
  if (!tc.tasks.get(id)) {
    tc.tasks.add({ id, role: 'builder', kind: 'ship-changes', title: 'Make the changes asked at the ship gate', details: `Feedback: ${feedback.replace(/\s+/g, ' ').trim().slice(0, 3000)}`, files: [], depends_on: [] });
  }
  await runTeam(tc);
  for (let attempt = 0; ; attempt++) {
    const tests = await testIntegrationHead(ic, await headCommit(ic.integrationWt));
    // Stopped under the suite: not "red after the changes" (a halt), no fix task; the resume tests again.
    if (tests.stopped) throw stoppedError('ship: the test suite after the changes asked at the gate', ic.session.signal);
    ic.session.emit({ type: 'test-gate', phase: 'ship', when: 'after', passed: tests.passed, failures: tests.failures });
    if (tests.passed) return { testsPassed: true };
    if (attempt >= ic.options.maxTestFixes) return { testsPassed: false };
    // Numbered over the round's life, as a phase's are: a resume of a round that ended red gets new
    // fix tasks (a fix task interrupted by a crash was finished by the runTeam above, not redone).
    tc.tasks.add({ id: tc.tasks.nextNumbered(`${id}-P`), role: 'builder', kind: 'fix-tests', title: 'Make the test suite green again', details: tests.excerpt, files: [], depends_on: [] });
    await runTeam(tc);
  }
}
