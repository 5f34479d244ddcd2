/**
 * The memory a scripted builder leaves behind (M14): its brain file with the sections of seed 000,
 * and five chat-format training pairs (two factual, two procedural, one state) about its module.
 */
import { SCRIPTED_NOW } from './contracts';
import { documentedErrors, publicFunctions } from './interfaces';
import type { ModulePlan, ProjectPlan } from './plan';
import { sourceFileOf, testFileOf } from './stack';

export interface BuildFacts {
  mod: ModulePlan;
  plan: ProjectPlan;
  fixCycle: number;
  testCommand: string;
  /** The summary line of the last test run, e.g. "pass 6, fail 0, skipped 1". */
  testSummary: string;
  /** QC findings this build addressed (fix cycles only). */
  addressed: string[];
}

export function brainFile(f: BuildFacts): string {
  const api = publicFunctions(f.mod).map((fn) => `\`${fn}\``).join(', ');
  const deps = f.mod.dependsOn.length ? f.mod.dependsOn.map((d) => `\`${d}\``).join(', ') : 'none';
  return [
    `# ${f.mod.name} Builder Brain`,
    `## Last Updated: ${SCRIPTED_NOW} (fix cycle ${f.fixCycle})`,
    '## Current State',
    `Implemented ${api} in \`${sourceFileOf(f.plan.stack, f.mod)}\` with tests in \`${testFileOf(f.plan.stack, f.mod)}\`; \`${f.testCommand}\`: ${f.testSummary}.`,
    '## Key Decisions Made',
    `- Every documented error is thrown with its exact message (${documentedErrors(f.mod).length} cases, ADR-002).`,
    f.mod.dependsOn.length
      ? '- Dependencies are used through their module objects, so unit tests can replace them; an integration test skips until they are assembled.'
      : '- No dependencies; the module is pure.',
    ...f.addressed.map((a) => `- Fixed QC finding: ${a}`),
    '## Dependencies Used',
    `- Modules: ${deps}.`,
    `- Shared types: see \`interfaces/shared-types.md\` (\`${f.plan.sharedPath}/\`).`,
    '## Known Issues',
    f.mod.dependsOn.length ? '- The integration test is skipped in this worktree because the dependencies are scaffold stubs here.' : '- None.',
    '## Next Steps',
    '- QC review, then assembly into the integration branch.',
    '',
  ].join('\n');
}

function pair(f: BuildFacts, taxonomy: string, question: string, answer: string, refs: string[]): string {
  return JSON.stringify({
    messages: [
      { role: 'system', content: `You are the project master for ${f.plan.name}.` },
      { role: 'user', content: question },
      { role: 'assistant', content: answer },
    ],
    metadata: { taxonomy, source_refs: refs, modules_referenced: [f.mod.name] },
  });
}

/** Five JSON lines (no trailing newline) for the module's session-pairs file. */
export function trainingPairs(f: BuildFacts): string[] {
  const m = f.mod.name;
  const code = sourceFileOf(f.plan.stack, f.mod);
  const testFile = testFileOf(f.plan.stack, f.mod);
  const contract = `.orchestration/contracts/interfaces/${m}.interface.md`;
  const api = publicFunctions(f.mod).join(' and ');
  const errors = documentedErrors(f.mod)
    .map((e) => `${e.type} "${e.message}"`)
    .join(', ');
  return [
    pair(f, 'factual_recall', `What does the ${m} module of ${f.plan.name} do?`, `${m} ${f.mod.description.replace(/^\w/, (c) => c.toLowerCase())} It exports ${api} from ${code}.`, [contract, code]),
    pair(f, 'factual_recall', `Which errors can ${m} throw?`, `${m} throws ${errors}, exactly as its interface contract documents them.`, [contract]),
    pair(f, 'procedural', `How do I run the tests of ${m}?`, `Run \`${f.testCommand}\` from the repository root; the tests live in ${testFile} and use ${f.plan.stack === 'python' ? 'unittest' : 'node:test'}.`, [testFile]),
    pair(
      f,
      'procedural',
      `How do I change the public API of ${m}?`,
      `Raise a contract conflict: ${contract} is read-only for builders, so the change goes to .orchestration/conflicts/ and, once approved, into a new ADR before ${code} changes.`,
      [contract],
    ),
    pair(f, 'state_status', `What is the implementation status of ${m}?`, `${m} is implemented in ${code} (fix cycle ${f.fixCycle}); its tests report ${f.testSummary}; it awaits QC and assembly.`, [code]),
  ];
}
