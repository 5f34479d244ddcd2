/**
 * Which tests run after a merge into the integration branch (issue 10, "assembly in linear time").
 *
 * Assembly merges modules in an order where each comes after its dependencies, and a builder can
 * commit only its own paths (src/core/git/ownership.ts), so a merge of module k normally changes
 * nothing but k's paths: what it can break is k's own tests (now against the merged code of its
 * dependencies and siblings) and the project-level tests (those outside every module's path,
 * `toolchain.project_test`). Those two run after each merge. The full suite (`integration_test`)
 * runs instead when the assumption cannot be relied on:
 * - the merge changed a path outside k's own (an engine commit, a resolved conflict): detected from
 *   the merge's own diff, so it is never assumed;
 * - k is the last module of `assembly_order`: the final head always gets the full suite, which also
 *   catches what no diff shows (a module that uses another's scaffold stub without declaring it);
 * - the toolchain has no project-level test command: the project tests cannot be run apart.
 * Pure: the inputs are strings, the caller runs the commands (src/core/assembly/mergeTests.ts).
 */
import { isWritable } from '../agents/tools';
import { summarizePaths } from '../git/ownership';

export type TestRunKind = 'module' | 'project' | 'full';

export interface TestRun {
  kind: TestRunKind;
  command: string;
}

export interface TestSelectionInput {
  module: string;
  /** What module k's builder may change (builderWritablePaths): folders end with `/`, `*` matches within one folder. */
  ownPaths: readonly string[];
  /** Repository-relative paths the merge changed on the integration branch (its diff against the first parent). */
  changedPaths: readonly string[];
  /** The merge is the last of `assembly_order`: its head is the final head of assembly. */
  finalHead: boolean;
  commands: {
    /** k's own test command, `{module_dir}` filled in. */
    module: string;
    /** The project-level tests alone; undefined when the toolchain has none. */
    project?: string;
    /** The whole suite (`integration_test`). */
    full: string;
  };
}

export interface TestSelection {
  scope: 'selected' | 'full';
  runs: TestRun[];
  /** Why this selection, in one sentence, for the state, the assembly report and the journal. */
  reason: string;
  /** Changed paths outside k's own (empty unless that is why the full suite runs). */
  outside: string[];
}

export function selectTests(input: TestSelectionInput): TestSelection {
  const full = (reason: string, outside: string[] = []): TestSelection => ({ scope: 'full', runs: [{ kind: 'full', command: input.commands.full }], reason, outside });
  const outside = input.changedPaths.filter((p) => !isWritable(p, input.ownPaths));
  if (outside.length) return full(`the merge of ${input.module} changed paths outside the module's own: ${summarizePaths(outside, 5)}`, outside);
  if (input.finalHead) return full(`${input.module} is the last module of assembly_order: the final head gets the full suite`);
  if (input.commands.project === undefined) return full('the toolchain has no project_test, so the project-level tests cannot run apart from the full suite');
  return {
    scope: 'selected',
    runs: [
      { kind: 'module', command: input.commands.module },
      { kind: 'project', command: input.commands.project },
    ],
    reason: `the merge changed only ${input.module}'s own paths: its tests and the project-level tests`,
    outside: [],
  };
}
