/**
 * Starts and stops a code-server (VS Code 1.139 in a browser) for the e2e tests: fresh user-data and
 * extensions folders per run, the packaged .vsix installed into it, user settings written up front,
 * bound to 127.0.0.1 on a free port, stopped by killing its whole process group.
 */
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as http from 'node:http';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';

export interface CodeServerOptions {
  bin: string;
  vsix: string;
  settings: Record<string, unknown>;
  /** Where code-server's own log goes; VS Code's logs (extension hosts, output channels) are copied beside it on stop. */
  logFile: string;
  /** Extra environment for code-server and so for its extension hosts (e.g. BP_TIMING_LOG). */
  env?: Record<string, string>;
}

export class CodeServer {
  private constructor(
    readonly url: string,
    readonly userDataDir: string,
    readonly extensionsDir: string,
    private readonly proc: ChildProcess,
    private readonly home: string,
    private readonly logsCopy: string,
  ) {}

  /** The extension's own output-channel log ("Build Pipeline.log") of the newest extension host, if written yet. */
  extensionLog(): string | undefined {
    const found: string[] = [];
    const walk = (dir: string) => {
      for (const e of fs.existsSync(dir) ? fs.readdirSync(dir, { withFileTypes: true }) : []) {
        const p = path.join(dir, e.name);
        if (e.isDirectory()) walk(p);
        else if (e.name === 'Build Pipeline.log') found.push(p);
      }
    };
    walk(path.join(this.userDataDir, 'logs'));
    const newest = found.sort((a, b) => fs.statSync(b).mtimeMs - fs.statSync(a).mtimeMs)[0];
    return newest ? fs.readFileSync(newest, 'utf8') : undefined;
  }

  static async start(opts: CodeServerOptions): Promise<CodeServer> {
    const home = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), 'bp-e2e-cs-')));
    const userDataDir = path.join(home, 'user-data');
    const extensionsDir = path.join(home, 'extensions');
    fs.mkdirSync(path.join(userDataDir, 'User'), { recursive: true });
    fs.mkdirSync(extensionsDir, { recursive: true });
    fs.writeFileSync(path.join(userDataDir, 'User', 'settings.json'), JSON.stringify(opts.settings, null, 2));
    const configFile = path.join(home, 'config.yaml');
    fs.writeFileSync(configFile, 'auth: none\ncert: false\n');
    const common = ['--config', configFile, '--user-data-dir', userDataDir, '--extensions-dir', extensionsDir];
    await run(opts.bin, [...common, '--install-extension', opts.vsix]);
    const port = await freePort();
    const log = fs.openSync(opts.logFile, 'a');
    const proc = spawn(
      opts.bin,
      [...common, '--auth', 'none', '--bind-addr', `127.0.0.1:${port}`, '--disable-telemetry', '--disable-update-check', '--disable-workspace-trust', '--disable-getting-started-override'],
      { detached: true, stdio: ['ignore', log, log], env: { ...process.env, ...opts.env, HOME: home } },
    );
    const server = new CodeServer(`http://127.0.0.1:${port}`, userDataDir, extensionsDir, proc, home, opts.logFile.replace(/\.log$/, '') + '-logs');
    await server.waitHealthy(90_000);
    return server;
  }

  /** The extension as code-server unpacked it, e.g. `build-pipeline.build-pipeline-0.1.0`. */
  installedExtensions(): string[] {
    return fs.readdirSync(this.extensionsDir).filter((n) => !n.startsWith('.') && n !== 'extensions.json');
  }

  async stop(): Promise<void> {
    if (this.proc.exitCode === null && this.proc.pid) {
      const exited = new Promise<void>((resolve) => this.proc.once('exit', () => resolve()));
      try {
        process.kill(-this.proc.pid, 'SIGTERM');
      } catch {
        // already gone
      }
      const timer = setTimeout(() => {
        try {
          process.kill(-this.proc.pid!, 'SIGKILL');
        } catch {
          // already gone
        }
      }, 5000);
      await exited;
      clearTimeout(timer);
    }
    try {
      fs.cpSync(path.join(this.userDataDir, 'logs'), this.logsCopy, { recursive: true });
    } catch {
      // no logs written
    }
    fs.rmSync(this.home, { recursive: true, force: true });
  }

  private async waitHealthy(timeoutMs: number): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      if (this.proc.exitCode !== null) throw new Error(`code-server exited with ${this.proc.exitCode} before it was ready`);
      if (await ok(`${this.url}/healthz`)) return;
      await new Promise((r) => setTimeout(r, 250));
    }
    throw new Error(`code-server not healthy after ${timeoutMs} ms`);
  }
}

function run(bin: string, args: string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(bin, args, { timeout: 120_000 }, (err, stdout, stderr) => {
      if (err) reject(new Error(`${path.basename(bin)} ${args.join(' ')}: ${stderr || err.message}`));
      else resolve(stdout);
    });
  });
}

function ok(url: string): Promise<boolean> {
  return new Promise((resolve) => {
    const req = http.get(url, (res) => {
      res.resume();
      resolve(res.statusCode === 200);
    });
    req.on('error', () => resolve(false));
    req.setTimeout(2000, () => req.destroy());
  });
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      srv.close(() => (typeof addr === 'object' && addr ? resolve(addr.port) : reject(new Error('no port'))));
    });
  });
}


/** Folder paths listed in a .code-workspace file (relative ones resolved against the file; URIs reduced to their path). */
export function workspaceFileFolders(file: string): string[] {
  try {
    const ws = JSON.parse(fs.readFileSync(file, 'utf8')) as { folders?: { path?: string; uri?: string }[] };
    return (ws.folders ?? []).map((f) => {
      if (f.uri) return f.uri.replace(/^[a-z-]+:\/\/[^/]*/, '');
      return path.resolve(path.dirname(file), f.path ?? '');
    });
  } catch {
    return []; // not there yet, or being written
  }
}
