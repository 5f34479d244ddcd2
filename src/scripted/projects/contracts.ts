/**
 * The full contract set the scripted architect writes for a plan: architecture.md (ending in the
 * DONE sentinel), modules.json, interfaces, ADRs and locks.json. Paths are relative to the
 * contracts directory. Timestamps are a fixed instant so that the same request always gets the same
 * reply (the model is stateless and has no clock).
 */
import { interfaceDoc, sharedTypesDoc } from './interfaces';
import { manifestOf } from './manifest';
import type { ProjectPlan } from './plan';
import { toolchainOf } from './stack';

export const SCRIPTED_NOW = '2026-01-01T00:00:00.000Z';

interface Adr {
  stem: string;
  title: string;
  context: string;
  decision: string;
  alternatives: string;
  consequences: string;
  lock: { locked_by: string; lock_level: 'unlocked' | 'locked' | 'critical'; assertion: string; category?: string };
}

function adrsFor(plan: ProjectPlan): Adr[] {
  const python = plan.stack === 'python';
  const toolchain = toolchainOf(plan);
  const adrs: Adr[] = [
    python
      ? {
          stem: '001-module-system',
          title: 'Standard-library Python packages tested with unittest',
          context: 'Modules are built in parallel by different builders and must import each other with nothing to install.',
          decision: `Every module is a package under \`${plan.sharedPath.split('/')[0]}/\` (\`<module>/__init__.py\`, imported as \`from ${plan.sharedPath.split('/')[0]} import <module>\`) with tests in \`<module>/test_<module>.py\` run by \`python -m unittest\` from a virtual environment made by \`${toolchain.install}\`.`,
          alternatives: 'pytest (rejected: a third-party dependency for what unittest does), a flat layout (rejected: module names would collide with the standard library).',
          consequences: `No third-party packages; module tests: \`${toolchain.test}\`; integration tests: \`${toolchain.integration_test}\`.`,
          lock: { locked_by: 'architect', lock_level: 'locked', assertion: 'Modules are standard-library Python packages with unittest tests beside the code.' },
        }
      : {
          stem: '001-module-system',
          title: 'CommonJS modules tested with node:test',
          context: 'Modules are built in parallel by different builders and must load each other without a build step.',
          decision: "Every module is CommonJS (`<module path>/index.js`, dependencies via `require('../<dep>')`) with tests in `<module path>/index.test.js` run by `node --test`.",
          alternatives: 'ES modules (rejected: mixed loaders across builders), TypeScript (rejected: adds a compile step to every merge), Jest/Mocha (rejected: extra dependencies).',
          consequences: `No third-party packages; \`${toolchain.install}\` only writes the lockfile; module tests: \`${toolchain.test}\`; integration tests: \`${toolchain.integration_test}\`.`,
          lock: { locked_by: 'architect', lock_level: 'locked', assertion: 'Modules are CommonJS with node:test tests next to the code.' },
        },
    {
      stem: '002-input-validation',
      title: 'Validate every public input',
      context: 'Module inputs come from the command line and from other modules; unvalidated input is the main attack surface of a CLI.',
      decision: 'Every public function validates its inputs first and throws the TypeError/RangeError with the exact message its interface documents. No credentials in code.',
      alternatives: 'Validating only at the CLI boundary (rejected: modules are reused), returning error values (rejected: easy to ignore).',
      consequences: 'QC checks each documented error message; a missing validation is a MAJOR finding, a hardcoded secret CRITICAL.',
      lock: { locked_by: 'security', lock_level: 'critical', assertion: 'All public inputs are validated with the documented errors; no secrets in code.', category: 'security' },
    },
  ];
  if (plan.kind === 'synthetic') {
    adrs.push({
      stem: '003-deterministic-combination',
      title: 'Deterministic combination of dependency values',
      context: 'Synthetic modules exist to exercise ordering and assembly; their outputs must make a wrong order or a missing merge visible.',
      decision: '`combine(inputs) = (SALT * 1000 + sum(inputs[i] * (i + 1))) mod 1000003`, inputs in `depends_on` order; `value()` combines the dependencies\' values.',
      alternatives: 'String concatenation (rejected: grows exponentially on diamonds), random values (rejected: not testable).',
      consequences: 'Every module has one exact expected value, asserted by its tests once its dependencies are assembled.',
      lock: { locked_by: 'architect', lock_level: 'locked', assertion: 'combine is (SALT*1000 + sum(input_i*(i+1))) mod 1000003 in depends_on order.' },
    });
  }
  if (plan.shape === 'wide') {
    adrs.push({
      stem: '004-builder-tiers',
      title: 'Mixed builder tiers for the wide graph',
      context: 'Every leaf depends on the root, so the root is load-bearing while the leaves are small and alike.',
      decision: 'The root is built by opus; every third leaf by haiku, the others by sonnet.',
      alternatives: 'One tier for all (rejected: does not exercise the per-tier wave limits).',
      consequences: 'Builds run under three wave limits at once.',
      lock: { locked_by: 'architect', lock_level: 'unlocked', assertion: 'Root on opus, every third leaf on haiku, the rest on sonnet.' },
    });
  }
  return adrs;
}

