/**
 * Counters the scripted model keeps for the tests and benchmarks that drive it: how many requests
 * each role made, which faults were injected, and the tokens it reported as served.
 */
import type { WireUsage } from './api-types';
import type { AgentRole, InjectedFault, ReplyFaultKind, ScriptedModelStats } from './types';

export class ScriptedStats {
  private requests = 0;
  private readonly byRole: Record<AgentRole, number> = { architect: 0, scaffold: 0, builder: 0, qc: 0, master: 0, training: 0, 'audit-planner': 0, 'audit-worker': 0, 'audit-coordinator': 0, shipper: 0, unknown: 0 };
  private readonly faults: Record<InjectedFault, number> = { '429': 0, '500': 0, '529': 0, cut: 0 };
  private readonly tokens = { input: 0, output: 0, cacheRead: 0, cacheWrite: 0 };
  private rejected = 0;
  private firstRejection: string | undefined;
  private readonly replyFaults: Record<ReplyFaultKind, number> = { max_tokens: 0, pause_turn: 0, refusal: 0, model_context_window_exceeded: 0 };
  private largestToolResultChars = 0;
  private peakRequestTokens = 0;
  private toolResultCharsServed = 0;

  reject(message: string): void {
    this.rejected++;
    this.firstRejection ??= message;
  }

  replyFault(kind: ReplyFaultKind): void {
    this.replyFaults[kind]++;
  }

  /** Sizes of a request: its biggest tool result, its estimated tokens, and the results of its newest turn. */
  sized(largestResult: number, tokens: number, newestResults: number): void {
    this.largestToolResultChars = Math.max(this.largestToolResultChars, largestResult);
    this.peakRequestTokens = Math.max(this.peakRequestTokens, tokens);
    this.toolResultCharsServed += newestResults;
  }

  private readonly toolsSeen: Record<AgentRole, Set<string>> = {
    architect: new Set(),
    scaffold: new Set(),
    builder: new Set(),
    qc: new Set(),
    master: new Set(),
    training: new Set(),
    'audit-planner': new Set(),
    'audit-worker': new Set(),
    'audit-coordinator': new Set(),
    shipper: new Set(),
    unknown: new Set(),
  };

  request(role: AgentRole, tools: Iterable<string> = []): void {
    this.requests++;
    this.byRole[role]++;
    for (const t of tools) this.toolsSeen[role].add(t);
  }

  fault(kind: InjectedFault): void {
    this.faults[kind]++;
  }

  served(usage: WireUsage): void {
    this.tokens.input += usage.input_tokens;
    this.tokens.output += usage.output_tokens;
    this.tokens.cacheRead += usage.cache_read_input_tokens;
    this.tokens.cacheWrite += usage.cache_creation_input_tokens;
  }

  snapshot(): ScriptedModelStats {
    const toolsSeen = Object.fromEntries(Object.entries(this.toolsSeen).map(([r, s]) => [r, [...s].sort()])) as Record<AgentRole, string[]>;
    return {
      requests: this.requests,
      byRole: { ...this.byRole },
      faults: { ...this.faults },
      tokens: { ...this.tokens },
      rejected: this.rejected,
      ...(this.firstRejection ? { firstRejection: this.firstRejection } : {}),
      replyFaults: { ...this.replyFaults },
      largestToolResultChars: this.largestToolResultChars,
      peakRequestTokens: this.peakRequestTokens,
      toolResultCharsServed: this.toolResultCharsServed,
      toolsSeen,
    };
  }
}
