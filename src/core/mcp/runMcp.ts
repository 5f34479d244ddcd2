/**
 * A run's MCP servers and the tools each role gets from them. Tools go through the SDK's MCP helper
 * (`mcpTool`: MCP content to tool-result blocks, `isError` to an error result), named
 * `mcp__<server>__<tool>`, and through the same observer as every other tool, so each call and its
 * result is journaled (with the servers' env and header values redacted, see engine.ts).
 */
import type { BetaRunnableTool } from '@anthropic-ai/sdk/lib/tools/BetaRunnableTool';
import { mcpTool } from '@anthropic-ai/sdk/helpers/beta/mcp';
import { observed, type ToolObserver } from '../agents/tools';
import type { RunSandbox } from '../sandbox/runSandbox';
import { qualifiedToolName, serversFor, toolAllowed } from './access';
import type { McpAccess, McpServers } from './config';
import { McpConnection } from './connection';

export interface RunMcp {
  /** The MCP tools `role` may use; servers that cannot start are reported and left out. */
  toolsFor(role: string, observe: ToolObserver): Promise<BetaRunnableTool[]>;
  close(): Promise<void>;
}

export const NO_MCP: RunMcp = { toolsFor: async () => [], close: async () => undefined };

export interface RunMcpOptions {
  sandbox: RunSandbox;
  cwd: string;
  warn: (message: string) => void;
  /** The run's cancel, for the calls in flight. */
  signal?: AbortSignal;
}

export function openRunMcp(servers: McpServers, access: McpAccess, opts: RunMcpOptions): RunMcp {
  const names = Object.keys(servers);
  if (names.length === 0) return NO_MCP;
  const connections = new Map<string, McpConnection>();
  const reported = new Set<string>();
  const connection = (name: string) => {
    let c = connections.get(name);
    if (!c) {
      c = new McpConnection(name, servers[name]!, { sandbox: opts.sandbox, cwd: opts.cwd, signal: opts.signal });
      connections.set(name, c);
    }
    return c;
  };
  return {
    async toolsFor(role, observe) {
      const out: BetaRunnableTool[] = [];
      for (const server of serversFor(role, names, access)) {
        const conn = connection(server);
        let listed;
        try {
          listed = await conn.tools();
        } catch (e) {
          if (!reported.has(server)) opts.warn((e as Error).message);
          reported.add(server);
          continue;
        }
        for (const tool of listed) {
          if (!toolAllowed(role, server, tool, access)) continue;
          const name = qualifiedToolName(server, tool.name);
          if (!name) {
            if (!reported.has(`${server}/${tool.name}`)) opts.warn(`MCP server "${server}": tool ${JSON.stringify(tool.name).slice(0, 80)} left out (its name does not fit the API's tool names)`);
            reported.add(`${server}/${tool.name}`);
            continue;
          }
          const runnable = mcpTool(tool, { callTool: (p) => conn.call(p.name, p.arguments) });
          // The helper's tool is a plain custom tool; only its name changes (run keeps the server's name).
          const renamed: BetaRunnableTool = { ...(runnable as BetaRunnableTool & { input_schema: unknown }), name } as BetaRunnableTool;
          out.push(observed(renamed, observe));
        }
      }
      return out;
    },
    async close() {
      await Promise.allSettled([...connections.values()].map((c) => c.close()));
    },
  };
}
