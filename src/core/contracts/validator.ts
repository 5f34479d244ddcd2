/**
 * Cross-file rules for the architect's contracts in `.orchestration/contracts/` (SPEC M2).
 * zod (schemas.ts) checks the shape of each JSON file; this file checks what zod cannot see:
 * that the files agree with each other, that names are safe, that the dependency graph is sound,
 * and that the files themselves are sane to read (size, encoding, symlinks).
 *
 * Every problem names the offending item, because the list is fed back to the architect for a
 * repair round and "fix modules.json" alone gives it nothing to act on. The validator never
 * throws: the contracts are written by a model and may be anything.
 */
import { promises as fs } from 'node:fs';
import type { z } from 'zod';
import { errorText, listContractDir, readContractFile, type ContractsContext } from './contractFiles';
import { dependencyGraph, findCycle, formatCycle } from './graph';
import { checkLocks, DECISIONS_DIR, interfaceFileFor, LOCKS_FILE, SHARED_TYPES_FILE } from './lockRules';
import { quoteUntrusted, validateModuleName } from './names';
import { displayItem, ProblemList, type ContractProblem, type ContractRule } from './problems';
import { LocksSchema, ModulesManifestSchema, type Locks, type ModulesManifest } from './schemas';
import { checkModuleStack, checkToolchain, MODULES_FILE } from './stackRules';

export { CONTRACT_FILE_MAX_BYTES } from './contractFiles';
export { formatProblems, MAX_REPORTED_PROBLEMS, type ContractProblem, type ContractRule } from './problems';
export { DECISIONS_DIR, interfaceFileFor, LOCKS_FILE, SHARED_TYPES_FILE } from './lockRules';
export { MODULES_FILE } from './stackRules';

export interface ValidationResult {
  ok: boolean;
  problems: ContractProblem[];
  /** Present when modules.json passed its schema, even if other rules failed. */
  manifest?: ModulesManifest;
  /** Present when locks.json passed its schema, even if other rules failed. */
  locks?: Locks;
  /** Stems of well-named ADR files (`001-database`), sorted. */
  adrs: string[];
}

export const DONE_MARKER = '<!-- DONE -->';
const MAX_CYCLES_REPORTED = 10;

export const ARCHITECTURE_FILE = 'architecture.md';
export const ADR_FILE_PATTERN = /^(\d{3})-([a-z0-9]+(?:-[a-z0-9]+)*)\.md$/;
const ADR_SLUG_MAX = 80;

type Context = ContractsContext;

function parseJson(ctx: Context, rel: string, text: string): { ok: true; value: unknown } | { ok: false } {
  try {
    return { ok: true, value: JSON.parse(text) as unknown };
  } catch (error) {
    ctx.problems.add(rel, 'json.syntax', `${rel} is not valid JSON: ${quoteUntrusted(errorText(error), 200)}`);
    return { ok: false };
  }
}

function formatIssuePath(issuePath: readonly PropertyKey[]): string {
  let out = '';
  for (const key of issuePath) out += typeof key === 'number' ? `[${key}]` : `${out ? '.' : ''}${String(key)}`;
  return out || '(root)';
}

function reportSchemaIssues(ctx: Context, rel: string, rule: ContractRule, issues: readonly z.core.$ZodIssue[]): void {
  for (const issue of issues) {
    const where = formatIssuePath(issue.path);
    ctx.problems.add(rel, rule, `${rel}: ${where}: ${issue.message}`, where);
  }
}

function checkArchitecture(ctx: Context, text: string): void {
  const lines = text.split('\n').map((line) => line.trimEnd());
  const last = [...lines].reverse().find((line) => line.trim() !== '');
  if (last !== DONE_MARKER) {
    const found = last === undefined ? 'the file is empty' : `found ${quoteUntrusted(last, 80)}`;
    ctx.problems.add(ARCHITECTURE_FILE, 'architecture.done-marker', `the last non-empty line of ${ARCHITECTURE_FILE} must be exactly ${DONE_MARKER}; ${found}`);
  }
}

/** Name and dependency rules; returns the names that are safe to use as paths. */
function checkModules(ctx: Context, manifest: ModulesManifest): Set<string> {
  const safeNames = new Set<string>();
  const seen = new Set<string>();
  const reportedDuplicates = new Set<string>();
  for (const module of manifest.modules) {
    const nameProblem = validateModuleName(module.name);
    if (nameProblem !== null) ctx.problems.add(MODULES_FILE, 'module.name', nameProblem, module.name);
    else safeNames.add(module.name);
    if (seen.has(module.name) && !reportedDuplicates.has(module.name)) {
      reportedDuplicates.add(module.name);
      ctx.problems.add(MODULES_FILE, 'module.duplicate', `module ${quoteUntrusted(module.name)} is declared more than once`, module.name);
    }
    seen.add(module.name);
  }
  for (const module of manifest.modules) {
    for (const dep of module.depends_on) {
      if (dep === module.name) {
        ctx.problems.add(MODULES_FILE, 'module.depends-self', `module ${quoteUntrusted(module.name)} depends on itself`, module.name);
      } else if (!seen.has(dep)) {
        ctx.problems.add(MODULES_FILE, 'module.depends-unknown', `module ${quoteUntrusted(module.name)} depends on ${quoteUntrusted(dep)}, which is not a module`, dep);
      }
    }
  }
  return safeNames;
}

