/**
 * Everything a scripted builder works out before acting: its paths, the project and module as the
 * contracts it read describe them, the QC findings of a fix cycle, and what its scenario makes it do
 * differently. Pure functions of the conversation, like the rest of the model.
 */
import { allUserText, type ToolCall } from '../conversation';
import { planFromManifest } from '../projects/manifest';
import { CORRECT, type CodeVariant } from '../projects/module-code';
import { detectProject, findModule, scenarioTarget, type ModulePlan, type ProjectPlan } from '../projects/plan';
import { shellQuote } from '../reply';
import { taggedBlock } from '../task-card';
import { readResult, type RoleContext } from './context';

export interface BuilderSetup {
  module: string;
  moduleDir: string;
  sourcePath: string;
  testPath: string;
  interfacePath: string;
  locksPath: string;
  manifestPath: string;
  brainPath: string;
  trainingPath: string;
  testCommand: string;
  fixCycle: number;
  /** The findings of the QC run this fix cycle answers, one line each. */
  findings: string[];
  isTarget: boolean;
  /** The project as the task card names it (before any contract is read). */
  cardPlan: ProjectPlan;
}

/** One readable line per QC finding; the block is JSON when the engine sends it, plain text otherwise. */
export function parseFindings(block: string | undefined): string[] {
  if (block === undefined || block.trim() === '') return [];
  try {
    const parsed: unknown = JSON.parse(block);
    if (Array.isArray(parsed)) {
      return parsed.map((f: unknown) => {
        const o = (f && typeof f === 'object' ? f : {}) as Record<string, unknown>;
        const where = o['file'] ? ` (${String(o['file'])}${o['line'] != null ? `:${String(o['line'])}` : ''})` : '';
        return `${String(o['severity'] ?? 'MAJOR')}: ${String(o['text'] ?? JSON.stringify(f))}${where}`;
      });
    }
  } catch {
    // Not JSON: one finding per non-empty line.
  }
  return block.split('\n').map((l) => l.trim()).filter(Boolean);
}

export function builderSetup(ctx: RoleContext, module: string): BuilderSetup {
  const card = ctx.c.card;
  const moduleDir = (card.moduleDir ?? `src/${module}`).replace(/\/+$/, '');
  const contracts = card.contractsDir;
  const findings = parseFindings(taggedBlock(allUserText(ctx.c), 'qc-findings'));
  const cardPlan = detectProject(card.project, ctx.project);
  return {
    module,
    moduleDir,
    sourcePath: `${moduleDir}/index.js`,
    testPath: `${moduleDir}/index.test.js`,
    interfacePath: `${contracts}/interfaces/${module}.interface.md`,
    locksPath: `${contracts}/locks.json`,
    manifestPath: `${contracts}/modules.json`,
    brainPath: card.brainFile ?? `.orchestration/brains/${module}-builder.md`,
    trainingPath: card.trainingFile ?? `.orchestration/training/${module}-session-pairs.jsonl`,
    // Not `node --test <dir>`: Node 22+ treats a directory argument as a module to run (its index.js), not as tests.
    testCommand: card.testCommand ?? `node --test ${shellQuote(moduleDir)}/*.test.js`,
    fixCycle: Math.max(card.fixCycle, findings.length > 0 ? 1 : 0),
    findings,
    isTarget: module === scenarioTarget(cardPlan, ctx.target),
    cardPlan,
  };
}

/** The plan and module as the contracts on disk describe them, once modules.json was read. */
export function knownModule(s: BuilderSetup, calls: ToolCall[]): { plan: ProjectPlan; mod: ModulePlan } {
  const manifest = readResult(calls, s.manifestPath);
  const fromDisk = manifest?.ok ? planFromManifest(manifest.text) : undefined;
  const plan = fromDisk && findModule(fromDisk, s.module) ? fromDisk : s.cardPlan;
  const mod = findModule(plan, s.module) ?? {
    name: s.module,
    description: `Module ${s.module}.`,
    dependsOn: [],
    builderModel: 'sonnet' as const,
    complexity: 'medium' as const,
    kind: 'combiner' as const,
    salt: 1,
  };
  return { plan, mod };
}

/** The code this builder writes first: the scenario's flawed version in cycle 0, the correct one after. */
export function firstVariant(ctx: RoleContext, s: BuilderSetup): CodeVariant {
  if (s.isTarget && ctx.scenario === 'qc-major-always') return { validation: false, secret: false };
  if (!s.isTarget || s.fixCycle > 0) return CORRECT;
  if (ctx.scenario === 'qc-major-then-pass') return { validation: false, secret: false };
  if (ctx.scenario === 'qc-critical') return { validation: true, secret: true };
  return CORRECT;
}
