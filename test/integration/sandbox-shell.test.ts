/**
 * The sandboxed bash tool and the engine's sandboxed commands against the real sandbox runtime,
 * without a model: what a shell may write, that git commits still work, that state persists between
 * calls, that read-only shells write nowhere, and that the user's allow-list opens exactly its hosts.
 */
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as http from 'node:http';
import * as os from 'node:os';
import * as path from 'node:path';
import { execFileSync } from 'node:child_process';
import { betaAgentToolset20260401 } from '@anthropic-ai/sdk/tools/agent-toolset/node';
import type { BetaRunnableTool } from '@anthropic-ai/sdk/lib/tools/BetaRunnableTool';
import { ToolError } from '@anthropic-ai/sdk/lib/tools/ToolError';
import { openRunSandbox, type RunSandbox } from '../../src/core/sandbox/runSandbox';
import { runCommand } from '../../src/core/shell';
import { agentShellEnv } from '../../src/core/agents/env';
import { fileTools, ROLE_TOOLS } from '../../src/core/agents/tools';
import { answerReader, makePipe } from './pipes';
import { isPausableShell } from '../../src/core/sandbox/bashTool';

function git(cwd: string, ...args: string[]): string {
  return execFileSync('git', args, { cwd, encoding: 'utf8' }).trim();
}

async function bash(tool: BetaRunnableTool, command: string): Promise<{ ok: boolean; text: string }> {
  try {
    return { ok: true, text: String(await tool.run({ command }, undefined)) };
  } catch (e) {
    if (e instanceof ToolError) return { ok: false, text: typeof e.content === 'string' ? e.content : JSON.stringify(e.content) };
    throw e;
  }
}

