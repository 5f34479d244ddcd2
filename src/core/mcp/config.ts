/**
 * MCP servers in `.build-pipeline.json`, in the shape Claude Code (`.mcp.json`) and VS Code
 * (`.vscode/mcp.json`) use: a stdio server is a command with args and env, an HTTP server a URL with
 * headers. `mcpAccess` says per role which servers and tools it gets; a role gets nothing unless
 * listed, except audit workers, who get every server's read-only tools.
 */
import { z } from 'zod';

/** Server and tool names become part of a tool name the API accepts (`^[a-zA-Z0-9_-]{1,128}$`). */
export const McpNameSchema = z.string().regex(/^[A-Za-z0-9_-]{1,40}$/, 'letters, digits, _ and - only (at most 40)');

export const StdioServerSchema = z.object({
  type: z.literal('stdio').optional(),
  command: z.string().min(1),
  args: z.array(z.string()).default([]),
  /** Passed to the server only; every value is redacted from the journal. */
  env: z.record(z.string(), z.string()).default({}),
});

export const HttpServerSchema = z.object({
  type: z.enum(['http', 'streamable-http']).optional(),
  url: z.url({ protocol: /^https?$/ }),
  /** Sent with every request (an Authorization header, say); values are redacted from the journal. */
  headers: z.record(z.string(), z.string()).default({}),
});

export const McpServerSchema = z.union([StdioServerSchema, HttpServerSchema]);
export type McpServerConfig = z.infer<typeof McpServerSchema>;

export const McpServersSchema = z.record(McpNameSchema, McpServerSchema);
export type McpServers = z.infer<typeof McpServersSchema>;

/** Per server: `"*"` for every tool, or the tool names. */
export const McpRoleAccessSchema = z.record(McpNameSchema, z.union([z.literal('*'), z.array(McpNameSchema.or(z.string().regex(/^[A-Za-z0-9_.-]{1,64}$/)))]));
export const McpAccessSchema = z.record(z.string().regex(/^[a-z][a-z-]{1,30}$/), McpRoleAccessSchema);
export type McpAccess = z.infer<typeof McpAccessSchema>;

export function isStdio(server: McpServerConfig): server is z.infer<typeof StdioServerSchema> {
  return 'command' in server;
}

/** Every value a server's config holds that must never reach a log. */
export function mcpSecrets(servers: McpServers): string[] {
  const out: string[] = [];
  for (const s of Object.values(servers)) out.push(...Object.values(isStdio(s) ? s.env : s.headers));
  return out.filter((v) => v.length >= 4);
}
