/**
 * Maps the `buildPipeline.*` settings onto overrides of the engine's config. Only settings the user
 * actually set (in user, workspace or folder settings, as `inspect()` reports them) are passed, and
 * only when usable: a setting left at its default must not overwrite what the repository's
 * `.build-pipeline.json` says. The engine's schema supplies the remaining defaults and validates.
 */
import type { ConfigOverrides } from '../../core/config';
import type { ModelTier } from '../../core/contracts/schemas';

/** Where a setting's value came from, as `WorkspaceConfiguration.inspect()` reports it. */
export interface SettingInspection<T> {
  defaultValue?: T;
  globalValue?: T;
  workspaceValue?: T;
  workspaceFolderValue?: T;
  defaultLanguageValue?: T;
  globalLanguageValue?: T;
  workspaceLanguageValue?: T;
  workspaceFolderLanguageValue?: T;
}

/** The part of `vscode.WorkspaceConfiguration` this needs, so it can be tested without VS Code. */
export interface SettingsReader {
  get<T>(key: string): T | undefined;
  inspect<T>(key: string): SettingInspection<T> | undefined;
}

/** The engine overrides plus settings the engine may not know yet (zod strips unknown keys). */
export type ExtensionRunConfig = ConfigOverrides & { budgetUsd?: number };

const TIERS: readonly ModelTier[] = ['opus', 'sonnet', 'haiku'];

/** The effective value of a setting the user set somewhere; undefined when only the default applies. */
function userValue(s: SettingsReader, key: string): unknown {
  const i = s.inspect<unknown>(key);
  if (!i) return undefined;
  const set = [i.globalValue, i.workspaceValue, i.workspaceFolderValue, i.globalLanguageValue, i.workspaceLanguageValue, i.workspaceFolderLanguageValue].some(
    (v) => v !== undefined,
  );
  return set ? s.get(key) : undefined;
}

function tier(v: unknown): ModelTier | undefined {
  return typeof v === 'string' && (TIERS as readonly string[]).includes(v) ? (v as ModelTier) : undefined;
}

function text(v: unknown): string | undefined {
  return typeof v === 'string' && v.trim() !== '' ? v.trim() : undefined;
}

function positiveInt(v: unknown): number | undefined {
  return typeof v === 'number' && Number.isInteger(v) && v >= 1 ? v : undefined;
}

/** Keeps only the entries that have a value, so an empty table is left out altogether. */
function entries<T extends object>(table: T): Partial<T> | undefined {
  const kept = Object.fromEntries(Object.entries(table).filter(([, v]) => v !== undefined)) as Partial<T>;
  return Object.keys(kept).length ? kept : undefined;
}

