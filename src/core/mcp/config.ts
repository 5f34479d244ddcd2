/**
 * MCP servers in `.build-pipeline.json`, in the shape Claude Code (`.mcp.json`) and VS Code
 * (`.vscode/mcp.json`) use: a stdio server is a command with args and env, an HTTP server a URL with
 * headers. `mcpAccess` says per role which servers and tools it gets; a role gets nothing unless
 * listed, except audit workers, who get every server's read-only tools.
 */
import { z } from 'zod';
import { MIN_SECRET_LENGTH } from '../run/journal';

/** Server and tool names become part of a tool name the API accepts (`^[a-zA-Z0-9_-]{1,128}$`). */
export const McpNameSchema = z.string().regex(/^[A-Za-z0-9_-]{1,40}$/, 'letters, digits, _ and - only (at most 40)');

/**
 * Variables that act on the programs that start the server (the engine's bash, the sandbox runtime)
 * before the sandbox is in place, rather than on the server: bash runs the file named by BASH_ENV,
 * the dynamic loader loads LD_PRELOAD's library, and PATH picks the sandbox binary itself. A
 * repository's configuration naming one of them would run its code outside the sandbox.
 */
const HOST_ACTING_ENV = /^(?:BASH_ENV|ENV|SHELLOPTS|BASHOPTS|PS4|IFS|PATH|CDPATH|GLOBIGNORE|BASH_FUNC_.*|LD_.*|DYLD_.*|NODE_OPTIONS)$/;
/** What an environment variable's name may be. */
const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

export const StdioServerSchema = z.object({
  type: z.literal('stdio').optional(),
  command: z.string().min(1),
  args: z.array(z.string()).default([]),
  /** Passed to the server only; every value is redacted from the journal. */
  env: z
    .record(
      z
        .string()
        .regex(ENV_NAME, 'an environment variable name (letters, digits, _)')
        .refine((name) => !HOST_ACTING_ENV.test(name), 'this variable would act on the programs that start the server, outside the sandbox (BASH_ENV, LD_*, PATH, …); it cannot be set for an MCP server'),
      z.string(),
    )
    .default({}),
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

/** A server's env without the names that would act outside the sandbox (see HOST_ACTING_ENV). */
export function serverOnlyEnv(env: Record<string, string>): Record<string, string> {
  return Object.fromEntries(Object.entries(env).filter(([name]) => ENV_NAME.test(name) && !HOST_ACTING_ENV.test(name)));
}

export function isStdio(server: McpServerConfig): server is z.infer<typeof StdioServerSchema> {
  return 'command' in server;
}

/** Every value a server's config holds that must never reach a log. */
export function mcpSecrets(servers: McpServers): string[] {
  const out: string[] = [];
  for (const s of Object.values(servers)) {
    const values = Object.values(isStdio(s) ? s.env : s.headers);
    // `Authorization: Bearer <token>`: the token is echoed on its own more often than the whole header.
    out.push(...values, ...values.flatMap((v) => /^\S+ (\S+)$/.exec(v)?.slice(1) ?? []));
  }
  return [...new Set(out.filter((v) => v.length >= MIN_SECRET_LENGTH))];
}
