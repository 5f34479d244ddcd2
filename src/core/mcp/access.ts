/**
 * Which MCP tools a role may use. Nothing unless `mcpAccess` lists it, with two rules on top that
 * no configuration can loosen: QC writes nowhere and audit workers only read, so both get only tools
 * the server marks read-only (`annotations.readOnlyHint`). Audit workers with no entry of their own
 * get every server's read-only tools.
 */
import type { McpAccess } from './config';

/** Roles that may only ever get read-only tools. */
const READ_ONLY_ROLES = new Set(['qc', 'audit']);
/** Roles that, without an `mcpAccess` entry, get every server's read-only tools. */
const READ_ONLY_BY_DEFAULT = new Set(['audit']);

export interface McpToolInfo {
  name: string;
  annotations?: { readOnlyHint?: boolean } | undefined;
}

export function toolAllowed(role: string, server: string, tool: McpToolInfo, access: McpAccess): boolean {
  const readOnly = tool.annotations?.readOnlyHint === true;
  if (READ_ONLY_ROLES.has(role) && !readOnly) return false;
  const own = access[role];
  if (!own) return READ_ONLY_BY_DEFAULT.has(role) && readOnly;
  const listed = own[server];
  return listed === '*' || (Array.isArray(listed) && listed.includes(tool.name));
}

/** Servers worth connecting to for `role` (the others could give it nothing). */
export function serversFor(role: string, servers: readonly string[], access: McpAccess): string[] {
  const own = access[role];
  if (!own) return READ_ONLY_BY_DEFAULT.has(role) ? [...servers] : [];
  return servers.filter((s) => own[s] !== undefined);
}

/** The name the model sees: `mcp__<server>__<tool>` (Claude Code's convention), or undefined if the API would refuse it. */
export function qualifiedToolName(server: string, tool: string): string | undefined {
  const name = `mcp__${server}__${tool}`;
  return /^[a-zA-Z0-9_-]{1,128}$/.test(name) ? name : undefined;
}
