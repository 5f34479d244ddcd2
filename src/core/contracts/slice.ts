/**
 * Each agent's part of the contracts, instead of all of them. At 200 modules the whole set
 * (modules.json, architecture.md, every interface) is about 110k tokens: past half the context
 * window, so every agent would clear its own tool results every turn. An agent gets:
 *  - the shared part, byte-identical for every agent of a run (so it is one cached prefix): the
 *    project part of modules.json, an index of every module (name, folder, one line), shared-types,
 *    the locks that bind every module, and architecture.md when it is short enough (else a line
 *    saying to read it);
 *  - its slice, after the shared part in a block of its own: for a module's builder and QC the
 *    module's modules.json entry and interface, the locks that bind it (beyond the shared ones) and
 *    the interfaces of the modules it depends on (what it calls); the master evaluating a conflict
 *    also gets the interfaces of the modules that depend on it and every lock; the scaffold gets
 *    every module's entry and as many interfaces as fit.
 * Everything not inlined is still in `.orchestration/contracts/` in every worktree, and the text
 * says so where something was left out. Pure functions of the contracts: no disk here.
 */
import type { LockEntry, Locks, ModuleSpec, ModulesManifest } from './schemas';
import { modulePathOf } from './schemas';
import { interfaceFileFor, LOCKS_FILE, SHARED_TYPES_FILE } from './lockRules';

export const CONTRACTS_DIR = '.orchestration/contracts';

export interface ContractSource {
  manifest: ModulesManifest;
  locks: Locks;
  /** A file under the contracts folder by its relative path; undefined when it cannot be read. */
  read(rel: string): string | undefined;
}

export interface InlineLimits {
  /** architecture.md is inlined only up to this size (characters); beyond, agents read it. */
  architectureChars: number;
  /** Other modules' interfaces inlined in one slice, at most (characters). */
  interfacesChars: number;
  /** A module's line in the index is cut here. */
  indexLineChars: number;
}

export const DEFAULT_INLINE_LIMITS: InlineLimits = { architectureChars: 24_000, interfacesChars: 60_000, indexLineChars: 160 };

type LockKind = 'decision' | 'interface';
interface NamedLock {
  kind: LockKind;
  key: string;
  entry: LockEntry;
}

function allLocks(locks: Locks): NamedLock[] {
  return [
    ...Object.entries(locks.decisions).map(([key, entry]) => ({ kind: 'decision' as const, key, entry })),
    ...Object.entries(locks.interfaces).map(([key, entry]) => ({ kind: 'interface' as const, key, entry })),
  ];
}

/** An empty `affects` binds every module; so does a list that names them all. */
function bindsEveryModule(entry: LockEntry, modules: readonly string[]): boolean {
  if (entry.affects.length === 0) return true;
  const named = new Set(entry.affects);
  return modules.every((m) => named.has(m));
}

function bindsModule(entry: LockEntry, module: string): boolean {
  return entry.affects.length === 0 || entry.affects.includes(module);
}

function lockLine(l: NamedLock, affects: string): string {
  return `- ${l.kind} ${l.key} [${l.entry.lock_level}]${l.entry.category ? ` (${l.entry.category})` : ''} (locked by ${l.entry.locked_by}; ${affects}): ${l.entry.assertion}`;
}

function affectsText(entry: LockEntry, modules: readonly string[]): string {
  if (bindsEveryModule(entry, modules)) return 'binds every module';
  return entry.affects.length <= 8 ? `affects ${entry.affects.join(', ')}` : `affects ${entry.affects.length} modules`;
}

/** Lock flags that bind a module, one line each (a builder's task card). */
export function lockFlagsFor(locks: Locks, module: string): string {
  const lines = allLocks(locks)
    .filter((l) => bindsModule(l.entry, module))
    .map((l) => `- ${l.kind} ${l.key} [${l.entry.lock_level}] (locked by ${l.entry.locked_by}): ${l.entry.assertion}`);
  return lines.length ? lines.join('\n') : '- none';
}

