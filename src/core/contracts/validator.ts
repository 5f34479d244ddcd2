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
import { constants as fsConstants, promises as fs } from 'node:fs';
import * as path from 'node:path';
import type { z } from 'zod';
import { dependencyGraph, findCycle, formatCycle } from './graph';
import { quoteUntrusted, validateModuleName } from './names';
import { LocksSchema, ModulesManifestSchema, type LockEntry, type Locks, type ModulesManifest } from './schemas';

export type ContractRule =
  | 'contracts.missing'
  | 'file.missing'
  | 'file.outside'
  | 'file.not-regular'
  | 'file.too-large'
  | 'file.binary'
  | 'file.unreadable'
  | 'architecture.done-marker'
  | 'json.syntax'
  | 'modules.schema'
  | 'module.name'
  | 'module.duplicate'
  | 'module.depends-unknown'
  | 'module.depends-self'
  | 'graph.cycle'
  | 'order.missing'
  | 'order.extra'
  | 'order.duplicate'
  | 'order.dependency'
  | 'interface.path'
  | 'interface.empty'
  | 'shared-types.empty'
  | 'locks.schema'
  | 'locks.security-level'
  | 'locks.affects-unknown'
  | 'locks.decision-without-adr'
  | 'locks.interface-unknown'
  | 'adr.name'
  | 'adr.duplicate-number'
  | 'adr.empty'
  | 'adr.none'
  | 'problems.truncated'
  | 'internal';

export interface ContractProblem {
  /** Path relative to the contracts directory, with `/` separators. */
  file: string;
  /** The offending module, key or order entry. Always printable (hostile values are quoted). */
  item?: string;
  rule: ContractRule;
  /** One line, naming the item; safe to print and to put in a prompt. */
  message: string;
}

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

/** Contracts are prose and small JSON; anything bigger is a runaway model or an attack. */
export const CONTRACT_FILE_MAX_BYTES = 1024 * 1024;
export const DONE_MARKER = '<!-- DONE -->';
/** More problems than this would drown the architect's repair prompt; the rest are counted. */
export const MAX_REPORTED_PROBLEMS = 200;
const MAX_CYCLES_REPORTED = 10;

export const ARCHITECTURE_FILE = 'architecture.md';
export const MODULES_FILE = 'modules.json';
export const LOCKS_FILE = 'locks.json';
export const SHARED_TYPES_FILE = 'interfaces/shared-types.md';
export const DECISIONS_DIR = 'decisions';
export const ADR_FILE_PATTERN = /^(\d{3})-([a-z0-9]+(?:-[a-z0-9]+)*)\.md$/;
const ADR_SLUG_MAX = 80;

export function interfaceFileFor(moduleName: string): string {
  return `interfaces/${moduleName}.interface.md`;
}

/** A value shown as `item`: kept verbatim when it is plain, quoted when it could mislead a reader. */
function displayItem(value: unknown): string {
  return typeof value === 'string' && /^[A-Za-z0-9._/[\]-]{1,100}$/.test(value) ? value : quoteUntrusted(value, 100);
}

function oneLine(text: string): string {
  return text.replace(/[\u0000-\u001f\u007f]+/g, ' ').trim();
}

class ProblemList {
  readonly items: ContractProblem[] = [];
  private dropped = 0;

  add(file: string, rule: ContractRule, message: string, item?: unknown): void {
    if (this.items.length >= MAX_REPORTED_PROBLEMS) {
      this.dropped++;
      return;
    }
    const problem: ContractProblem = { file, rule, message: oneLine(message) };
    if (item !== undefined) problem.item = displayItem(item);
    this.items.push(problem);
  }

  finish(): ContractProblem[] {
    if (this.dropped === 0) return this.items;
    const note = `${this.dropped} more problem(s) not shown; fix the ones above first`;
    return [...this.items, { file: '.', rule: 'problems.truncated', message: note }];
  }
}

interface Context {
  /** Real path of the contracts directory; every file read must resolve inside it. */
  root: string;
  problems: ProblemList;
}

function isInside(root: string, candidate: string): boolean {
  return candidate === root || candidate.startsWith(root.endsWith(path.sep) ? root : root + path.sep);
}

