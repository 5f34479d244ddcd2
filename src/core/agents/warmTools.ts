/**
 * Tools that hold something slow to start (a sandboxed shell) can start it when their agent starts,
 * so the start overlaps the agent's first model call instead of its first tool call. The agent loop
 * warms its tools as it starts and closes them when it ends; nothing else needs to know.
 */
export interface WarmableTool {
  warm(): void;
}

export function isWarmable(tool: object): tool is WarmableTool {
  return typeof (tool as Partial<WarmableTool>).warm === 'function';
}

/** Starts what each warmable tool holds; a failed start is reported by the tool's first call, not here. */
export function warmTools(tools: readonly object[]): void {
  for (const t of tools) if (isWarmable(t)) t.warm();
}
