/**
 * What a scripted builder does differently under a scenario: writes it has no right to make
 * (outside-write), a contract it cannot honour (contract-conflict), and files every builder touches
 * so that assembly meets real merge conflicts (merge-conflict, trivial-conflict). The shared files
 * go through bash on purpose: bash is not path-confined, so only the merge can catch them.
 */
import * as path from 'node:path';
import type { ModulePlan } from '../projects/plan';
import { call, shellQuote, type PlannedCall } from '../reply';
import type { RoleContext } from './context';
import type { BuilderSetup } from './builder-setup';

export const OUTSIDE_PATH = '../outside.txt';

/** Three writes that must each be refused: outside the worktree, into the contracts, into another module. */
export function outsideWrites(ctx: RoleContext, s: BuilderSetup): PlannedCall[] {
  const other = s.cardPlan.modules.find((m) => m.name !== s.module)?.name ?? 'other';
  return [
    call('write', { file_path: OUTSIDE_PATH, content: `notes from the ${s.module} builder\n` }),
    call('write', { file_path: s.manifestPath, content: '{"project":"rewritten by a builder","modules":[]}\n' }),
    call('write', { file_path: `src/${other}/hack.js`, content: `module.exports = 'patched by ${s.module}';\n` }),
  ];
}

export interface ContractConflict {
  slug: string;
  sentence: string;
  report: string;
}

/**
 * needs-dependency: the builder finds that its module needs a package modules.json does not list for
 * it. It may not install one or edit the manifest (the prompt says so), so it reports a conflict.
 */
export function missingDependencyConflict(mod: ModulePlan, s: BuilderSetup): ContractConflict {
  const pkg = s.stack === 'python' ? 'regex' : 'string-width';
  const slug = `needs-${pkg}`;
  const sentence = `${mod.name} needs the package ${pkg}, which modules.json does not list for it.`;
  const report = [
    `# Contract conflict: ${mod.name} — ${slug}`,
    '',
    '## What cannot be honoured',
    `The interface \`${s.interfacePath}\` asks for widths measured the way a terminal displays them; doing that correctly needs \`${pkg}\`.`,
    '',
    '## Why',
    `modules.json lists no dependencies for ${mod.name}; builders may not install packages or edit the project manifest.`,
    '',
    '## Proposed change',
    `Add \`${pkg}\` to the \`dependencies\` of ${mod.name} in modules.json (the scaffold then declares and installs it), or relax the interface to count code points.`,
    '',
  ].join('\n');
  return { slug, sentence, report };
}

export function contractConflict(mod: ModulePlan, s: BuilderSetup): ContractConflict {
  const [slug, cannot, why, proposal] =
    mod.kind === 'greeter' || mod.kind === 'counter'
      ? [
          'name-length-units',
          'the limit "name must be at most 100 characters"',
          'JavaScript measures `length` in UTF-16 code units, so a 60-letter name in a script outside the Basic Multilingual Plane is rejected as longer than 100 while the contract speaks of characters',
          'state the limit as 100 Unicode code points (`Array.from(name).length`) and keep the message',
        ]
      : mod.kind === 'formatter'
        ? [
            'banner-width-units',
            'the banner row "as wide as the middle line"',
            'a width in UTF-16 code units misaligns the frame for emoji and East Asian wide characters, so the documented output cannot be both exact and aligned',
            'define the width as the number of code points of the middle line',
          ]
        : [
            'modulus-collisions',
            'the combination modulo 1000003',
            'with many wide dependencies distinct graphs collide often enough that a wrong assembly order can go unnoticed, which defeats the purpose stated in ADR-003',
            'use the modulus 2147483647 (2^31 - 1), still exact in double arithmetic for these sizes',
          ];
  const sentence = `${mod.name} cannot honour ${cannot} as written.`;
  const report = [
    `# Contract conflict: ${mod.name} — ${slug}`,
    '',
    `## What cannot be honoured`,
    `The interface \`${s.interfacePath}\` requires ${cannot}.`,
    '',
    '## Why',
    `${why.charAt(0).toUpperCase()}${why.slice(1)}.`,
    '',
    '## Proposed change',
    `${proposal.charAt(0).toUpperCase()}${proposal.slice(1)}; no other module's interface changes.`,
    '',
    '## Status',
    'Builder stopped without implementing the module; waiting for the master and the human.',
    '',
  ].join('\n');
  return { slug, sentence, report };
}

export function conflictPath(ctx: RoleContext, s: BuilderSetup, slug: string): string {
  const fromCard = ctx.c.card.conflictFile;
  if (fromCard) return fromCard.replace(/[{<]issue[}>]/g, slug);
  return `.orchestration/conflicts/${s.module}-${slug}.md`;
}

/** A heredoc body can hold anything but its own terminator line. */
const EOF = 'BP_SCRIPTED_EOF';

function heredoc(target: string, content: string, append = false): string {
  return `cat ${append ? '>>' : '>'} ${target} <<'${EOF}'\n${content.replace(/\n$/, '')}\n${EOF}`;
}

function camel(name: string): string {
  return name.replace(/-([a-z0-9])/g, (_, ch: string) => ch.toUpperCase());
}