function errorCode(error: unknown): string | undefined {
  return typeof error === 'object' && error !== null && 'code' in error ? String(error.code) : undefined;
}

function errorText(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/**
 * Reads a contract file as UTF-8 text, refusing (with a problem) anything missing, outside the
 * contracts directory after following symlinks, not a regular file, larger than the cap, or binary.
 * Returns null when the file cannot be used; the caller then skips the rules that need it.
 */
async function readContractFile(ctx: Context, rel: string): Promise<string | null> {
  const full = path.join(ctx.root, ...rel.split('/'));
  try {
    await fs.lstat(full);
  } catch (error) {
    const code = errorCode(error);
    if (code === 'ENOENT' || code === 'ENOTDIR') ctx.problems.add(rel, 'file.missing', `${rel} is missing`);
    else ctx.problems.add(rel, 'file.unreadable', `${rel} cannot be read: ${errorText(error)}`);
    return null;
  }
  let real: string;
  try {
    real = await fs.realpath(full);
  } catch {
    ctx.problems.add(rel, 'file.unreadable', `${rel} is a symlink whose target does not exist`);
    return null;
  }
  if (!isInside(ctx.root, real)) {
    ctx.problems.add(rel, 'file.outside', `${rel} resolves outside the contracts directory; contracts must be plain files`);
    return null;
  }
  let bytes: Buffer;
  try {
    // O_NONBLOCK: opening a FIFO planted under this name must not hang the validator.
    const handle = await fs.open(real, fsConstants.O_RDONLY | (fsConstants.O_NONBLOCK ?? 0));
    try {
      const stat = await handle.stat();
      if (!stat.isFile()) {
        ctx.problems.add(rel, 'file.not-regular', `${rel} is not a regular file`);
        return null;
      }
      // Read one byte past the cap so a file that grew after stat() is still caught.
      const buffer = Buffer.alloc(Math.min(stat.size, CONTRACT_FILE_MAX_BYTES) + 1);
      let filled = 0;
      while (filled < buffer.length) {
        const { bytesRead } = await handle.read(buffer, filled, buffer.length - filled, filled);
        if (bytesRead === 0) break;
        filled += bytesRead;
      }
      if (filled > CONTRACT_FILE_MAX_BYTES) {
        ctx.problems.add(rel, 'file.too-large', `${rel} is larger than ${CONTRACT_FILE_MAX_BYTES} bytes`);
        return null;
      }
      bytes = buffer.subarray(0, filled);
    } finally {
      await handle.close();
    }
  } catch (error) {
    ctx.problems.add(rel, 'file.unreadable', `${rel} cannot be read: ${errorText(error)}`);
    return null;
  }
  if (bytes.includes(0)) {
    ctx.problems.add(rel, 'file.binary', `${rel} contains NUL bytes; contracts must be text`);
    return null;
  }
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(bytes).replace(/^\uFEFF/, '');
  } catch {
    ctx.problems.add(rel, 'file.binary', `${rel} is not valid UTF-8 text`);
    return null;
  }
}

/** Names in a contracts subdirectory, or null (with a problem) when it cannot be listed safely. */
async function listContractDir(ctx: Context, rel: string): Promise<string[] | null> {
  const full = path.join(ctx.root, rel);
  try {
    const real = await fs.realpath(full);
    if (!isInside(ctx.root, real)) {
      ctx.problems.add(rel, 'file.outside', `${rel}/ resolves outside the contracts directory`);
      return null;
    }
    if (!(await fs.stat(real)).isDirectory()) {
      ctx.problems.add(rel, 'file.not-regular', `${rel} is not a directory`);
      return null;
    }
    return (await fs.readdir(real)).sort();
  } catch (error) {
    const code = errorCode(error);
    if (code === 'ENOENT' || code === 'ENOTDIR') ctx.problems.add(rel, 'file.missing', `${rel}/ is missing`);
    else ctx.problems.add(rel, 'file.unreadable', `${rel}/ cannot be listed: ${errorText(error)}`);
    return null;
  }
}

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

/** Words that mark a lock as a security decision when they appear in its key (substring match). */
const SECURITY_KEY_PARTS = ['security', 'auth', 'crypto', 'secret'];
/**
 * The same idea for the free-text assertion, but on word starts: prose says "author" and
 * "authority" far more often than keys do, and a false positive there would force needless locks.
 */
