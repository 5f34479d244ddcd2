/**
 * modules.json in both directions: written by the scripted architect from a plan, and read back by
 * the scripted scaffold, builders and QC, which follow what the contracts on disk say (a real model
 * reads its contracts; it does not recall them), falling back to the plan the task card implies.
 */
import type { ModuleKind, ModulePlan, ProjectPlan, Tier } from './plan';
import { stackOfRuntime, toolchainOf, type ToolchainJson } from './stack';

export interface ManifestJson {
  project: string;
  toolchain: ToolchainJson;
  shared_path: string;
  modules: Array<{
    name: string;
    description: string;
    depends_on: string[];
    interface: string;
    builder_model: Tier;
    estimated_complexity: 'high' | 'medium' | 'low';
    path: string;
    dependencies: string[];
  }>;
  build_order: string[];
  assembly_order: string[];
}

export function manifestOf(plan: ProjectPlan): ManifestJson {
  return {
    project: plan.name,
    toolchain: toolchainOf(plan),
    shared_path: plan.sharedPath,
    modules: plan.modules.map((m) => ({
      name: m.name,
      description: m.description,
      depends_on: m.dependsOn,
      interface: `interfaces/${m.name}.interface.md`,
      builder_model: m.builderModel,
      estimated_complexity: m.complexity,
      path: m.path,
      // The sample stacks need nothing beyond the runtime's standard library.
      dependencies: [],
    })),
    build_order: plan.buildOrder,
    assembly_order: plan.buildOrder,
  };
}

function kindOf(name: string, deps: string[]): ModuleKind {
  if (name === 'formatter' && deps.length === 0) return 'formatter';
  if (name === 'greeter' && deps.length === 1 && deps[0] === 'formatter') return 'greeter';
  if (name === 'tokenizer' && deps.length === 0) return 'tokenizer';
  if (name === 'counter' && deps.length === 1 && deps[0] === 'tokenizer') return 'counter';
  return 'combiner';
}

const TIERS: readonly Tier[] = ['opus', 'sonnet', 'haiku'];

/** A plan from modules.json text; undefined when it is not a usable manifest. */
export function planFromManifest(text: string): ProjectPlan | undefined {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch {
    return undefined;
  }
  if (!raw || typeof raw !== 'object') return undefined;
  const obj = raw as Record<string, unknown>;
  if (!Array.isArray(obj['modules'])) return undefined;
  const toolchain = obj['toolchain'] && typeof obj['toolchain'] === 'object' ? (obj['toolchain'] as Record<string, unknown>) : {};
  const stack = stackOfRuntime(toolchain['runtime']);
  const sharedPath = typeof obj['shared_path'] === 'string' ? obj['shared_path'].replace(/\/+$/, '') : 'src/shared';
  const modules: ModulePlan[] = [];
  for (const [i, entry] of (obj['modules'] as unknown[]).entries()) {
    if (!entry || typeof entry !== 'object') return undefined;
    const m = entry as Record<string, unknown>;
    if (typeof m['name'] !== 'string') return undefined;
    const deps = Array.isArray(m['depends_on']) ? m['depends_on'].filter((d): d is string => typeof d === 'string') : [];
    const tier = TIERS.find((t) => t === m['builder_model']) ?? 'sonnet';
    const complexity = (['high', 'medium', 'low'] as const).find((c) => c === m['estimated_complexity']) ?? 'medium';
    modules.push({
      name: m['name'],
      description: typeof m['description'] === 'string' ? m['description'] : m['name'],
      dependsOn: deps,
      builderModel: tier,
      complexity,
      kind: kindOf(m['name'], deps),
      salt: i + 1,
      path: typeof m['path'] === 'string' ? m['path'].replace(/\/+$/, '') : `src/${m['name']}`,
    });
  }
  const names = modules.map((m) => m.name);
  const order = Array.isArray(obj['build_order']) ? obj['build_order'].filter((n): n is string => typeof n === 'string') : [];
  const synthetic = modules.length > 0 && modules.every((m) => m.kind === 'combiner');
  const integrationTest = typeof toolchain['integration_test'] === 'string' ? toolchain['integration_test'] : undefined;
  const projectTest = typeof toolchain['project_test'] === 'string' ? toolchain['project_test'] : undefined;
  return {
    kind: synthetic ? 'synthetic' : 'sample',
    stack,
    sharedPath,
    ...(integrationTest ? { integrationTest } : {}),
    ...(projectTest ? { projectTest } : {}),
    ...(typeof toolchain['build'] === 'string' ? { build: toolchain['build'] } : {}),
    ...(typeof toolchain['lint'] === 'string' ? { lint: toolchain['lint'] } : {}),
    name: typeof obj['project'] === 'string' ? obj['project'] : 'project',
    description: typeof obj['project'] === 'string' ? obj['project'] : '',
    modules,
    buildOrder: order.length === names.length && order.every((n) => names.includes(n)) ? order : names,
  };
}