/** Reports up to MAX_CYCLES_REPORTED distinct cycles; returns whether any exists. */
function checkCycles(ctx: Context, manifest: ModulesManifest): boolean {
  // Self-dependencies are reported on their own; leaving them out keeps this report about real loops.
  const graph = dependencyGraph(
    manifest.modules.map((m) => ({ name: m.name, depends_on: m.depends_on.filter((d) => d !== m.name) })),
  );
  let found = false;
  for (let i = 0; i < MAX_CYCLES_REPORTED; i++) {
    const cycle = findCycle(graph);
    if (!cycle) break;
    found = true;
    ctx.problems.add(MODULES_FILE, 'graph.cycle', `dependency cycle: ${formatCycle(cycle.map(displayItem))}`, cycle[0]);
    // Cut the edge that closes this cycle so the next search can find a different one.
    const from = cycle[cycle.length - 2]!;
    const to = cycle[cycle.length - 1]!;
    graph.set(from, (graph.get(from) ?? []).filter((dep) => dep !== to));
  }
  return found;
}

function checkOrder(
  ctx: Context,
  manifest: ModulesManifest,
  field: 'build_order' | 'assembly_order',
  checkDependencies: boolean,
): void {
  const order = manifest[field];
  const moduleNames = new Set(manifest.modules.map((m) => m.name));
  const counts = new Map<string, number>();
  for (const entry of order) counts.set(entry, (counts.get(entry) ?? 0) + 1);
  for (const name of moduleNames) {
    if (!counts.has(name)) ctx.problems.add(MODULES_FILE, 'order.missing', `${field} is missing module ${quoteUntrusted(name)}`, name);
  }
  for (const [entry, count] of counts) {
    if (!moduleNames.has(entry)) ctx.problems.add(MODULES_FILE, 'order.extra', `${field} lists ${quoteUntrusted(entry)}, which is not a module`, entry);
    else if (count > 1) ctx.problems.add(MODULES_FILE, 'order.duplicate', `${field} lists ${quoteUntrusted(entry)} ${count} times`, entry);
  }
  if (!checkDependencies) return;
  const position = new Map<string, number>();
  order.forEach((entry, index) => {
    if (!position.has(entry)) position.set(entry, index);
  });
  for (const module of manifest.modules) {
    const at = position.get(module.name);
    if (at === undefined) continue;
    for (const dep of module.depends_on) {
      const depAt = position.get(dep);
      if (depAt !== undefined && dep !== module.name && depAt > at) {
        ctx.problems.add(
          MODULES_FILE,
          'order.dependency',
          `${field} puts ${quoteUntrusted(module.name)} before its dependency ${quoteUntrusted(dep)}`,
          module.name,
        );
      }
    }
  }
}

async function checkInterfaces(ctx: Context, manifest: ModulesManifest, safeNames: ReadonlySet<string>): Promise<void> {
  const checked = new Set<string>();
  for (const module of manifest.modules) {
    // Unsafe names never become paths; their name problem is already reported.
    if (!safeNames.has(module.name) || checked.has(module.name)) continue;
    checked.add(module.name);
    const expected = interfaceFileFor(module.name);
    if (module.interface !== expected) {
      ctx.problems.add(
        MODULES_FILE,
        'interface.path',
        `module ${quoteUntrusted(module.name)} has interface ${quoteUntrusted(module.interface)}; it must be ${quoteUntrusted(expected)}`,
        module.name,
      );
    }
    const text = await readContractFile(ctx, expected);
    if (text !== null && text.trim() === '') {
      ctx.problems.add(expected, 'interface.empty', `the interface of module ${quoteUntrusted(module.name)} (${expected}) is empty`, module.name);
    }
  }
}

async function checkSharedTypes(ctx: Context): Promise<void> {
  const text = await readContractFile(ctx, SHARED_TYPES_FILE);
  if (text !== null && text.trim() === '') ctx.problems.add(SHARED_TYPES_FILE, 'shared-types.empty', `${SHARED_TYPES_FILE} is empty`);
}