describe('sandboxed shells (real sandbox runtime)', function () {
  this.timeout(60_000);
  let root: string;
  let repo: string;
  let wt: string;
  let sandbox: RunSandbox;
  const tools: BetaRunnableTool[] = [];

  before(async () => {
    root = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), 'bp-sbx-')));
    repo = path.join(root, 'repo');
    fs.mkdirSync(repo);
    git(repo, 'init', '-q', '-b', 'main');
    fs.writeFileSync(path.join(repo, 'a.txt'), 'a\n');
    fs.writeFileSync(path.join(repo, '.env'), 'USER_SECRET=do-not-read\n');
    git(repo, 'add', 'a.txt');
    git(repo, '-c', 'user.name=u', '-c', 'user.email=u@x.invalid', 'commit', '-qm', 'init');
    wt = path.join(root, 'runs', 'wt');
    git(repo, 'worktree', 'add', '-q', '-b', 'orchestration/r1/mod', wt);
    sandbox = await openRunSandbox({ enabled: true, allowedDomains: [] }, { repoRoot: repo, runsRoot: path.join(root, 'runs') });
  });

  after(async () => {
    await Promise.allSettled(tools.map((t) => t.close?.()));
    await sandbox.close();
    fs.rmSync(root, { recursive: true, force: true });
  });

  function shell(cwd: string, writable: boolean, sb: RunSandbox = sandbox): BetaRunnableTool {
    const sdkBash = betaAgentToolset20260401({ workdir: cwd }).find((t) => t.name === 'bash')!;
    const t = sb.confineBash(sdkBash, { cwd, writable, env: agentShellEnv('builder-mod'), timeoutMs: 20_000 });
    tools.push(t);
    return t;
  }

  it('a builder shell writes in its worktree, reads git, keeps its state, and cannot commit or touch .git/config, the .git pointer, objects or anything outside', async () => {
    const b = shell(wt, true);
    assert.deepEqual(await bash(b, 'mkdir -p src/mod && echo hi > src/mod/x.txt && cd src/mod && export MARK=kept'), { ok: true, text: '' });
    assert.equal((await bash(b, 'pwd; echo $MARK')).text, `${path.join(wt, 'src/mod')}\nkept`);
    // git reads work (status refreshes the index in the worktree's own admin folder); the engine commits.
    assert.deepEqual(await bash(b, 'cd .. && cd .. && git status --porcelain && git log --format=%s -1'), { ok: true, text: '?? src/\ninit' });
    const tip = git(repo, 'rev-parse', 'orchestration/r1/mod');
    const commit = await bash(b, 'git add -A && git commit -qm "build(mod): x"');
    assert.equal(commit.ok, false, commit.text);
    assert.match(commit.text, /insufficient permission|Read-only file system|unable to/i);
    assert.equal(git(repo, 'rev-parse', 'orchestration/r1/mod'), tip, 'the branch did not move');
    const adminDir = git(wt, 'rev-parse', '--path-format=absolute', '--git-dir');
    const anObject = path.join(repo, '.git', 'objects', tip.slice(0, 2), tip.slice(2));
    const targets = [
      path.join(repo, '.git', 'config'),
      path.join(repo, '.git', 'hooks', 'pre-commit'),
      path.join(wt, '.git'),
      path.join(adminDir, 'commondir'),
      path.join(adminDir, 'HEAD'),
      // The store every branch is read from (the user's too), and the worktree's own branch.
      path.join(repo, '.git', 'objects', 'new-object'),
      path.join(repo, '.git', 'refs', 'heads', 'orchestration', 'r1', 'mod'),
      path.join(repo, 'a.txt'),
      path.join(root, 'elsewhere.txt'),
    ];
    assert.ok(fs.existsSync(anObject), 'the commit is a loose object');
    const replaced = await bash(b, `rm -f '${anObject}'; printf forged > '${anObject}'`);
    assert.equal(replaced.ok, false, replaced.text);
    assert.ok(fs.existsSync(anObject) && fs.readFileSync(anObject).toString() !== 'forged', 'a loose object was replaced');
    for (const target of targets) {
      const before = fs.existsSync(target) ? fs.readFileSync(target, 'utf8') : undefined;
      const r = await bash(b, `echo hacked >> '${target}'`);
      assert.equal(r.ok, false, `${target}: ${r.text}`);
      assert.match(r.text, /Read-only file system|Permission denied|Operation not permitted/);
      assert.match(r.text, /\[sandbox\]/);
      assert.equal(fs.existsSync(target) ? fs.readFileSync(target, 'utf8') : undefined, before);
    }
    // The user's .env outside the worktree reads as missing; $TMPDIR is writable and private.
    const env = await bash(b, `cat '${path.join(repo, '.env')}'`);
    assert.equal(env.ok, false);
    assert.ok(!env.text.includes('do-not-read'));
    const tmp = await bash(b, 'echo t > "$TMPDIR/t" && cat "$TMPDIR/t" && echo "$TMPDIR"');
    assert.equal(tmp.ok, true, tmp.text);
    const tmpDir = tmp.text.split('\n')[1]!;
    assert.match(tmpDir, /bp-shell-/);
    await b.close?.();
    assert.ok(!fs.existsSync(tmpDir), 'the private temp folder outlived its shell');
  });

  it('file tools cannot be led outside the worktree by a folder the agent\'s own background job keeps swapping for a symlink', async function () {
    this.timeout(120_000);
    const home = path.join(root, 'home-outside');
    fs.mkdirSync(path.join(home, 'd'), { recursive: true });
    fs.writeFileSync(path.join(home, 'd', 'secret.txt'), 'OUTSIDE\n');
    const tools = fileTools(
      ROLE_TOOLS.builder,
      {
        workdir: wt,
        readOnlyRoots: [],
        env: agentShellEnv('builder-mod'),
        bashTimeoutMs: 20_000,
        confineShell: (sdkBash) => sandbox.confineBash(sdkBash, { cwd: wt, writable: true, env: agentShellEnv('builder-mod'), timeoutMs: 20_000 }),
      },
      { call: () => undefined, result: () => undefined },
    );
    const tool = (name: string) => tools.find((t) => t.name === name)!;
    try {
      // The decoy in the worktree, and a job that keeps replacing its folder with a link to the outside one.
      fs.mkdirSync(path.join(wt, 'race', 'd'), { recursive: true });
      fs.writeFileSync(path.join(wt, 'race', 'd', 'secret.txt'), 'decoy\n');
      const started = await bash(tool('bash'), `cd race && (while :; do mv d d.real 2>/dev/null; ln -s '${home}/d' d 2>/dev/null; rm -f d; mv d.real d 2>/dev/null; done) > /dev/null 2>&1 & echo started`);
      assert.ok(started.ok, started.text);
      let leaked = 0;
      for (let i = 0; i < 300; i++) {
        const out = await Promise.resolve(tool('read').run({ file_path: 'race/d/secret.txt' }, undefined)).then(String, (e: Error) => e.message);
        if (out.includes('OUTSIDE')) leaked++;
        await Promise.resolve(tool('write').run({ file_path: `race/d/w${i}.txt`, content: 'x' }, undefined)).catch(() => undefined);
      }
      const landedOutside = fs.readdirSync(path.join(home, 'd')).filter((f) => f.startsWith('w'));
      assert.equal(leaked, 0, 'reads that returned the outside file');
      assert.deepEqual(landedOutside, [], 'writes that landed outside the worktree');
    } finally {
      // Closing the shell kills its sandbox and the swapping job with it; the job may still be
      // dying while the folder is removed, hence the retries.
      await Promise.allSettled(tools.map((t) => t.close?.()));
      fs.rmSync(path.join(wt, 'race'), { recursive: true, force: true, maxRetries: 20, retryDelay: 100 });
      git(wt, 'clean', '-fdq');
    }
  });

  it("a builder shell moves no branch: not the run's others (the integration branch among them), not its own, and cannot repoint HEAD", async () => {
    const integration = path.join(root, 'runs', 'integration');
    git(repo, 'worktree', 'add', '-q', '-b', 'orchestration/r1/integration', integration);
    const before = git(repo, 'rev-parse', 'orchestration/r1/integration');
    const own = git(repo, 'rev-parse', 'orchestration/r1/mod');
    const b = shell(wt, true);
    const moves = [
      'git update-ref refs/heads/orchestration/r1/integration HEAD',
      'git branch -f orchestration/r1/integration HEAD',
      'git update-ref -d refs/heads/orchestration/r1/integration',
      'git branch orchestration/r1/extra HEAD',
      'git update-ref refs/heads/orchestration/r1/mod HEAD~0',
      // Its own branch as a symbolic ref to the integration branch: the engine's next commit would follow it.
      `printf 'ref: refs/heads/orchestration/r1/integration\\n' > '${path.join(repo, '.git', 'refs', 'heads', 'orchestration', 'r1', 'mod')}'`,
      `touch '${path.join(repo, '.git', 'refs', 'heads', 'orchestration', 'r1', 'integration.lock')}'`,
    ];
    for (const move of moves) {
      const out = await bash(b, move);
      assert.equal(out.ok, false, `${move}: ${out.text}`);
      assert.equal(git(repo, 'rev-parse', 'orchestration/r1/integration'), before, move);
      assert.equal(git(repo, 'rev-parse', 'orchestration/r1/mod'), own, move);
      assert.equal(git(repo, 'symbolic-ref', '-q', 'HEAD'), 'refs/heads/main', move);
    }
    assert.ok(!fs.existsSync(path.join(repo, '.git', 'refs', 'heads', 'orchestration', 'r1', 'integration.lock')));
    assert.equal(git(repo, 'branch', '--list', 'orchestration/r1/extra'), '');
    // Nor can it point its worktree at another branch (the engine commits on whatever HEAD names): HEAD is read-only to it.
    for (const move of ['git checkout -q orchestration/r1/integration', 'git switch -q -c elsewhere', 'git symbolic-ref HEAD refs/heads/orchestration/r1/integration', 'git checkout -q --detach']) {
      const out = await bash(b, move);
      assert.equal(out.ok, false, `${move}: ${out.text}`);
      assert.equal(git(wt, 'symbolic-ref', 'HEAD'), 'refs/heads/orchestration/r1/mod', move);
    }
  });

  it("the engine's commands (a test run: code a builder wrote) can move no branch, not even the one checked out", async () => {
    const integration = path.join(root, 'runs', 'integration');
    if (!fs.existsSync(integration)) git(repo, 'worktree', 'add', '-q', '-b', 'orchestration/r1/integration', integration);
    const before = git(repo, 'rev-parse', 'orchestration/r1/integration');
    const env = agentShellEnv('test-gate');
    for (const line of ['git update-ref refs/heads/orchestration/r1/integration orchestration/r1/mod', 'git -c user.name=t -c user.email=t@x.invalid commit -q --allow-empty -m evil', 'git update-ref refs/heads/orchestration/r1/mod HEAD']) {
      const r = await runCommand(line, integration, env, 20_000, undefined, sandbox);
      assert.notEqual(r.exitCode, 0, `${line}: ${r.output}`);
    }
    assert.equal(git(repo, 'rev-parse', 'orchestration/r1/integration'), before);
    // What tests do still works: write in the worktree, read git.
    const ok = await runCommand('echo built > out.txt && git rev-parse --abbrev-ref HEAD', integration, env, 20_000, undefined, sandbox);
    assert.equal(ok.exitCode, 0, ok.output);
    assert.match(ok.output, /orchestration\/r1\/integration/);
  });

  it('a read-only (QC) shell writes nowhere, not even in its worktree', async () => {
    const q = shell(wt, false);
    const r = await bash(q, 'echo x > qc-was-here.txt');
    assert.equal(r.ok, false);
    assert.match(r.text, /Read-only file system/);
    assert.match(r.text, /writes nowhere but \$TMPDIR/);
    assert.ok(!fs.existsSync(path.join(wt, 'qc-was-here.txt')));
    assert.equal((await bash(q, 'cat a.txt')).text, 'a');
    // It cannot swap a folder on a file tool's path, so its processes (QC's test run) are never held still for one.
    assert.equal(isPausableShell(q), false);
    assert.equal(isPausableShell(shell(wt, true)), true, 'a shell that writes in its worktree is');
  });

  it('a QC shell starts its test command as QC starts, and QC\'s first call with it gets that run', async () => {
    // A pipe the command reads: the open for writing below returns only once a reader has it open,
    // so the run was under way before the agent asked for it; a run at the call would hang here.
    const fifo = makePipe(path.join(root, 'tests-ahead.fifo'));
    const command = `cat ${fifo}`;
    const env = agentShellEnv('qc-mod');
    const [qcBash] = fileTools(
      ['bash'],
      { workdir: wt, readOnlyRoots: [wt], env, bashTimeoutMs: 20_000, confineShell: (sdkBash) => sandbox.confineBash(sdkBash, { cwd: wt, writable: false, env, timeoutMs: 20_000 }), commandAhead: command },
      { call: () => undefined, result: () => undefined },
    );
    tools.push(qcBash!);
    (qcBash as unknown as { warm(): void }).warm();
    await answerReader(fifo, undefined, 'read by the run started ahead\n');
    assert.deepEqual(await bash(qcBash!, command), { ok: true, text: 'read by the run started ahead' });
    // Still the read-only QC shell.
    assert.match((await bash(qcBash!, 'echo x > qc-was-here.txt')).text, /Read-only file system/);
  });

  it('the engine\'s own commands (tests, installs) run confined too', async () => {
    const outside = path.join(root, 'engine-outside.txt');
    const res = await runCommand(`echo in > inside.txt && echo out > '${outside}'`, wt, agentShellEnv('engine'), 20_000, undefined, sandbox);
    assert.notEqual(res.exitCode, 0);
    assert.match(res.output, /Read-only file system/);
    assert.ok(fs.existsSync(path.join(wt, 'inside.txt')));
    assert.ok(!fs.existsSync(outside));
  });

  it("the user's ~/.bashrc does not run before a shell, even where bash takes itself for a remote shell's (socket stdin, first shell level)", async () => {
    // A VS Code started from the desktop has no SHLVL; node's pipes are sockets: bash then reads ~/.bashrc
    // even with -c, outside the sandbox, before every shell. This one says so in a file and on stdout.
    const home = path.join(root, 'rc-home');
    fs.mkdirSync(home, { recursive: true });
    const marker = path.join(root, 'rc-ran');
    fs.writeFileSync(path.join(home, '.bashrc'), `echo rc >> '${marker}'\necho from-the-rc-file\n`);
    const base: NodeJS.ProcessEnv = { ...process.env, HOME: home };
    delete base.SHLVL;
    const agentEnvTool = sandbox.confineBash(betaAgentToolset20260401({ workdir: wt }).find((t) => t.name === 'bash')!, {
      cwd: wt,
      writable: true,
      env: agentShellEnv('builder-mod', base),
      timeoutMs: 20_000,
    });
    tools.push(agentEnvTool);
    assert.deepEqual(await bash(agentEnvTool, 'echo hello'), { ok: true, text: 'hello' });
    const engine = await runCommand('echo engine', wt, agentShellEnv('engine', base), 20_000, undefined, sandbox);
    assert.deepEqual([engine.exitCode, engine.output.trim()], [0, 'engine']);
    assert.ok(!fs.existsSync(marker), `the rc file ran: ${fs.existsSync(marker) ? fs.readFileSync(marker, 'utf8') : ''}`);
  });

  it('the engine\'s commands in one worktree share a sandbox, each in a fresh subshell with an empty temp folder, and nothing they leave running outlives them', async () => {
    const env = agentShellEnv('engine');
    const first = await runCommand('cd / && export LEAK=1 && echo "$TMPDIR" && touch "$TMPDIR/left-behind" && (sleep 300 >/dev/null 2>&1 & echo $! > "$TMPDIR/pid") && cat "$TMPDIR/pid"', wt, env, 20_000, undefined, sandbox);
    assert.equal(first.exitCode, 0, first.output);
    const [tmpDir, sleeper] = first.output.trim().split('\n');
    assert.match(tmpDir!, /bp-shell-/);
    assert.match(sleeper!, /^\d+$/);
    const second = await runCommand(`echo "$TMPDIR"; pwd; echo "\${LEAK:-none}"; ls -A "$TMPDIR" | wc -l; kill -0 ${sleeper} 2>/dev/null && echo alive || echo gone`, wt, env, 20_000, undefined, sandbox);
    assert.equal(second.exitCode, 0, second.output);
    // The same temp folder: the same sandbox, not one started for the command.
    assert.deepEqual(second.output.trim().split('\n'), [tmpDir, wt, 'none', '0', 'gone']);
    const failed = await runCommand('echo partial; exit 3', wt, env, 20_000, undefined, sandbox);
    assert.deepEqual([failed.exitCode, failed.output.trim(), failed.timedOut], [3, 'partial', false]);
  });

  it('a process an engine command leaves outside its process group ends with the sandbox: the next command gets a fresh one', async () => {
    const env = agentShellEnv('engine');
    // setsid leaves the command's process group, so the kill after the command misses it (a daemon
    // does the same). The command waits for the file the process writes once it has left the group.
    const first = await runCommand('echo "$TMPDIR"; setsid sh -c \': > "$TMPDIR/up"; exec sleep 300\' >/dev/null 2>&1 < /dev/null & until [ -e "$TMPDIR/up" ]; do :; done', wt, env, 20_000, undefined, sandbox);
    assert.equal(first.exitCode, 0, first.output);
    const [tmpDir] = first.output.trim().split('\n');
    assert.match(tmpDir!, /bp-shell-/);
    const second = await runCommand('echo "$TMPDIR"; for p in /proc/[0-9]*; do read -r -d "" c < "$p/cmdline" && [ "$c" = sleep ] && echo sleeping; done; true', wt, env, 20_000, undefined, sandbox);
    assert.equal(second.exitCode, 0, second.output);
    const lines = second.output.trim().split('\n');
    assert.notEqual(lines[0], tmpDir, 'a sandbox with a stray process in it was kept for the next command');
    assert.deepEqual(lines.slice(1), [], 'the stray process is in the next command\'s sandbox');
    for (let i = 0; i < 50 && fs.existsSync(tmpDir!); i++) await new Promise((r) => setTimeout(r, 100));
    assert.ok(!fs.existsSync(tmpDir!), 'the old temp folder outlived its sandbox');
  });

  it('the temp folder is emptied between commands without following a link out of it', async () => {
    const env = agentShellEnv('engine');
    const outside = path.join(root, 'outside-tmp');
    fs.mkdirSync(path.join(outside, 'sub'), { recursive: true });
    fs.writeFileSync(path.join(outside, 'sub', 'keep.txt'), 'keep');
    // Links to a folder of the user's, at the top of the temp folder and inside a subfolder.
    const first = await runCommand(`mkdir "$TMPDIR/d" && ln -s '${outside}' "$TMPDIR/link" && ln -s '${outside}/sub' "$TMPDIR/d/link" && echo "$TMPDIR"`, wt, env, 20_000, undefined, sandbox);
    assert.equal(first.exitCode, 0, first.output);
    const second = await runCommand('echo "$TMPDIR"; ls -A "$TMPDIR" | wc -l', wt, env, 20_000, undefined, sandbox);
    assert.equal(second.exitCode, 0, second.output);
    assert.deepEqual(second.output.trim().split('\n'), [first.output.trim(), '0']);
    assert.equal(fs.readFileSync(path.join(outside, 'sub', 'keep.txt'), 'utf8'), 'keep', 'a link was followed');
  });

  it('an engine command cannot step out of its subshell into the kept shell: nothing it sets reaches the next command, and a syntax error fails at once', async () => {
    const env = agentShellEnv('engine');
    // A line that closes the wrapper's group and subshell, sets a variable and a function in the shell
    // kept for the worktree, and opens them again: read as code there, the next command would see both.
    const escape = await runCommand('true\n} ) ; export LEAK=escaped; poisoned_fn() { echo poisoned; }; ( {\ntrue', wt, env, 20_000, undefined, sandbox);
    assert.notEqual(escape.exitCode, 0, escape.output);
    const next = await runCommand('echo "${LEAK:-none}"; type -t poisoned_fn || echo no-function', wt, env, 20_000, undefined, sandbox);
    assert.equal(next.exitCode, 0, next.output);
    assert.deepEqual(next.output.trim().split('\n'), ['none', 'no-function']);
    // An unterminated quote: the kept shell would wait for the rest of it until the timeout.
    const broken = await runCommand('echo "unterminated', wt, env, 15_000, undefined, sandbox);
    assert.equal(broken.timedOut, false, broken.output);
    assert.equal(broken.exitCode, 2, broken.output);
    assert.match(broken.output, /unexpected EOF/);
  });

  it('an engine command in the background runs at a lower CPU priority, and the next command at the normal one again', async () => {
    const env = agentShellEnv('engine');
    // Field 19 of /proc/<pid>/stat is the niceness; $BASHPID is the command's own subshell.
    const nice = 'cut -d" " -f19 /proc/$BASHPID/stat';
    const normal = await runCommand(nice, wt, env, 20_000, undefined, sandbox);
    const background = await runCommand(nice, wt, env, 20_000, undefined, sandbox, { background: true });
    const after = await runCommand(nice, wt, env, 20_000, undefined, sandbox);
    const base = Number(normal.output.trim());
    assert.equal(Number(background.output.trim()), Math.min(19, base + 10), background.output);
    assert.equal(Number(after.output.trim()), base, 'the kept shell itself kept its priority');
  });

  it('an engine command that times out takes its sandbox with it; the next one gets a new sandbox', async () => {
    const env = agentShellEnv('engine');
    const before = await runCommand('echo "$TMPDIR"', wt, env, 20_000, undefined, sandbox);
    const slow = await runCommand('echo started; sleep 30', wt, env, 1_000, undefined, sandbox);
    assert.equal(slow.timedOut, true);
    assert.equal(slow.exitCode, null);
    assert.match(slow.output, /started/);
    const after = await runCommand('echo "$TMPDIR"', wt, env, 20_000, undefined, sandbox);
    assert.equal(after.exitCode, 0, after.output);
    assert.notEqual(after.output.trim(), before.output.trim());
    assert.ok(!fs.existsSync(before.output.trim()), 'the timed-out sandbox\'s temp folder is still there');
  });

  it('a worktree removed and added again at the same path gets a sandbox of its own, bound to the new folder', async () => {
    const env = agentShellEnv('engine');
    const again = path.join(root, 'runs', 'again');
    git(repo, 'worktree', 'add', '-q', '-b', 'orchestration/r1/again', again);
    const first = await runCommand('echo "$TMPDIR" && echo one > one.txt', again, env, 20_000, undefined, sandbox);
    assert.equal(first.exitCode, 0, first.output);
    git(repo, 'worktree', 'remove', '--force', again);
    git(repo, 'worktree', 'add', '-q', again, 'orchestration/r1/again');
    const second = await runCommand('echo "$TMPDIR" && echo two > two.txt', again, env, 20_000, undefined, sandbox);
    assert.equal(second.exitCode, 0, second.output);
    assert.notEqual(second.output.trim(), first.output.trim());
    assert.equal(fs.readFileSync(path.join(again, 'two.txt'), 'utf8'), 'two\n');
  });

  it('the network is off by default and open to exactly the allow-listed hosts', async () => {
    const server = http.createServer((_, res) => res.end('hello from the allow-listed host'));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const port = (server.address() as { port: number }).port;
    const open = await openRunSandbox({ enabled: true, allowedDomains: [`127.0.0.1:${port}`] }, { repoRoot: repo, runsRoot: path.join(root, 'runs') });
    try {
      // Through the sandbox's proxy (HTTP_PROXY is set inside): NO_PROXY would send loopback around it.
      const fetchLine = `NO_PROXY= no_proxy= NODE_USE_ENV_PROXY=1 '${process.execPath}' -e "fetch('http://127.0.0.1:${port}/').then(r => r.text()).then(t => console.log(t), e => { console.log('failed', e.cause?.message ?? e.message); process.exit(1); })"`;
      const denied = await bash(shell(wt, false), fetchLine);
      assert.equal(denied.ok, false, denied.text);
      const allowed = await bash(shell(wt, false, open), fetchLine);
      assert.deepEqual(allowed, { ok: true, text: 'hello from the allow-listed host' });
    } finally {
      await open.close();
      server.close();
    }
  });
});
