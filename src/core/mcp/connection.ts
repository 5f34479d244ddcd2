/**
 * One MCP server of a run, through the official MCP client: connected on first use, its tool list
 * read once, closed when the run ends. A stdio server is started inside the run's sandbox (read-only:
 * it writes nowhere but its temp folder, reaches only the allow-listed hosts); an HTTP server is
 * reached by the engine itself. A server that dies stays dead for the run, and every call says so.
 */
import { ToolError } from '@anthropic-ai/sdk/lib/tools/ToolError';
import type { MCPCallToolResultLike } from '@anthropic-ai/sdk/helpers/beta/mcp';
import type { RunSandbox } from '../sandbox/runSandbox';
import { isStdio, serverOnlyEnv, type McpServerConfig } from './config';
import { BASH_WITHOUT_RC, withShellLevel } from '../sandbox/shellSession';
import { shellQuote } from '../sandbox/shellQuote';

type McpClientModule = typeof import('@modelcontextprotocol/sdk/client/index.js', { with: { 'resolution-mode': 'import' } });
type McpClient = InstanceType<McpClientModule['Client']>;
export type McpListedTool = Awaited<ReturnType<McpClient['listTools']>>['tools'][number];

export interface McpConnectionOptions {
  sandbox: RunSandbox;
  /** Where a stdio server starts. */
  cwd: string;
  /**
   * The run's cancel: a call in flight is cancelled with it (the client sends the server
   * `notifications/cancelled`) instead of holding the agent, and the run's end, until the call returns.
   */
  signal?: AbortSignal;
}

/** A plain word as it is (the command line stays readable in logs), anything else quoted. */
function asWord(s: string): string {
  return /^[A-Za-z0-9_./=:@%+-]+$/.test(s) ? s : shellQuote(s);
}

export class McpConnection {
  #client: McpClient | undefined;
  #connecting: Promise<McpClient> | undefined;
  #tools: Promise<McpListedTool[]> | undefined;
  #stopped: string | undefined;
  #stderr = '';
  #done: () => void = () => undefined;

  constructor(
    readonly name: string,
    private readonly config: McpServerConfig,
    private readonly opts: McpConnectionOptions,
  ) {}

  /** The server's tools, read once; a server that cannot start throws with what it printed. */
  tools(): Promise<McpListedTool[]> {
    this.#tools ??= this.connect().then(async (c) => (await c.listTools()).tools);
    return this.#tools;
  }

  async call(tool: string, args: Record<string, unknown> | undefined): Promise<MCPCallToolResultLike> {
    if (this.#stopped) throw new ToolError(`MCP server "${this.name}" is not running (it stopped earlier in this run: ${this.#stopped}); its tools are unavailable`);
    const client = await this.connect();
    try {
      const result = await client.callTool({ name: tool, arguments: args ?? {} }, undefined, this.opts.signal ? { signal: this.opts.signal } : undefined);
      // A task-style reply (`toolResult`) has no content blocks: hand its value over as text.
      if (!Array.isArray(result.content)) return { content: [{ type: 'text', text: JSON.stringify(result.toolResult ?? null) }] };
      return result as MCPCallToolResultLike;
    } catch (e) {
      const why = (e as Error)?.message ?? String(e);
      if (this.#stopped || /closed|EPIPE|ECONNRESET|not connected/i.test(why)) {
        this.#stopped ??= why;
        throw new ToolError(`MCP server "${this.name}" stopped during the call to ${tool} (${why})${this.tail()}; its tools are unavailable for the rest of this run`);
      }
      throw new ToolError(`MCP server "${this.name}": ${tool} failed: ${why}`);
    }
  }

  private tail(): string {
    const t = this.#stderr.trim().split('\n').slice(-3).join(' | ');
    return t ? `; its last output: ${t.slice(-400)}` : '';
  }

  private connect(): Promise<McpClient> {
    this.#connecting ??= this.open();
    return this.#connecting;
  }

  private async open(): Promise<McpClient> {
    const { Client } = (await import('@modelcontextprotocol/sdk/client/index.js')) as McpClientModule;
    const client = new Client({ name: 'build-pipeline', version: '0.1.0' });
    let transport;
    if (isStdio(this.config)) {
      const { StdioClientTransport, getDefaultEnvironment } = await import('@modelcontextprotocol/sdk/client/stdio.js');
      const line = [this.config.command, ...this.config.args].map(asWord).join(' ');
      const wrapped = await this.opts.sandbox.wrapCommand(`exec ${line}`, { cwd: this.opts.cwd, writable: false });
      this.#done = wrapped.done;
      // The MCP client's default environment (HOME, PATH, USER, ...) plus the server's own: never the engine's.
      transport = new StdioClientTransport({
        command: '/bin/bash',
        // No rc file: one that prints would corrupt the protocol on the server's stdout (shellSession.ts).
        args: [...BASH_WITHOUT_RC, '-c', wrapped.command],
        // Names that act on bash or the loader are refused by the config schema (mcp/config.ts); dropped here
        // too, so a config that skipped the schema still cannot run code before the sandbox is in place.
        env: withShellLevel({ ...getDefaultEnvironment(), ...serverOnlyEnv(this.config.env) }),
        cwd: this.opts.cwd,
        stderr: 'pipe',
      });
      transport.stderr?.on('data', (d: Buffer) => {
        this.#stderr = (this.#stderr + d.toString('utf8')).slice(-4000);
      });
    } else {
      const { StreamableHTTPClientTransport } = await import('@modelcontextprotocol/sdk/client/streamableHttp.js');
      transport = new StreamableHTTPClientTransport(new URL(this.config.url), { requestInit: { headers: this.config.headers } });
    }
    client.onclose = () => {
      this.#stopped ??= 'the connection closed';
    };
    try {
      await client.connect(transport);
    } catch (e) {
      this.#stopped = (e as Error).message;
      this.#done();
      throw new Error(`MCP server "${this.name}" could not start: ${(e as Error).message}${this.tail()}`);
    }
    this.#client = client;
    return client;
  }

  async close(): Promise<void> {
    this.#stopped ??= 'the run ended';
    await this.#client?.close().catch(() => undefined);
    this.#done();
  }
}