/** Checks decisions/ and returns the stems of well-named ADR files. */
async function checkDecisions(ctx: Context): Promise<string[]> {
  const entries = await listContractDir(ctx, DECISIONS_DIR);
  const stems: string[] = [];
  const byNumber = new Map<string, string>();
  for (const entry of entries ?? []) {
    const rel = `${DECISIONS_DIR}/${entry}`;
    const match = ADR_FILE_PATTERN.exec(entry);
    if (!match || match[2]!.length > ADR_SLUG_MAX) {
      ctx.problems.add(rel, 'adr.name', `ADR file ${quoteUntrusted(entry)} must be named NNN-topic.md (three digits, a dash, a lowercase slug of at most ${ADR_SLUG_MAX} characters)`, entry);
      continue;
    }
    const number = match[1]!;
    const earlier = byNumber.get(number);
    if (earlier !== undefined) {
      ctx.problems.add(rel, 'adr.duplicate-number', `ADR number ${number} is used by both ${earlier} and ${entry}`, entry);
    }
    byNumber.set(number, entry);
    const text = await readContractFile(ctx, rel);
    if (text === null) continue;
    if (text.trim() === '') ctx.problems.add(rel, 'adr.empty', `ADR ${entry} is empty`, entry);
    stems.push(entry.slice(0, -'.md'.length));
  }
  if (entries !== null && stems.length === 0) {
    ctx.problems.add(DECISIONS_DIR, 'adr.none', `${DECISIONS_DIR}/ holds no valid ADR; at least one (NNN-topic.md) is required`);
  }
  return stems.sort();
}

async function loadJson<T>(
  ctx: Context,
  rel: string,
  schema: z.ZodType<T>,
  rule: ContractRule,
): Promise<T | undefined> {
  const text = await readContractFile(ctx, rel);
  if (text === null) return undefined;
  const parsed = parseJson(ctx, rel, text);
  if (!parsed.ok) return undefined;
  const result = schema.safeParse(parsed.value);
  if (!result.success) {
    reportSchemaIssues(ctx, rel, rule, result.error.issues);
    return undefined;
  }
  return result.data;
}

async function validate(ctx: Context): Promise<Omit<ValidationResult, 'ok' | 'problems'>> {
  const architecture = await readContractFile(ctx, ARCHITECTURE_FILE);
  if (architecture !== null) checkArchitecture(ctx, architecture);

  // The toolchain is checked apart from the rest of the schema, so that a manifest without one still
  // gets its names, graph and orders checked: one repair round can then fix everything at once.
  const parsed = await loadJson(ctx, MODULES_FILE, ModulesManifestSchema.extend({ toolchain: ModulesManifestSchema.shape.toolchain.optional() }), 'modules.schema');
  if (parsed && parsed.toolchain === undefined) {
    ctx.problems.add(
      MODULES_FILE,
      'modules.schema',
      `${MODULES_FILE}: toolchain: missing; give {"runtime", "install", "test" (with {module_dir}), "integration_test"}: the commands the engine will run for this stack`,
      'toolchain',
    );
  }
  const manifest = parsed?.toolchain !== undefined ? (parsed as ModulesManifest) : undefined;
  if (parsed) {
    const lenient = parsed as ModulesManifest;
    const safeNames = checkModules(ctx, lenient);
    const hasCycle = checkCycles(ctx, lenient);
    // With a cycle no order can respect the dependencies; the cycle report is the actionable one.
    checkOrder(ctx, lenient, 'build_order', !hasCycle);
    checkOrder(ctx, lenient, 'assembly_order', !hasCycle);
    await checkInterfaces(ctx, lenient, safeNames);
    checkModuleStack(ctx, lenient, safeNames);
  }
  if (manifest) checkToolchain(ctx, manifest);
  await checkSharedTypes(ctx);

  const adrs = await checkDecisions(ctx);
  const locks = await loadJson(ctx, LOCKS_FILE, LocksSchema, 'locks.schema');
  if (locks) checkLocks(ctx, locks, parsed as ModulesManifest | undefined, adrs);

  const out: Omit<ValidationResult, 'ok' | 'problems'> = { adrs };
  if (manifest) out.manifest = manifest;
  if (locks) out.locks = locks;
  return out;
}

/** Validates `<root>/.orchestration/contracts`. Never throws; every failure becomes a problem. */
export async function validateContracts(contractsDir: string): Promise<ValidationResult> {
  const problems = new ProblemList();
  let root: string;
  try {
    root = await fs.realpath(contractsDir);
    if (!(await fs.stat(root)).isDirectory()) throw new Error('not a directory');
  } catch {
    problems.add('.', 'contracts.missing', `the contracts directory ${quoteUntrusted(contractsDir, 200)} does not exist or is not a directory`);
    return { ok: false, problems: problems.finish(), adrs: [] };
  }
  const ctx: Context = { root, problems };
  let found: Omit<ValidationResult, 'ok' | 'problems'> = { adrs: [] };
  try {
    found = await validate(ctx);
  } catch (error) {
    // A safety net: a rule that throws on input nobody thought of must still give a clear answer.
    problems.add('.', 'internal', `the validator failed unexpectedly: ${errorText(error)}`);
  }
  const list = problems.finish();
  return { ok: list.length === 0, problems: list, ...found };
}
