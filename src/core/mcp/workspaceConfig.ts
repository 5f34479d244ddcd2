/**
 * VS Code's workspace MCP configuration (`.vscode/mcp.json`: `{"servers": {...}}`), read only when the
 * user allows it (setting `buildPipeline.mcp.useWorkspaceServers`): a repository's own file must not
 * start programs on the user's machine by itself. `${workspaceFolder}` is substituted; a server that
 * needs an `${input:...}` prompt (which only VS Code's own MCP client can ask) is left out and named.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { McpNameSchema, McpServerSchema, type McpServers } from './config';

export interface WorkspaceMcp {
  servers: McpServers;
  /** `name: why` for every server left out. */
  skipped: string[];
}

export function readWorkspaceMcp(folder: string): WorkspaceMcp {
  const file = path.join(folder, '.vscode', 'mcp.json');
  const out: WorkspaceMcp = { servers: {}, skipped: [] };
  if (!fs.existsSync(file)) return out;
  let parsed: unknown;
  try {
    // VS Code allows comments and trailing commas in its JSON files.
    const text = fs.readFileSync(file, 'utf8').replace(/^\s*\/\/.*$/gm, '').replace(/,(\s*[}\]])/g, '$1');
    parsed = JSON.parse(text);
  } catch (e) {
    out.skipped.push(`.vscode/mcp.json: not valid JSON (${(e as Error).message})`);
    return out;
  }
  const servers = (parsed as { servers?: unknown })?.servers;
  if (!servers || typeof servers !== 'object') return out;
  for (const [name, raw] of Object.entries(servers as Record<string, unknown>)) {
    if (!McpNameSchema.safeParse(name).success) {
      out.skipped.push(`${name.slice(0, 40)}: not a usable server name`);
      continue;
    }
    const text = JSON.stringify(raw ?? null).replaceAll('${workspaceFolder}', folder.replace(/\\/g, '\\\\').replace(/"/g, '\\"'));
    if (text.includes('${input:')) {
      out.skipped.push(`${name}: needs an \${input:...} value, which only VS Code's own MCP client can ask for`);
      continue;
    }
    const server = McpServerSchema.safeParse(JSON.parse(text));
    if (!server.success) {
      out.skipped.push(`${name}: ${server.error.issues[0]?.message ?? 'not a stdio or HTTP server'}`);
      continue;
    }
    out.servers[name] = server.data;
  }
  return out;
}
