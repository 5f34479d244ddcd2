/**
 * Maps the `buildPipeline.*` settings onto overrides of the engine's config. Only settings the user
 * actually set (in user, workspace or folder settings, as `inspect()` reports them) are passed, and
 * only when usable: a setting left at its default must not overwrite what the repository's
 * `.build-pipeline.json` says. The engine's schema supplies the remaining defaults and validates.
 */
import { ConfigSchema, repositoryMcpServerNames, ROLES, type ConfigOverrides, type PipelineConfig } from '../../core/config';
import { readWorkspaceMcp } from '../../core/mcp/workspaceConfig';
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
/**
 * Every role the engine gives a tier of its own, read from its schema: a role added to the engine is
 * mapped here without an edit (a unit test checks package.json declares a setting for each).
 */
export const ROLE_TIER_KEYS = Object.keys(ConfigSchema.shape.roleTiers.unwrap().shape) as (keyof PipelineConfig['roleTiers'])[];

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

function bool(v: unknown): boolean | undefined {
  return typeof v === 'boolean' ? v : undefined;
}

function nonNegativeInt(v: unknown): number | undefined {
  return typeof v === 'number' && Number.isInteger(v) && v >= 0 ? v : undefined;
}

/** Keeps only the entries that have a value; undefined when none is left, so an empty table is left out altogether. */
function kept<V>(table: Record<string, V | undefined>): Record<string, V> | undefined {
  const out = Object.fromEntries(Object.entries(table).filter(([, v]) => v !== undefined)) as Record<string, V>;
  return Object.keys(out).length ? out : undefined;
}

/** One setting per key (`prefix.key`, e.g. `roleTiers.qc`), each parsed, keeping the usable ones the user set. */
function settingTable<K extends string, V>(s: SettingsReader, prefix: string, keys: readonly K[], parse: (v: unknown) => V | undefined): Partial<Record<K, V>> | undefined {
  return kept(Object.fromEntries(keys.map((k) => [k, parse(userValue(s, `${prefix}.${k}`))]))) as Partial<Record<K, V>> | undefined;
}

type Limits = { maxTokens?: number; maxTurns?: number; thinkingBudget?: number };

/** `{ maxTokens, maxTurns, thinkingBudget }` keeping only usable numbers. */
function limits(v: unknown): Limits | undefined {
  if (!v || typeof v !== 'object' || Array.isArray(v)) return undefined;
  const e = v as Record<string, unknown>;
  return kept({ maxTokens: positiveInt(e['maxTokens']), maxTurns: positiveInt(e['maxTurns']), thinkingBudget: nonNegativeInt(e['thinkingBudget']) });
}

/** One object setting keyed by role or tier (`roleLimits`, `tierLimits`), each entry parsed as limits. */
function objectTable<K extends string>(v: unknown, keys: readonly K[]): Partial<Record<K, Limits>> | undefined {
  if (!v || typeof v !== 'object' || Array.isArray(v)) return undefined;
  return kept(Object.fromEntries(keys.map((k) => [k, limits((v as Record<string, unknown>)[k])]))) as Partial<Record<K, Limits>> | undefined;
}

/** Scalar settings that map one to one onto a config key of the same name. */
const SCALARS = {
  moduleTestCommand: text,
  integrationTestCommand: text,
  planInstallCommand: text,
  maxTokens: positiveInt,
  maxAgentTurns: positiveInt,
  toolResultMaxChars: positiveInt,
  contextWindowTokens: positiveInt,
  planReview: bool,
} as const;

export function settingsToConfig(s: SettingsReader): ExtensionRunConfig {
  const config: ExtensionRunConfig = {};
  const tierModels = settingTable(s, 'models', TIERS, text);
  if (tierModels) config.tierModels = tierModels;
  const roleTiers = settingTable(s, 'roleTiers', ROLE_TIER_KEYS, tier);
  if (roleTiers) config.roleTiers = roleTiers;
  const waveLimits = settingTable(s, 'waveLimits', TIERS, positiveInt);
  if (waveLimits) config.waveLimits = waveLimits;
  for (const [key, parse] of Object.entries(SCALARS) as [keyof typeof SCALARS, (v: unknown) => string | number | boolean | undefined][]) {
    const value = parse(userValue(s, key));
    if (value !== undefined) (config as Record<string, unknown>)[key] = value;
  }
  // Agent limits: passed only when set, so `.build-pipeline.json` and the role defaults apply otherwise.
  const roleLimits = objectTable(userValue(s, 'roleLimits'), ROLES);
  if (roleLimits) config.roleLimits = roleLimits;
  const tierLimits = objectTable(userValue(s, 'tierLimits'), TIERS);
  if (tierLimits) config.tierLimits = tierLimits;
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

/**
 * The config a run started from VS Code (Start, Resume, Implement Plan) gets: the settings the user
 * set, the machine's sandbox switch always, and the workspace's MCP servers (`.vscode/mcp.json`, and
 * those `.build-pipeline.json` names) only when the user allowed them in a machine-scoped setting a
 * repository cannot set: the engine reaches an HTTP server itself, outside the sandbox. `warn` hears
 * what was left out.
 */
export function runConfigFromSettings(s: SettingsReader, repoRoot: string, warn: (message: string) => void): ExtensionRunConfig {
  const config: ExtensionRunConfig = { ...settingsToConfig(s), sandbox: sandboxOverride(s) };
  if (s.get<boolean>('mcp.useWorkspaceServers') === true) {
    const workspace = readWorkspaceMcp(repoRoot);
    for (const why of workspace.skipped) warn(`MCP server from .vscode/mcp.json left out: ${why}`);
    if (Object.keys(workspace.servers).length) config.mcpServers = workspace.servers;
    return config;
  }
  config.repositoryMcpServers = false;
  const named = repositoryMcpServerNames(repoRoot);
  if (named.length) warn(`MCP servers in .build-pipeline.json left out (${named.join(', ')}): allow the workspace's servers with the setting buildPipeline.mcp.useWorkspaceServers`);
  return config;
}
