/**
 * Maps the `buildPipeline.*` settings onto the engine's config. Only values the user set to something
 * usable are passed; the engine's schema supplies every default and validates the result.
 */
import type { PipelineConfig } from '../../core/config';
import type { ModelTier } from '../../core/contracts/schemas';

/** The part of `vscode.WorkspaceConfiguration` this needs, so it can be tested without VS Code. */
export interface SettingsReader {
  get<T>(key: string): T | undefined;
}

/** The engine config plus settings the engine may not know yet (zod strips unknown keys). */
export type ExtensionRunConfig = Partial<PipelineConfig> & { budgetUsd?: number };

const TIERS: readonly ModelTier[] = ['opus', 'sonnet', 'haiku'];

function tier(v: unknown): ModelTier | undefined {
  return typeof v === 'string' && (TIERS as readonly string[]).includes(v) ? (v as ModelTier) : undefined;
}

function text(v: unknown): string | undefined {
  return typeof v === 'string' && v.trim() !== '' ? v.trim() : undefined;
}

function positiveInt(v: unknown): number | undefined {
  return typeof v === 'number' && Number.isInteger(v) && v >= 1 ? v : undefined;
}

export function settingsToConfig(s: SettingsReader): ExtensionRunConfig {
  const config: ExtensionRunConfig = {};
  const models = {
    opus: text(s.get('models.opus')),
    sonnet: text(s.get('models.sonnet')),
    haiku: text(s.get('models.haiku')),
  };
  if (models.opus && models.sonnet && models.haiku) {
    config.tierModels = { opus: models.opus, sonnet: models.sonnet, haiku: models.haiku };
  }
  const roleTiers: PipelineConfig['roleTiers'] = {
    architect: tier(s.get('roleTiers.architect')) ?? 'opus',
    scaffold: tier(s.get('roleTiers.scaffold')) ?? 'opus',
    qc: tier(s.get('roleTiers.qc')) ?? 'sonnet',
    auditPlanner: tier(s.get('roleTiers.auditPlanner')) ?? 'opus',
    auditWorker: tier(s.get('roleTiers.auditWorker')) ?? 'sonnet',
    auditCoordinator: tier(s.get('roleTiers.auditCoordinator')) ?? 'sonnet',
    shipper: tier(s.get('roleTiers.shipper')) ?? 'sonnet',
  };
  const builder = tier(s.get('roleTiers.builder'));
  if (builder) roleTiers.builder = builder;
  config.roleTiers = roleTiers;
  config.waveLimits = {
    opus: positiveInt(s.get('waveLimits.opus')) ?? 4,
    sonnet: positiveInt(s.get('waveLimits.sonnet')) ?? 8,
    haiku: positiveInt(s.get('waveLimits.haiku')) ?? 12,
  };
  const moduleTest = text(s.get('moduleTestCommand'));
  if (moduleTest) config.moduleTestCommand = moduleTest;
  const integrationTest = text(s.get('integrationTestCommand'));
  if (integrationTest) config.integrationTestCommand = integrationTest;
  const budget = s.get<number>('budgetUsd');
  if (typeof budget === 'number' && Number.isFinite(budget) && budget > 0) config.budgetUsd = budget;
  return config;
}