const SECURITY_ASSERTION_WORDS =
  /\b(?:security|secure|auth|authn|authz|authenticat\w*|authoriz\w*|oauth2?|crypto\w*|cryptograph\w*|secrets?|encrypt\w*|decrypt\w*|password\w*|credential\w*)\b/i;

/** Why this lock counts as a security decision, or null. Over-matching only costs a stricter lock. */
function securityReason(key: string, entry: LockEntry): string | null {
  const lowerKey = key.toLowerCase();
  const part = SECURITY_KEY_PARTS.find((p) => lowerKey.includes(p));
  if (part !== undefined) return `its key contains "${part}"`;
  if (entry.category?.toLowerCase() === 'security') return 'its category is "security"';
  if (entry.locked_by.toLowerCase() === 'security') return 'it was locked by the security domain';
  const word = SECURITY_ASSERTION_WORDS.exec(entry.assertion);
  if (word) return `its assertion mentions ${quoteUntrusted(word[0])}`;
  return null;
}

function checkLocks(ctx: Context, locks: Locks, manifest: ModulesManifest | undefined, adrStems: readonly string[]): void {
  const moduleNames = manifest ? new Set(manifest.modules.map((m) => m.name)) : null;
  const sections = [
    ['decisions', locks.decisions],
    ['interfaces', locks.interfaces],
  ] as const;
  for (const [section, entries] of sections) {
    for (const [key, entry] of Object.entries(entries)) {
      const label = `${section}.${quoteUntrusted(key)}`;
      const reason = securityReason(key, entry);
      if (reason !== null && entry.lock_level !== 'critical') {
        ctx.problems.add(LOCKS_FILE, 'locks.security-level', `lock ${label} is a security decision (${reason}) and must be "critical", not "${entry.lock_level}"`, key);
      }
      if (moduleNames) {
        for (const affected of entry.affects) {
          if (!moduleNames.has(affected)) {
            ctx.problems.add(LOCKS_FILE, 'locks.affects-unknown', `lock ${label} affects ${quoteUntrusted(affected)}, which is not a module`, affected);
          }
        }
      }
    }
  }
  const adrs = new Set(adrStems);
  for (const key of Object.keys(locks.decisions)) {
    if (!adrs.has(key)) {
      ctx.problems.add(LOCKS_FILE, 'locks.decision-without-adr', `locked decision ${quoteUntrusted(key)} has no ADR file ${DECISIONS_DIR}/${quoteUntrusted(key)}.md`, key);
    }
  }
  if (manifest) {
    // An interface lock may be keyed by module name or by the interface file path.
    const interfaceKeys = new Set<string>(['shared-types', SHARED_TYPES_FILE]);
    for (const m of manifest.modules) interfaceKeys.add(m.name).add(interfaceFileFor(m.name));
    for (const key of Object.keys(locks.interfaces)) {
      if (!interfaceKeys.has(key)) {
        ctx.problems.add(LOCKS_FILE, 'locks.interface-unknown', `interface lock ${quoteUntrusted(key)} names neither a module, its interface file, nor shared-types`, key);
      }
    }
  }
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

  const manifest = await loadJson(ctx, MODULES_FILE, ModulesManifestSchema, 'modules.schema');
  if (manifest) {
    const safeNames = checkModules(ctx, manifest);
    const hasCycle = checkCycles(ctx, manifest);
    // With a cycle no order can respect the dependencies; the cycle report is the actionable one.
    checkOrder(ctx, manifest, 'build_order', !hasCycle);
    checkOrder(ctx, manifest, 'assembly_order', !hasCycle);
    await checkInterfaces(ctx, manifest, safeNames);
  }
  await checkSharedTypes(ctx);

  const adrs = await checkDecisions(ctx);
  const locks = await loadJson(ctx, LOCKS_FILE, LocksSchema, 'locks.schema');
  if (locks) checkLocks(ctx, locks, manifest, adrs);

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

/** One line per problem, for the architect's repair prompt and the CLI. */
export function formatProblems(problems: readonly ContractProblem[]): string {
  return problems.map((p) => `- ${p.file}: ${oneLine(p.message)} [${p.rule}]`).join('\n');
}
