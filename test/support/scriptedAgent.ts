/**
 * Runs one engine agent (src/core/agents/runAgent) against the scripted model over loopback HTTP
 * with the real SDK, for tests of a single role (master, training-data agent) outside a whole run.
 */
import Anthropic from '@anthropic-ai/sdk';
import type { BetaRunnableTool } from '@anthropic-ai/sdk/lib/tools/BetaRunnableTool';
import { runAgent, type AgentResult } from '../../src/core/agents/runAgent';
import { TierLimiter } from '../../src/core/limiter';
import type { PipelineEvent } from '../../src/core/events';
import { startScriptedModel, type ScriptedModelOptions } from '../../src/scripted';

export async function runScriptedAgent(opts: {
  role: string;
  task: string;
  tools: BetaRunnableTool[];
  system?: string;
  scripted?: ScriptedModelOptions;
  isComplete?: () => boolean;
}): Promise<AgentResult & { events: PipelineEvent[] }> {
  const model = await startScriptedModel(opts.scripted ?? {});
  const events: PipelineEvent[] = [];
  try {
    const client = new Anthropic({ apiKey: 'test-key', baseURL: model.url, maxRetries: 0 });
    const result = await runAgent(
      {
        agentId: `${opts.role}-test`,
        role: opts.role,
        stage: 'test',
        tier: 'opus',
        model: 'claude-opus-5-5',
        system: [opts.system ?? `You are the ${opts.role}.`],
        task: opts.task,
        tools: opts.tools,
        maxTurns: 30,
        maxTokens: 16000,
        isComplete: opts.isComplete,
      },
      {
        client,
        limiter: new TierLimiter({ opus: 2, sonnet: 2, haiku: 2 }),
        emit: (e) => events.push(e),
        signal: new AbortController().signal,
        turnRetries: 1,
        retryBaseDelayMs: 5,
      },
    );
    return { ...result, events };
  } finally {
    await model.close();
  }
}
