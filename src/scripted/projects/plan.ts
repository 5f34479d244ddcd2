/**
 * The projects the scripted model knows how to design and build: the two-module sample from seed
 * 000's dry run (greeter + formatter) and synthetic graphs of N modules (chain, diamond, wide) used to
 * load the scheduler, the wave limits and assembly ordering. A plan is also rebuilt from a
 * modules.json the agent read, so builders and QC follow the contracts actually on disk.
 */
import type { ProjectChoice, SyntheticShape } from '../types';

export type ModuleKind = 'formatter' | 'greeter' | 'combiner' | 'tokenizer' | 'counter';
/** The two sample stacks: CommonJS with node:test, and standard-library Python with unittest. */
export type Stack = 'node' | 'python';
export type Tier = 'opus' | 'sonnet' | 'haiku';

export interface ModulePlan {
  name: string;
  description: string;
  dependsOn: string[];
  builderModel: Tier;
  complexity: 'high' | 'medium' | 'low';
  kind: ModuleKind;
  /** 1-based position in the manifest: the combiner's salt. */
  salt: number;
  /** Where the module's code lives (modules.json `path`). */
  path: string;
}

export interface ProjectPlan {
  kind: 'sample' | 'synthetic';
  stack: Stack;
  name: string;
  description: string;
  shape?: SyntheticShape;
  modules: ModulePlan[];
  buildOrder: string[];
  /** Where the shared types live (modules.json `shared_path`). */
  sharedPath: string;
  /** The integration test command, when an existing repository already has one (`npm test`). */
  integrationTest?: string;
  /** modules.json `toolchain.project_test`, when the plan was read back from a manifest that has one. */
  projectTest?: string;
  /** The existing project's own build and lint (`npm run build`, `npm run lint`), kept in the toolchain. */
  build?: string;
  lint?: string;
}

/** Says "build", so `start` (mode detection, src/core/mode.ts) takes it for a build without asking. */
export const sampleDescription = 'Build a CLI tool with a greeter module and a formatter module.';
export const pythonDescription = 'Build a Python command-line word counter with a tokenizer module and a counter module.';

export function syntheticDescription(modules: number, shape: SyntheticShape): string {
  return `Synthetic project: ${modules} modules, ${shape} dependencies.`;
}

const MAX_SYNTHETIC_MODULES = 500;
const DESCRIPTION_PATTERN = /synthetic\D*(\d+)\s*modules?\D*(chain|diamond|wide)/i;
/** The project name the architect gives a synthetic project, as it comes back in later task cards. */
const NAME_PATTERN = /synthetic-(\d+)-(chain|diamond|wide)/i;

export function samplePlan(): ProjectPlan {
  return {
    kind: 'sample',
    stack: 'node',
    sharedPath: 'src/shared',
    name: 'greeter-cli',
    description: sampleDescription,
    modules: [
      {
        name: 'formatter',
        description: 'Renders a line of text in a named style (plain, upper, banner); rejects unknown styles.',
        dependsOn: [],
        builderModel: 'sonnet',
        complexity: 'low',
        kind: 'formatter',
        salt: 1,
        path: 'src/formatter',
      },
      {
        name: 'greeter',
        description: 'Builds a validated greeting for a name and renders it through the formatter.',
        dependsOn: ['formatter'],
        builderModel: 'sonnet',
        complexity: 'low',
        kind: 'greeter',
        salt: 2,
        path: 'src/greeter',
      },
    ],
    buildOrder: ['formatter', 'greeter'],
  };
}

/** The second sample stack: standard-library Python, tested with unittest, in a package of its own. */
export function pythonPlan(): ProjectPlan {
  return {
    kind: 'sample',
    stack: 'python',
    sharedPath: 'wordstats/shared',
    name: 'wordstats',
    description: pythonDescription,
    modules: [
      {
        name: 'tokenizer',
        description: 'Splits a text into lowercase words (letters, digits and inner apostrophes); rejects anything but a str.',
        dependsOn: [],
        builderModel: 'sonnet',
        complexity: 'low',
        kind: 'tokenizer',
        salt: 1,
        path: 'wordstats/tokenizer',
      },
      {
        name: 'counter',
        description: 'Counts the words of a text through the tokenizer and ranks them by count, then alphabetically.',
        dependsOn: ['tokenizer'],
        builderModel: 'sonnet',
        complexity: 'low',
        kind: 'counter',
        salt: 2,
        path: 'wordstats/counter',
      },
    ],
    buildOrder: ['tokenizer', 'counter'],
  };
}

function moduleName(index: number, count: number): string {
  return `mod-${String(index).padStart(Math.max(2, String(count).length), '0')}`;
}

