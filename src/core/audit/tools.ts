/**
 * The audit roles' tools. Workers read the repository through a throwaway tree (read, glob, grep,
 * bash) and may write exactly one file, their own findings file; coordinators read the workers'
 * files and may write exactly their synthesis. Structured results come through zod-typed tools the
 * engine checks: the plan's shape and required domains, a worker's findings, a coordinator's account
 * of missing and unfinished workers (it must match the engine's own, so nothing is glossed over).
 */
import * as path from 'node:path';
import type { BetaRunnableTool } from '@anthropic-ai/sdk/lib/tools/BetaRunnableTool';
import { ToolError } from '@anthropic-ai/sdk/lib/tools/ToolError';
import { fileTools, resultTool, type ResultSlot, type ToolObserver } from '../agents/tools';
import { agentShellEnv } from '../agents/env';
import { roleShell } from '../sandbox/stageShell';
import type { PipelineContext } from '../stages/context';
import { AuditPlanSchema, SynthesisSchema, WorkerReportSchema, type AuditPlan, type Synthesis, type WorkerReport } from './schemas';

export interface TreeToolOptions {
  tree: string;
  bash: boolean;
  agentName: string;
  /** The run's sandbox and config: a worker's shell runs read-only in the sandbox, like QC's. */
  host: Pick<PipelineContext, 'sandbox' | 'config'>;
}

/** read, glob, grep (and bash for workers) inside the throwaway tree; the tree itself is read-only to file tools. */
export function treeTools(o: TreeToolOptions, observe: ToolObserver): BetaRunnableTool[] {
  const names = o.bash ? (['bash', 'read', 'glob', 'grep'] as const) : (['read', 'glob', 'grep'] as const);
  return fileTools(names, { workdir: o.tree, readOnlyRoots: [o.tree], ...roleShell(o.host, o.tree, o.agentName, 'read-only') }, observe);
}

/** A `write` tool confined to one file: the agent's own findings or synthesis file. */
export function ownFileWriteTool(file: string, agentName: string, bashTimeoutMs: number, observe: ToolObserver): BetaRunnableTool[] {
  return fileTools(
    ['write'],
    { workdir: path.dirname(file), readOnlyRoots: [], writable: [path.basename(file)], env: agentShellEnv(agentName), bashTimeoutMs },
    observe,
  );
}

/** read, glob, grep over the fan-out's folder (workers' files, syntheses), for coordinators. */
export function fanoutReadTools(root: string, agentName: string, bashTimeoutMs: number, observe: ToolObserver): BetaRunnableTool[] {
  return fileTools(['read', 'glob', 'grep'], { workdir: root, readOnlyRoots: [root], env: agentShellEnv(agentName), bashTimeoutMs }, observe);
}

export function submitPlanTool(slot: ResultSlot<AuditPlan>, requiredDomains: readonly string[], observe: ToolObserver): BetaRunnableTool {
  return resultTool(
    {
      name: 'submit_audit_plan',
      description:
        'Submit the audit plan once: 3 to 5 domains (lowercase slug names), each with a goal and 3 to 8 workers, ' +
        'each worker with a focus (what to look for) and optionally the paths to start from.',
      inputSchema: AuditPlanSchema,
      slot,
      check: (plan) => {
        const names = new Set(plan.domains.map((d) => d.name));
        const absent = requiredDomains.filter((d) => !names.has(d));
        if (absent.length) throw new ToolError(`submit_audit_plan: the plan must include the domains ${absent.join(', ')}; resubmit`);
      },
      recorded: (plan) => `recorded: ${plan.domains.length} domains, ${plan.domains.reduce((n, d) => n + d.workers.length, 0)} workers`,
    },
    observe,
  );
}

export function submitFindingsTool(slot: ResultSlot<WorkerReport>, observe: ToolObserver): BetaRunnableTool {
  return resultTool(
    {
      name: 'submit_findings',
      description:
        'Submit the findings you wrote to your findings file, once, in structured form: severity (CRITICAL, MAJOR, MINOR), ' +
        'a short title, the file relative to the repository root, the line (or null) and the evidence. An empty list means you found nothing.',
      inputSchema: WorkerReportSchema,
      slot,
      recorded: (report) => `recorded: ${report.findings.length} finding(s)`,
    },
    observe,
  );
}

export interface ExpectedGaps {
  missing: readonly string[];
  unfinished: readonly string[];
}

export function submitSynthesisTool(slot: ResultSlot<Synthesis>, expected: ExpectedGaps, observe: ToolObserver): BetaRunnableTool {
  const same = (a: readonly string[], b: readonly string[]) => a.length === b.length && [...a].sort().every((x, i) => x === [...b].sort()[i]);
  return resultTool(
    {
      name: 'submit_synthesis',
      description:
        'Submit your domain synthesis once: a short summary (at most a few sentences) for the top level, and the ids of the workers ' +
        'the engine classified as missing and as unfinished (listed in your task card).',
      inputSchema: SynthesisSchema,
      slot,
      check: (synthesis) => {
        // The engine checked the files itself: a synthesis that hides a gap (or invents one) is sent back.
        if (!same(synthesis.missing, expected.missing) || !same(synthesis.unfinished, expected.unfinished)) {
          throw new ToolError(
            `submit_synthesis: the engine classified missing = [${expected.missing.join(', ')}], unfinished = [${expected.unfinished.join(', ')}]; ` +
              `you reported missing = [${synthesis.missing.join(', ')}], unfinished = [${synthesis.unfinished.join(', ')}]. Resubmit with the engine's lists (your task card has them).`,
          );
        }
      },
      recorded: () => 'recorded',
    },
    observe,
  );
}
