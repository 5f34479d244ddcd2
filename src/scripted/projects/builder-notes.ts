/**
 * The memory a scripted builder leaves behind (M14): its brain file with the sections of seed 000,
 * and chat-format training pairs about its module with the metadata the builder prompt asks for:
 * five good ones (two factual, two procedural, one state) and three a careless model writes, each
 * breaking one quality rule (see-the-docs, markdown, a question that leaks its answer), which the
 * engine must reject when the module passes QC.
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
  /** The first pair id the task card allows (`start_pair_id`). */
  startPairId: number;
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

interface Draft {
  taxonomy: string;
  q: string;
  a: string;
  refs: string[];
  hops?: number;
}

function pair(f: BuildFacts, d: Draft, id: number): string {
  return JSON.stringify({
    messages: [
      { role: 'system', content: `You are the project master for ${f.plan.name}.` },
      { role: 'user', content: d.q },
      { role: 'assistant', content: d.a },
    ],
    metadata: {
      pair_id: `qa-${String(id).padStart(5, '0')}`,
      taxonomy: d.taxonomy,
      source_refs: d.refs,
      modules_referenced: [f.mod.name],
      hop_count: d.hops ?? 1,
      difficulty: (d.hops ?? 1) > 1 ? 'intermediate' : 'basic',
    },
  });
}

/** The JSON lines (no trailing newline) for the module's session-pairs file: five good, then three bad. */
export function trainingPairs(f: BuildFacts): string[] {
  const m = f.mod.name;
  const code = sourceFileOf(f.plan.stack, f.mod);
  const testFile = testFileOf(f.plan.stack, f.mod);
  const contract = `.orchestration/contracts/interfaces/${m}.interface.md`;
  const api = publicFunctions(f.mod).join(' and ');
  const errors = documentedErrors(f.mod)
    .map((e) => `${e.type} "${e.message}"`)
    .join(', ');
  const errorType = documentedErrors(f.mod)[0]?.type ?? 'TypeError';
  const drafts: Draft[] = [
    { taxonomy: 'factual_recall', q: `What does the ${m} module of ${f.plan.name} do?`, a: `${m} ${f.mod.description.replace(/^\w/, (c) => c.toLowerCase())} It exports ${api} from ${code}, with its tests in ${testFile}.`, refs: [contract, code] },
    { taxonomy: 'factual_recall', q: `Which errors can ${m} throw?`, a: `${m} throws ${errors || 'no documented error'}, exactly as its interface contract documents them.`, refs: [contract] },
    { taxonomy: 'procedural', q: `How do I run the tests of ${m}?`, a: `Run ${f.testCommand} from the repository root; the tests live in ${testFile} and use ${f.plan.stack === 'python' ? 'unittest' : 'node:test'}.`, refs: [testFile] },
    {
      taxonomy: 'procedural',
      q: `How do I change the public API of ${m}?`,
      a: `Raise a contract conflict: ${contract} is read-only for builders, so the change goes to .orchestration/conflicts/ and, once approved, into a new ADR before ${code} changes.`,
      refs: [contract],
      hops: 2,
    },
    { taxonomy: 'state_status', q: `What is the implementation status of ${m}?`, a: `${m} is implemented in ${code} (fix cycle ${f.fixCycle}); its tests report ${f.testSummary}; it awaits QC and assembly.`, refs: [code] },
    // Careless ones: each breaks one rule the engine enforces.
    { taxonomy: 'factual_recall', q: `Which options does ${m} accept?`, a: `See the docs: the ${m} interface file lists every option and its default, so read it there rather than asking here.`, refs: [contract] },
    { taxonomy: 'factual_recall', q: `Which files make up ${m}?`, a: `The ${m} module has:\n- **${code}** with the code\n- ${testFile} with its tests, run by the module test command.`, refs: [code, testFile] },
    { taxonomy: 'architectural_reasoning', q: `Why does ${m} throw a ${errorType} for bad input?`, a: `${m} throws a ${errorType} for bad input because ADR-002 asks every module to validate what it is given and fail loudly with the documented message.`, refs: [contract] },
  ];
  // A fix cycle or a resumed build appends after the ids its predecessor used.
  return drafts.map((d, i) => pair(f, d, f.startPairId + i));
}