function adrDoc(adr: Adr): string {
  const number = adr.stem.slice(0, 3);
  return [
    `# ADR-${number}: ${adr.title}`,
    '## Status: Accepted',
    '## Context',
    adr.context,
    '## Decision',
    adr.decision,
    '## Alternatives Considered',
    adr.alternatives,
    '## Consequences',
    adr.consequences,
    '',
  ].join('\n');
}

function locksOf(plan: ProjectPlan, adrs: Adr[]): string {
  const all = plan.modules.map((m) => m.name);
  const decisions: Record<string, unknown> = {};
  for (const adr of adrs) decisions[adr.stem] = { ...adr.lock, affects: all, locked_at: SCRIPTED_NOW };
  return JSON.stringify({ decisions, interfaces: {} }, null, 2) + '\n';
}

function architectureDoc(plan: ProjectPlan, adrs: Adr[]): string {
  const moduleLines = plan.modules.map(
    (m) => `- \`${m.name}\` (${m.builderModel}, ${m.complexity}): ${m.description}${m.dependsOn.length ? ` Depends on ${m.dependsOn.map((d) => `\`${d}\``).join(', ')}.` : ''}`,
  );
  const python = plan.stack === 'python';
  const toolchain = toolchainOf(plan);
  const flow = python
    ? 'The command line passes a text to `counter.count_words`, which splits it into words with `tokenizer.tokenize`, counts them and ranks them. Invalid input raises the documented TypeError/ValueError back to the caller.'
    : plan.kind === 'sample'
      ? 'The CLI passes a name and an optional style to `greeter.greet`, which validates the name, builds the greeting and hands it to `formatter.format`, which renders it in the chosen style. Errors travel back to the caller as thrown TypeError/RangeError with documented messages.'
      : `Values flow from the root \`${plan.modules[0]?.name ?? ''}\` along \`depends_on\` edges (${plan.shape} shape): each module combines the values of its dependencies with its own salt.`;
  return [
    `# Architecture: ${plan.name}`,
    '',
    '## System Overview',
    `${plan.description}`,
    '',
    `The project is a set of ${plan.modules.length} small ${python ? 'Python packages using only the standard library' : 'CommonJS modules with no runtime dependencies'}. Each module lives in its own folder (${plan.modules.map((m) => `\`${m.path}/\``).join(', ')}) and exposes a pure API described by its interface contract, so builders can implement modules in parallel from the contracts alone.`,
    '',
    'Quality comes from the contracts: documented errors are exact, tests sit next to the code, and every module is merged only after its tests pass on the integration branch.',
    '',
    '## Modules',
    ...moduleLines,
    '',
    '## Data Flow',
    flow,
    '',
    '## Technology Choices',
    ...adrs.map((a) => `- ${a.title} (ADR-${a.stem.slice(0, 3)}): ${a.decision}`),
    '',
    '## Deployment',
    `${toolchain.runtime}; no third-party dependencies. Install: \`${toolchain.install}\`; every test: \`${toolchain.integration_test}\`. Nothing is published.`,
    '',
    '## Security',
    'All public inputs are validated (ADR-002, critical). No secrets, network access or file system access in any module.',
    '',
    '## Performance',
    'Every call is O(input size); module loading has no side effects. Cached values are computed once per process.',
    '',
    '<!-- DONE -->',
  ].join('\n');
}

export interface ContractSet {
  /** Relative path under the contracts directory → content. */
  files: Map<string, string>;
  adrCount: number;
  lockedCount: number;
}

export function contractSet(plan: ProjectPlan): ContractSet {
  const adrs = adrsFor(plan);
  const files = new Map<string, string>();
  files.set('architecture.md', architectureDoc(plan, adrs));
  files.set('modules.json', JSON.stringify(manifestOf(plan), null, 2) + '\n');
  for (const m of plan.modules) files.set(`interfaces/${m.name}.interface.md`, interfaceDoc(m, plan));
  files.set('interfaces/shared-types.md', sharedTypesDoc(plan));
  for (const adr of adrs) files.set(`decisions/${adr.stem}.md`, adrDoc(adr));
  files.set('locks.json', locksOf(plan, adrs));
  return { files, adrCount: adrs.length, lockedCount: adrs.filter((a) => a.lock.lock_level !== 'unlocked').length };
}