/** Extra files this builder writes through bash, and the paths it then has to stage. */
export function sharedFileCommand(ctx: RoleContext, s: BuilderSetup): { command: string; path: string } | undefined {
  if (ctx.scenario === 'merge-conflict') {
    const content = [
      "'use strict';",
      `// Module registry, maintained by the ${s.module} builder.`,
      `module.exports = { owner: '${s.module}', modules: ['${s.module}'], entry: require('./${s.module}') };`,
    ].join('\n');
    return { command: heredoc('src/registry.js', content), path: 'src/registry.js' };
  }
  if (ctx.scenario === 'trivial-conflict') {
    // Adds its own line, keeping any a dependency's branch already put there: independent modules
    // then collide with one import line each (trivial), a dependant simply extends the file.
    const line = shellQuote(`const ${camel(s.module)} = require('./${s.module}');`);
    return { command: `grep -qxF ${line} src/index.js 2>/dev/null || printf '%s\\n' ${line} >> src/index.js`, path: 'src/index.js' };
  }
  return undefined;
}

/**
 * npm-install: the target builder installs a package through the shell (a local one, so no network
 * is needed): npm edits the project manifest, writes a lockfile and fills node_modules. None of that
 * is the builder's to change; the engine must leave all of it out of the commit and say so.
 */
export function npmInstallCommand(ctx: RoleContext, s: BuilderSetup): string | undefined {
  if (ctx.scenario !== 'npm-install' || !s.isTarget || s.fixCycle > 0) return undefined;
  return [
    'mkdir -p .scratch/pad',
    `printf '%s\\n' '{"name":"pad","version":"1.0.0","main":"index.js"}' > .scratch/pad/package.json`,
    `printf '%s\\n' 'module.exports = (s, n) => String(s).padStart(n);' > .scratch/pad/index.js`,
    'npm install --no-audit --no-fund --offline ./.scratch/pad',
  ].join(' && ');
}

export function appendCommand(target: string, lines: string[]): string {
  const dir = target.includes('/') ? target.slice(0, target.lastIndexOf('/')) : '.';
  return `mkdir -p ${shellQuote(dir)} && ${heredoc(shellQuote(target), lines.join('\n'), true)}`;
}

/**
 * integration-red: the target's first build also leaves a wiring test one folder down, where the
 * module's own test command (`<module_dir>/*.test.js`) does not look but the project-wide `node --test`
 * does. It fails, so the module passes its builder's and QC's runs and breaks the integration tests
 * after its merge; in the fix cycle (the engine sends the failure back) the builder corrects it.
 */
export function wiringTest(ctx: RoleContext, s: BuilderSetup): PlannedCall | undefined {
  if (!s.isTarget) return undefined;
  // harden-remerge-red: the same wiring test, broken in the first harden fix cycle (cycle 1) instead.
  const brokenCycle = ctx.scenario === 'integration-red' ? 0 : ctx.scenario === 'harden-remerge-red' ? 1 : undefined;
  if (brokenCycle === undefined || s.fixCycle < brokenCycle) return undefined;
  const expected = s.fixCycle === brokenCycle ? "'function'" + ' === typeof mod.notExported' : "Object.keys(mod).length > 0";
  const content = [
    "'use strict';",
    "const test = require('node:test');",
    "const assert = require('node:assert/strict');",
    "const mod = require('..');",
    '',
    `test('${s.module} exposes its public API to the rest of the project', () => {`,
    `  assert.ok(${expected}, 'the module entry does not expose what the project expects');`,
    '});',
    '',
  ].join('\n');
  return call('write', { file_path: `${s.moduleDir}/wiring/wiring.test.js`, content });
}

/**
 * stub-reliance: the target module's builder adds a test that requires the module after it in the
 * build order and expects its scaffold stub ("not implemented"). In the target's worktree that file
 * is the stub, so the builder's and QC's runs are green, and the test lives in the target's own
 * folder, so the engine commits it. It turns red only once the other module's real code is merged:
 * a merge that breaks another module's test through a file both share.
 */
export function stubRelianceTest(ctx: RoleContext, s: BuilderSetup): PlannedCall | undefined {
  if ((ctx.scenario !== 'stub-reliance' && ctx.scenario !== 'sibling-stub') || !s.isTarget) return undefined;
  const order = s.cardPlan.buildOrder;
  // sibling-stub (see types.ts): the module before the target instead of the one after it.
  const next = s.cardPlan.modules.find((m) => m.name === order[order.indexOf(s.module) + (ctx.scenario === 'sibling-stub' ? -1 : 1)]);
  if (!next) return undefined;
  const file = `${s.moduleDir}/relies-on-${next.name}.test.js`;
  if (ctx.scenario === 'sibling-stub' && s.fixCycle > 0) return call('bash', { command: `rm -f ${shellQuote(file)}` });
  const rel = path.posix.relative(s.moduleDir, next.path);
  const content = [
    "'use strict';",
    "const test = require('node:test');",
    "const assert = require('node:assert/strict');",
    `const other = require(${JSON.stringify(rel)});`,
    '',
    `test('${s.module} still sees ${next.name} as the scaffold left it', () => {`,
    "  const first = Object.values(other).find((v) => typeof v === 'function');",
    '  assert.throws(() => first(), /not implemented/);',
    '});',
    '',
  ].join('\n');
  return call('write', { file_path: file, content });
}