/** Layers of module indexes: one root, middle layers about sqrt(n) wide, one sink. */
export function diamondLayers(n: number): number[][] {
  if (n <= 2) return Array.from({ length: n }, (_, i) => [i + 1]);
  const width = Math.max(1, Math.round(Math.sqrt(n)));
  const layers: number[][] = [[1]];
  for (let start = 2; start <= n - 1; start += width) {
    layers.push(Array.from({ length: Math.min(width, n - start) }, (_, i) => start + i));
  }
  layers.push([n]);
  return layers;
}

function syntheticDeps(index: number, n: number, shape: SyntheticShape): number[] {
  if (index === 1) return [];
  if (shape === 'chain') return [index - 1];
  if (shape === 'wide') return [1];
  const layers = diamondLayers(n);
  const at = layers.findIndex((layer) => layer.includes(index));
  return layers[at - 1] ?? [];
}

/** Wide graphs mix tiers (ADR-004): the shared root is the hard part, every third leaf is simple enough for haiku. */
function syntheticTier(index: number, shape: SyntheticShape): { builderModel: Tier; complexity: ModulePlan['complexity'] } {
  if (shape !== 'wide') return { builderModel: 'sonnet', complexity: 'medium' };
  if (index === 1) return { builderModel: 'opus', complexity: 'high' };
  return index % 3 === 0 ? { builderModel: 'haiku', complexity: 'low' } : { builderModel: 'sonnet', complexity: 'medium' };
}

export function syntheticPlan(count: number, shape: SyntheticShape): ProjectPlan {
  const n = Math.min(Math.max(1, Math.floor(count)), MAX_SYNTHETIC_MODULES);
  const modules: ModulePlan[] = [];
  for (let i = 1; i <= n; i++) {
    const deps = syntheticDeps(i, n, shape).map((d) => moduleName(d, n));
    modules.push({
      name: moduleName(i, n),
      description: `Synthetic module ${i} of ${n} (${shape}): combines the values of ${deps.length ? deps.join(', ') : 'no other module (root)'}.`,
      dependsOn: deps,
      ...syntheticTier(i, shape),
      kind: 'combiner',
      salt: i,
      path: `src/${moduleName(i, n)}`,
    });
  }
  return {
    kind: 'synthetic',
    stack: 'node',
    sharedPath: 'src/shared',
    name: `synthetic-${n}-${shape}`,
    description: syntheticDescription(n, shape),
    shape,
    modules,
    buildOrder: modules.map((m) => m.name),
  };
}

export function planFromChoice(choice: ProjectChoice): ProjectPlan {
  if (choice.kind === 'python') return pythonPlan();
  return choice.kind === 'sample' ? samplePlan() : syntheticPlan(choice.modules, choice.shape);
}

/** The project a description (or a project name from a task card) asks for; anything else is the JavaScript sample. */
export function detectProject(text: string, override?: ProjectChoice): ProjectPlan {
  if (override) return planFromChoice(override);
  const m = DESCRIPTION_PATTERN.exec(text) ?? NAME_PATTERN.exec(text);
  if (m) return syntheticPlan(Number.parseInt(m[1]!, 10), m[2]!.toLowerCase() as SyntheticShape);
  if (/\bpython\b|\bwordstats\b/i.test(text)) return pythonPlan();
  return samplePlan();
}

/**
 * An architect keeps the stack and layout of the repository it finds (the "Existing codebase" part of
 * its task): a JavaScript project with a `lib/` folder gets its modules there, and its own
 * `npm test` stays the integration test command, and its `build` and `lint` scripts the toolchain's.
 */
export function adaptToExisting(plan: ProjectPlan, existing: string): ProjectPlan {
  if (plan.stack !== 'node' || /^None: this is a new project/.test(existing.trim())) return plan;
  const hasPackage = /^- package\.json$/m.test(existing);
  const hasTestScript = /"test"\s*:/.test(existing);
  const inLib = /^- lib\//m.test(existing);
  if (!inLib && !hasPackage) return plan;
  const root = inLib ? 'lib' : 'src';
  return {
    ...plan,
    sharedPath: `${root}/shared`,
    modules: plan.modules.map((m) => ({ ...m, path: `${root}/${m.name}` })),
    ...(hasPackage && hasTestScript ? { integrationTest: 'npm test' } : {}),
    ...(hasPackage && /"build"\s*:/.test(existing) ? { build: 'npm run build' } : {}),
    ...(hasPackage && /"lint"\s*:/.test(existing) ? { lint: 'npm run lint' } : {}),
  };
}

export function findModule(plan: ProjectPlan, name: string | undefined): ModulePlan | undefined {
  return plan.modules.find((m) => m.name === name);
}

/** The module a scenario acts on: the option if set, else the last module of the build order. */
export function scenarioTarget(plan: ProjectPlan, option: string | undefined): string | undefined {
  return option ?? plan.buildOrder.at(-1);
}