/** The locks that bind `module` but not every module: the ones the shared part does not show. */
export function ownLocks(locks: Locks, manifest: ModulesManifest, module: string): string[] {
  const names = manifest.modules.map((m) => m.name);
  return allLocks(locks)
    .filter((l) => bindsModule(l.entry, module) && !bindsEveryModule(l.entry, names))
    .map((l) => lockLine(l, affectsText(l.entry, names)));
}

function fileBlock(rel: string, text: string | undefined, note = ''): string {
  if (text === undefined) return `### ${CONTRACTS_DIR}/${rel}${note}\n(could not be read; read it yourself)`;
  // Four backticks: contract markdown has its own ``` fences inside.
  return `### ${CONTRACTS_DIR}/${rel}${note}\n\`\`\`\`\n${text.trimEnd()}\n\`\`\`\``;
}

/** Text on one line (runs of whitespace made one space), at most `max` characters. */
export function oneLine(text: string, max: number): string {
  const line = text.replace(/\s+/g, ' ').trim();
  return line.length > max ? `${line.slice(0, max - 1)}…` : line;
}

/** Every module in one line each: what exists, where, and what it does. */
export function moduleIndex(manifest: ModulesManifest, limits: InlineLimits = DEFAULT_INLINE_LIMITS): string {
  return manifest.modules.map((m) => `- \`${m.name}\` (\`${modulePathOf(m)}/\`): ${oneLine(m.description, limits.indexLineChars)}`).join('\n');
}

/** The shared part: byte-identical for every agent that reads the same contracts. */
export function sharedContracts(src: ContractSource, limits: InlineLimits = DEFAULT_INLINE_LIMITS): string {
  const { manifest } = src;
  const names = manifest.modules.map((m) => m.name);
  const { modules: _modules, build_order: _build, assembly_order: _assembly, ...project } = manifest;
  const architecture = src.read('architecture.md');
  const architectureBlock =
    architecture !== undefined && architecture.length > limits.architectureChars
      ? `### ${CONTRACTS_DIR}/architecture.md (not inlined)\nIt has ${architecture.length} characters, more than is inlined here (${limits.architectureChars}). ` +
        `Read it with your read tool when you need the design beyond the index below, in pieces (view_range) if it is cut.`
      : fileBlock('architecture.md', architecture);
  const shared = allLocks(src.locks).filter((l) => bindsEveryModule(l.entry, names));
  return [
    `The contract files are in \`${CONTRACTS_DIR}/\` in your working directory, read-only: architecture.md, modules.json, ${LOCKS_FILE}, ` +
      `interfaces/<module>.interface.md, ${SHARED_TYPES_FILE}, decisions/. What is inlined below is copied from them; anything ` +
      'not inlined, read from there.',
    architectureBlock,
    `### ${CONTRACTS_DIR}/modules.json (the project part; module entries are not repeated here)\n\`\`\`json\n${JSON.stringify(project, null, 2)}\n\`\`\``,
    `### Every module (${manifest.modules.length}: name, folder, description)\n${moduleIndex(manifest, limits)}`,
    fileBlock(SHARED_TYPES_FILE, src.read(SHARED_TYPES_FILE)),
    `### Locks that bind every module (from ${LOCKS_FILE})\n${shared.length ? shared.map((l) => lockLine(l, 'binds every module')).join('\n') : '- none'}`,
  ].join('\n\n');
}

/** Interfaces of `modules`, in order, while they fit `budget`; the rest named to be read. */
function interfaceBlocks(src: ContractSource, modules: readonly string[], budget: number): string {
  const blocks: string[] = [];
  const left: string[] = [];
  let used = 0;
  for (const name of modules) {
    const rel = interfaceFileFor(name);
    const text = src.read(rel);
    const size = (text?.length ?? 0) + rel.length + 64;
    if (left.length > 0 || (blocks.length > 0 && used + size > budget)) {
      left.push(name);
      continue;
    }
    blocks.push(fileBlock(rel, text));
    used += size;
  }
  if (left.length) blocks.push(`(Not inlined, to keep this prompt short; read them from \`${CONTRACTS_DIR}/interfaces/\`: ${left.join(', ')}.)`);
  return blocks.join('\n\n');
}

