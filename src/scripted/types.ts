/**
 * Public types of the scripted model: the options that choose what it plays (project, scenario,
 * faults) and the handle a test or the offline demo gets back. The scripted model stands in for the
 * Anthropic API so that no test and no demo ever reaches the real service.
 */
import type { MessagesRequest } from './api-types';

/** Ways the scripted agents misbehave, each exercising one engine path (see scenarios in README-like docs of index.ts). */
export const SCENARIOS = [
  'happy',
  'qc-major-then-pass',
  'qc-critical',
  'outside-write',
  'invalid-contracts',
  'hostile-names',
  'contract-conflict',
  /** The same conflict, but the scripted master recommends that the builder adapts. */
  'contract-conflict-adapt',
  /** The same conflict, flexed; the master's change also adds a function to the interface of each module
   *  the target depends on, so a module that already passed fails its re-check and is rebuilt. */
  'contract-conflict-recheck',
  /** Stage 1b: the training-data agent also writes one pair breaking each quality rule. */
  'bootstrap-bad-pairs',
  /** Stage 1b: too few pairs at first (the gate fails), the missing types in the repair round. */
  'bootstrap-short',
  /** Stage 1b: too few pairs, and the repair round adds none: the stage fails. */
  'bootstrap-stuck',
  'merge-conflict',
  'trivial-conflict',
  'bad-verdict',
  'integration-red',
  /**
   * The target's builder also writes a test, in its own folder, that leans on the next module's
   * scaffold stub (the file the scaffold shared with every worktree): green until that module's real
   * code is merged, red after. Only a full-suite run on the integration branch can see it.
   */
  'stub-reliance',
  /**
   * The target's builder writes a test that leans on the stub of the module before it in the build
   * order (a sibling, not a dependency): green in its worktree, red among its own tests right after
   * its merge. In its fix cycle it deletes that test.
   */
  'sibling-stub',
  /** Audit mode: the target domain's (default security) worker 2 fails without a file, worker 3 never writes DONE. */
  'audit-faults',
  /** Harden (Stage 5): security-1 reports a CRITICAL in the target module (default greeter). */
  'harden-critical',
  /** Harden: a MAJOR in the target module, a MINOR in another file, a MAJOR in a file no module owns; nothing else. */
  'harden-findings',
  /**
   * Harden: the findings of harden-findings, and the target builder's first harden fix cycle leaves a
   * wiring test the integration tests run and fail, so the re-merge is red; its next cycle fixes it.
   */
  'harden-remerge-red',
  // The target builder never fixes its flaw: QC says FAIL-MAJOR every cycle until the fix cycles run out.
  'qc-major-always',
  // The scaffold never writes the target module's folder: conformance fails in every round.
  'scaffold-nonconforming',
  'huge-read',
  'endless',
  'long-history',
  'sandbox-escape',
  'mcp-tools',
  // Phased plans and teams (src/scripted/roles/teammate.ts, code-reviewer.ts).
  'review-findings',
  'review-high',
  'teammate-dies',
  /** Plan review round 1: a High on phase 01, a hallucinated Medium and a valid Low on plan.md (roles/plan-reviewer.ts). */
  'plan-review-findings',
  'npm-install',
  // The target builder needs a package modules.json does not list: it reports blocked instead of installing it.
  'needs-dependency',
  /**
   * Ship: besides the version bump, the shipping agent adds an install script and a dependency to
   * package.json, and its shell leaves a file outside the release files.
   */
  'shipper-overreach',
  /** Teams: the validator reports every validation of the target task (default T1) and its fixes red. */
  'validator-rejects',
  /** Teams: a builder that has completed a task calls claim_task again in the same turn. */
  'greedy-teammate',
] as const;
export type Scenario = (typeof SCENARIOS)[number];

/** What happens to one request: served normally, answered with an API error, or cut mid-reply. */
export type FaultKind = 'ok' | '429' | '500' | '529' | 'cut';
export type InjectedFault = Exclude<FaultKind, 'ok'>;

/** How a reply can end early (see reply-faults.ts). */
export type ReplyFaultKind = 'max_tokens' | 'pause_turn' | 'refusal' | 'model_context_window_exceeded';

export interface ReplyFault {
  kind: ReplyFaultKind;
  /** Only requests of this role (from the task card); any role when absent. */
  role?: AgentRole;
  module?: string;
  /** Only requests whose task card names this `task` (e.g. `curate-state`: the training agent in Stage 7, not Stage 1b). */
  task?: string;
  /** Assistant messages already in the request: 0 is the agent's first reply. Default 0. */
  turn?: number;
}

export type SyntheticShape = 'chain' | 'diamond' | 'wide';

/** Forces the project the architect designs, instead of reading it from the description. */
export type ProjectChoice = { kind: 'sample' } | { kind: 'python' } | { kind: 'synthetic'; modules: number; shape: SyntheticShape };

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
  /** Replies ending early: cut at max_tokens inside a tool call, pause_turn, refusal. Each is used once. */
  replyFaults?: ReplyFault[];
  /**
   * Strict mode (default on): the real API's request rules are enforced and broken ones answered
   * with the API's 400/404 errors. Turn off only to probe what a lenient server would let through.
   */
  strict?: boolean;
  /** Models served (GET /v1/models, and the only ids /v1/messages accepts in strict mode). */
  models?: string[];
  /** When set, requests must carry this key in `x-api-key`; any other gets 401 authentication_error, as the API answers. */
  apiKey?: string;
  /** Context window of every model, in (estimated) tokens; strict mode refuses longer prompts. Default 200000. */
  contextWindowTokens?: number;
  /** Value of the `retry-after` header (seconds, fractions allowed) on 429 and 529 replies. Default 0. */
  retryAfterSeconds?: number;
  /**
   * Sees every well-formed Messages request as it arrived, before it is answered: lets a test prove
   * what an agent was told (a fix-cycle builder's findings) from what actually went over the wire.
   */
  onRequest?: (request: ReceivedRequest) => void;
  /** sandbox-escape: what the target builder's shell tries to reach (see roles/sandbox-probes.ts). */
  probe?: SandboxProbe;
}

export interface SandboxProbe {
  /** An absolute path outside every worktree the shell tries to write. */
  outsidePath: string;
  /** A loopback TCP port it tries to connect to. */
  port: number;
  /** A process outside its tree it tries to signal. */
  pid: number;
}

export type AgentRole = 'architect' | 'scaffold' | 'builder' | 'qc' | 'master' | 'training' | 'audit-planner' | 'audit-worker' | 'audit-coordinator' | 'shipper' | 'unknown';
/** What `onRequest` is given: the request body as the SDK sent it, after the server's own checks. */
export type ReceivedRequest = MessagesRequest;


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
  /** Requests refused by strict mode, with the first refusal's message (for a test's failure output). */
  rejected: number;
  firstRejection?: string;
  /** Reply faults served, by kind. */
  replyFaults: Record<ReplyFaultKind, number>;
  /** Longest tool_result text (characters) any request carried: shows whether results are capped. */
  largestToolResultChars: number;
  /** Largest request, in estimated tokens: shows whether a conversation stayed within the window. */
  peakRequestTokens: number;
  /** Characters of tool results the builder role received over all its requests' newest turns. */
  toolResultCharsServed: number;
  /** Every tool name each role was offered, across its requests (what an agent could see). */
  toolsSeen: Record<AgentRole, string[]>;
}

export interface ScriptedModelHandle {
  /** Base URL for the SDK's `baseURL`, e.g. `http://127.0.0.1:41234`. */
  url: string;
  port: number;
  close(): Promise<void>;
  stats(): ScriptedModelStats;
}
