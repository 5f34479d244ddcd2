/**
 * Public types of the scripted model: the options that choose what it plays (project, scenario,
 * faults) and the handle a test or the offline demo gets back. The scripted model stands in for the
 * Anthropic API so that no test and no demo ever reaches the real service.
 */

/** Ways the scripted agents misbehave, each exercising one engine path (see scenarios in README-like docs of index.ts). */
export const SCENARIOS = [
  'happy',
  'qc-major-then-pass',
  'qc-critical',
  'outside-write',
  'invalid-contracts',
  'hostile-names',
  'contract-conflict',
  'merge-conflict',
  'trivial-conflict',
  'bad-verdict',
  'integration-red',
  /** Audit mode: the target domain's (default security) worker 2 fails without a file, worker 3 never writes DONE. */
  'audit-faults',
] as const;
export type Scenario = (typeof SCENARIOS)[number];

/** What happens to one request: served normally, answered with an API error, or cut mid-reply. */
export type FaultKind = 'ok' | '429' | '500' | '529' | 'cut';
export type InjectedFault = Exclude<FaultKind, 'ok'>;

export type SyntheticShape = 'chain' | 'diamond' | 'wide';

/** Forces the project the architect designs, instead of reading it from the description. */
export type ProjectChoice = { kind: 'sample' } | { kind: 'synthetic'; modules: number; shape: SyntheticShape };

export interface ScriptedModelOptions {
  /** 0 (default) picks a free port. The server always binds 127.0.0.1. */
  port?: number;
  scenario?: Scenario;
  /** Module the scenario acts on; default: the last module of the project's build order. */
  target?: string;
  project?: ProjectChoice;
  /** Delay before every reply, errors included. */
  latencyMs?: number;
  /** Faults consumed one per request in arrival order; after it runs out, `faultRates` apply. */
  faultSchedule?: FaultKind[];
  /** Probability per request of each fault, drawn from a PRNG seeded with `seed`. */
  faultRates?: Partial<Record<InjectedFault, number>>;
  seed?: number;
  /** Shortest prefix (in estimated tokens) that is cached; the API's minimum is 1024 for most models. */
  minCacheTokens?: number;
  /** Lifetime of a cache entry, refreshed on every hit; the API's ephemeral cache lives 5 minutes. */
  cacheTtlMs?: number;
  /** Value of the `retry-after` header (seconds, fractions allowed) on 429 and 529 replies. Default 0. */
  retryAfterSeconds?: number;
}

export type AgentRole = 'architect' | 'scaffold' | 'builder' | 'qc' | 'audit-planner' | 'audit-worker' | 'audit-coordinator' | 'shipper' | 'unknown';

export interface TokenTotals {
  input: number;
  output: number;
  cacheRead: number;
  cacheWrite: number;
}

export interface ScriptedModelStats {
  /** Every POST /v1/messages that carried a parseable body, faulted or not. */
  requests: number;
  byRole: Record<AgentRole, number>;
  faults: Record<InjectedFault, number>;
  /** Usage reported on the replies that were delivered in full (or started, for cut streams). */
  tokens: TokenTotals;
}

export interface ScriptedModelHandle {
  /** Base URL for the SDK's `baseURL`, e.g. `http://127.0.0.1:41234`. */
  url: string;
  port: number;
  close(): Promise<void>;
  stats(): ScriptedModelStats;
}
