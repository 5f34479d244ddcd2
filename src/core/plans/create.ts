/**
 * `build-pipeline plan`: a planning agent reads the repository and writes the plan folder. Its
 * file tools work in the user's checkout because the plan is the user's document, but they can
 * write only inside the new plan folder, and it gets no shell: the plan folder is the only thing
 * this command adds to the working tree. The engine then checks the folder (format, sizes,
 * numbering, dependencies, grounded references) and feeds problems back for bounded repair rounds.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { BetaMessageParam } from '@anthropic-ai/sdk/resources/beta';
import { runAgent } from '../agents/runAgent';
import { fileTools, toolNames } from '../agents/tools';
import { agentShellEnv } from '../agents/env';
import { loadTemplate, renderPrompt } from '../prompts';
import { openRepo } from '../git';
import { checkPlanFlow, repoFilesAt } from './checks';
import { readPlan } from './parse';
import { formatPlanProblems, type Plan, type PlanProblem } from './schema';
import type { ModelSession } from './session';
import { agentLimitsFor } from '../config';

export { PLANS_REL } from './schema';
import { PLANS_REL } from './schema';

export function slugOf(description: string): string {
  const words = description
    .toLowerCase()
    .normalize('NFKD')
    .replace(/[^a-z0-9\s-]/g, ' ')
    .split(/[\s-]+/)
    .filter(Boolean)
    .slice(0, 6);
  let slug = words.join('-').slice(0, 40).replace(/-+$/, '');
  if (!/^[a-z0-9]/.test(slug)) slug = `plan${slug ? `-${slug}` : ''}`;
  return slug;
}

/** A plan folder that does not exist yet: the user's existing plans are never overwritten. */
export function freshPlanDir(repoRoot: string, description: string): string {
  const base = slugOf(description);
  for (let i = 1; ; i++) {
    const rel = `${PLANS_REL}/${i === 1 ? base : `${base}-${i}`}`;
    if (!fs.existsSync(path.join(repoRoot, rel))) return rel;
  }
}

export interface CreatePlanResult {
  dir: string;
  plan?: Plan;
  problems: PlanProblem[];
  rounds: number;
}

/** The problems that make a freshly written plan unusable (all of them: a new plan starts clean). */
export async function checkPlanFolder(dir: string, repoRoot: string): Promise<{ plan?: Plan; problems: PlanProblem[] }> {
  const read = readPlan(dir);
  if (!read.plan) return read;
  const flow = checkPlanFlow(read.plan, await repoFilesAt(repoRoot));
  return { plan: read.plan, problems: [...read.problems, ...flow] };
}

export async function createPlan(session: ModelSession, repoRootIn: string, description: string, planDirRel?: string): Promise<CreatePlanResult> {
  const { root: repoRoot } = await openRepo(repoRootIn);
  const rel = (planDirRel ?? freshPlanDir(repoRoot, description)).replace(/\/+$/, '');
  const dir = path.join(repoRoot, rel);
  const agentId = 'planner';
  const tools = fileTools(
    ['read', 'write', 'edit', 'glob', 'grep'],
    { workdir: repoRoot, readOnlyRoots: [], writable: [`${rel}/`], env: agentShellEnv(agentId), bashTimeoutMs: session.config.bashTimeoutMs },
    session.observer(agentId),
  );
  const prompt = renderPrompt(loadTemplate('planner'), { plan_dir: rel, description, tools: toolNames(tools) });
  const tier = 'opus' as const;
  let history: BetaMessageParam[] | undefined;
  let last: { plan?: Plan; problems: PlanProblem[] } = { problems: [] };
  const rounds = session.config.architectRepairRounds;
  for (let round = 0; round <= rounds; round++) {
    const result = await runAgent(
      {
        agentId: round === 0 ? agentId : `${agentId}-repair-${round}`,
        role: 'planner',
        stage: 'plan',
        tier,
        model: session.modelFor(tier),
        system: [prompt.system],
        task: prompt.task,
        history,
        tools,
        // The planner reads code and writes documents, as the architect does: it gets the architect's limits.
        ...agentLimitsFor(session.config, 'architect', tier),
      },
      session.runtime(),
    );
    last = await checkPlanFolder(dir, repoRoot);
    session.emit({ type: 'plan-written', dir, phases: last.plan?.phases.length ?? 0, problems: last.problems.length });
    if (last.problems.length === 0) return { dir, plan: last.plan, problems: [], rounds: round };
    history = [
      ...result.messages,
      {
        role: 'user',
        content:
          `The engine checked ${rel}/ and found these problems:\n<plan-problems>\n${formatPlanProblems(last.problems)}\n</plan-problems>\n` +
          'Fix every one of them in the plan files (and only there), then end with one sentence.',
      },
    ];
  }
  return { dir, plan: last.plan, problems: last.problems, rounds };
}