/** A builder's or QC agent's slice: the module, its locks, and what it calls. */
export function moduleSlice(src: ContractSource, module: string, limits: InlineLimits = DEFAULT_INLINE_LIMITS): string {
  const spec: ModuleSpec | undefined = src.manifest.modules.find((m) => m.name === module);
  // Only after a contract change removed it (a conflict's resolution cannot, but say so rather than throw).
  if (!spec) return `## Contracts of the module \`${module}\`\n\`${module}\` is not in ${CONTRACTS_DIR}/modules.json; read the contracts folder.`;
  const locks = ownLocks(src.locks, src.manifest, module);
  return [
    `## Contracts of the module \`${module}\``,
    `### Its entry in ${CONTRACTS_DIR}/modules.json\n\`\`\`json\n${JSON.stringify(spec, null, 2)}\n\`\`\``,
    fileBlock(interfaceFileFor(module), src.read(interfaceFileFor(module)), ` (the module's own interface)`),
    `### Locks that bind \`${module}\` besides those binding every module\n${locks.length ? locks.join('\n') : '- none'}`,
    spec.depends_on.length
      ? `### Interfaces of the modules \`${module}\` depends on (what it calls)\n\n${interfaceBlocks(src, spec.depends_on, limits.interfacesChars)}`
      : `### Modules \`${module}\` depends on\n- none`,
    `The interfaces of the other modules are not inlined: read \`${CONTRACTS_DIR}/interfaces/<module>.interface.md\` if you need one.`,
  ].join('\n\n');
}

/** The master's slice for a conflict in `module`: its slice, the modules that depend on it, and every lock. */
export function conflictSlice(src: ContractSource, module: string, limits: InlineLimits = DEFAULT_INLINE_LIMITS): string {
  const names = src.manifest.modules.map((m) => m.name);
  const dependents = src.manifest.modules.filter((m) => m.depends_on.includes(module)).map((m) => m.name);
  const locks = allLocks(src.locks);
  return [
    moduleSlice(src, module, limits),
    dependents.length
      ? `### Interfaces of the modules that depend on \`${module}\` (a contract change may affect them)\n\n${interfaceBlocks(src, dependents, limits.interfacesChars)}`
      : `### Modules that depend on \`${module}\`\n- none`,
    `### Every lock in ${CONTRACTS_DIR}/${LOCKS_FILE} (keys as a resolution names them)\n${locks.length ? locks.map((l) => lockLine(l, affectsText(l.entry, names))).join('\n') : '- none'}`,
  ].join('\n\n');
}

/** The scaffold's slice: what every module folder and the manifest need, and the interfaces that fit. */
export function scaffoldSlice(src: ContractSource, limits: InlineLimits = DEFAULT_INLINE_LIMITS): string {
  const { manifest } = src;
  const entries = manifest.modules.map(
    (m) => `- \`${m.name}\`: folder \`${modulePathOf(m)}/\`; packages ${m.dependencies.length ? m.dependencies.map((d) => `\`${d}\``).join(', ') : 'none'}; depends on ${m.depends_on.length ? m.depends_on.join(', ') : 'nothing'}`,
  );
  return [
    '## Contracts of every module',
    `### Each module's folder and packages (from ${CONTRACTS_DIR}/modules.json)\n${entries.join('\n')}`,
    `### Interfaces (the signatures each entry file must have)\n\n${interfaceBlocks(src, manifest.modules.map((m) => m.name), limits.interfacesChars)}`,
  ].join('\n\n');
}