export function settingsToConfig(s: SettingsReader): ExtensionRunConfig {
  const config: ExtensionRunConfig = {};
  const tierModels = entries({
    opus: text(userValue(s, 'models.opus')),
    sonnet: text(userValue(s, 'models.sonnet')),
    haiku: text(userValue(s, 'models.haiku')),
  });
  if (tierModels) config.tierModels = tierModels;
  const roleTiers = entries({
    architect: tier(userValue(s, 'roleTiers.architect')),
    scaffold: tier(userValue(s, 'roleTiers.scaffold')),
    builder: tier(userValue(s, 'roleTiers.builder')),
    qc: tier(userValue(s, 'roleTiers.qc')),
    master: tier(userValue(s, 'roleTiers.master')),
    auditPlanner: tier(userValue(s, 'roleTiers.auditPlanner')),
    auditWorker: tier(userValue(s, 'roleTiers.auditWorker')),
    auditCoordinator: tier(userValue(s, 'roleTiers.auditCoordinator')),
    shipper: tier(userValue(s, 'roleTiers.shipper')),
  });
  if (roleTiers) config.roleTiers = roleTiers;
  const waveLimits = entries({
    opus: positiveInt(userValue(s, 'waveLimits.opus')),
    sonnet: positiveInt(userValue(s, 'waveLimits.sonnet')),
    haiku: positiveInt(userValue(s, 'waveLimits.haiku')),
  });
  if (waveLimits) config.waveLimits = waveLimits;
  const moduleTest = text(userValue(s, 'moduleTestCommand'));
  if (moduleTest) config.moduleTestCommand = moduleTest;
  const integrationTest = text(userValue(s, 'integrationTestCommand'));
  if (integrationTest) config.integrationTestCommand = integrationTest;
  // Agent limits and context bounds: passed only when set, so `.build-pipeline.json` and the role defaults apply otherwise.
  const roleLimits = limitsByKey(userValue(s, 'roleLimits'), ['architect', 'scaffold', 'builder', 'qc']);
  if (roleLimits) config.roleLimits = roleLimits;
  const tierLimits = limitsByKey(userValue(s, 'tierLimits'), TIERS);
  if (tierLimits) config.tierLimits = tierLimits;
  const maxTokens = positiveInt(userValue(s, 'maxTokens'));
  if (maxTokens) config.maxTokens = maxTokens;
  const maxAgentTurns = positiveInt(userValue(s, 'maxAgentTurns'));
  if (maxAgentTurns) config.maxAgentTurns = maxAgentTurns;
  const toolResultMaxChars = positiveInt(userValue(s, 'toolResultMaxChars'));
  if (toolResultMaxChars) config.toolResultMaxChars = toolResultMaxChars;
  const contextWindowTokens = positiveInt(userValue(s, 'contextWindowTokens'));
  if (contextWindowTokens) config.contextWindowTokens = contextWindowTokens;
  // 0 set on purpose means "no budget" and does override a budget in the file.
  const budget = userValue(s, 'budgetUsd');
  if (typeof budget === 'number' && Number.isFinite(budget) && budget >= 0) config.budgetUsd = budget;
  const enabled = userValue(s, 'sandbox.enabled');
  const domains = userValue(s, 'sandbox.allowedDomains');
  if (typeof enabled === 'boolean' || Array.isArray(domains)) config.sandbox = sandboxOverride(s);
  const mcpAccess = userValue(s, 'mcp.access');
  if (mcpAccess && typeof mcpAccess === 'object' && !Array.isArray(mcpAccess) && Object.keys(mcpAccess).length) {
    config.mcpAccess = mcpAccess as ConfigOverrides['mcpAccess'];
  }
  return config;
}

type Limits = { maxTokens?: number; maxTurns?: number; thinkingBudget?: number };

/** `{ role: { maxTokens, maxTurns, thinkingBudget } }` from a settings object, keeping only usable numbers; undefined when empty. */
function limitsByKey<K extends string>(v: unknown, keys: readonly K[]): Partial<Record<K, Limits>> | undefined {
  if (!v || typeof v !== 'object') return undefined;
  const out: Partial<Record<K, Limits>> = {};
  for (const key of keys) {
    const entry = (v as Record<string, unknown>)[key];
    if (!entry || typeof entry !== 'object') continue;
    const e = entry as Record<string, unknown>;
    const limits: Limits = {};
    const maxTokens = positiveInt(e['maxTokens']);
    const maxTurns = positiveInt(e['maxTurns']);
    const thinking = e['thinkingBudget'];
    if (maxTokens) limits.maxTokens = maxTokens;
    if (maxTurns) limits.maxTurns = maxTurns;
    if (typeof thinking === 'number' && Number.isInteger(thinking) && thinking >= 0) limits.thinkingBudget = thinking;
    if (Object.keys(limits).length > 0) out[key] = limits;
  }
  return Object.keys(out).length > 0 ? out : undefined;
}

/**
 * The sandbox part, which VS Code always passes (runLauncher), set or not: the switch is the
 * machine-scoped setting's (default on), so a repository's `.build-pipeline.json` cannot turn the
 * sandbox off in VS Code; the allow-list adds to the file's (config.ts merges the two lists).
 */
export function sandboxOverride(s: SettingsReader): NonNullable<ConfigOverrides['sandbox']> {
  const domains = s.get<unknown>('sandbox.allowedDomains');
  return {
    enabled: s.get<boolean>('sandbox.enabled') !== false,
    allowedDomains: Array.isArray(domains) ? domains.filter((d): d is string => typeof d === 'string' && d.trim() !== '').map((d) => d.trim()) : [],
  };
}
