/**
 * The scripted model: our own stand-in for the Anthropic API, for tests and the offline demo (X6).
 * It is a loopback HTTP server speaking the Messages API, driven by the real `@anthropic-ai/sdk`
 * through `baseURL`, and it plays the pipeline's agents (architect, scaffold, builder, QC) from the
 * task card in each agent's first message. Scenarios make the agents misbehave in controlled ways;
 * faults make the transport misbehave (429/500/529, cut streams, latency).
 *
 * ```ts
 * const model = await startScriptedModel({ scenario: 'qc-major-then-pass' });
 * const client = new Anthropic({ apiKey: 'scripted', baseURL: model.url });
 * // … run the pipeline …
 * await model.close();
 * ```
 */
export { startScriptedModel } from './http-server';
export { pythonDescription, sampleDescription, syntheticDescription, syntheticPlan } from './projects/plan';
export { HOSTILE_NAMES } from './projects/bad-contracts';
export {
  SCENARIOS,
  type AgentRole,
  type FaultKind,
  type InjectedFault,
  type ProjectChoice,
  type ReceivedRequest,
  type Scenario,
  type ScriptedModelHandle,
  type ScriptedModelOptions,
  type ScriptedModelStats,
  type SyntheticShape,
  type TokenTotals,
} from './types';
