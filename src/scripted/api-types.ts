/**
 * The slice of the Messages API wire format the scripted model reads and writes. Declared here
 * (rather than imported from the SDK) because the server must accept whatever JSON arrives and check
 * it itself, the way the real API does, instead of trusting a TypeScript type.
 */

export interface WireTextBlock {
  type: 'text';
  text: string;
}

export interface WireToolUseBlock {
  type: 'tool_use';
  id: string;
  name: string;
  input: Record<string, unknown>;
}

export interface WireThinkingBlock {
  type: 'thinking';
  thinking: string;
  signature: string;
}

/** A block of the reply the scripted model produces. */
export type ReplyBlock = WireTextBlock | WireToolUseBlock | WireThinkingBlock;

export type StopReason = 'end_turn' | 'tool_use' | 'max_tokens' | 'pause_turn' | 'refusal' | 'model_context_window_exceeded';

export interface ScriptedReply {
  blocks: ReplyBlock[];
  stopReason: StopReason;
}

/** A request body after the server's own checks: only the fields the model looks at are typed. */
export interface MessagesRequest {
  model: string;
  max_tokens: number;
  stream: boolean;
  system: unknown;
  tools: unknown[];
  messages: WireMessage[];
  /** `{type: "enabled", budget_tokens}` (older models) or `{type: "adaptive"}` turns thinking on. */
  thinking?: unknown;
  /** `{effort: "low" | "medium" | "high" | "xhigh" | "max"}`: how hard an adaptive model thinks. */
  output_config?: unknown;
}

export interface WireMessage {
  role: 'user' | 'assistant';
  content: string | Array<Record<string, unknown>>;
}

export interface WireUsage {
  input_tokens: number;
  output_tokens: number;
  cache_creation_input_tokens: number;
  cache_read_input_tokens: number;
  cache_creation: { ephemeral_5m_input_tokens: number; ephemeral_1h_input_tokens: number };
  service_tier: 'standard';
}

export interface WireMessageReply {
  id: string;
  type: 'message';
  role: 'assistant';
  model: string;
  content: ReplyBlock[];
  stop_reason: StopReason;
  stop_sequence: null;
  usage: WireUsage;
}
