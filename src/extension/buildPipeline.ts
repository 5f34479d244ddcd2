/**
 * Wires the extension together: output channel, gates, status bar, worktree folders, the run
 * controller, the three tree views, the panels, the diff content provider and the command table.
 */
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { RunState } from '../core/contracts/schemas';
import { ApiKeyStore } from './apiKey';
import { registerCommands, showFailure, type CommandTable } from './commands';
import { GIT_SCHEME, GitContentProvider } from './diff/gitContentProvider';
import { reviewIntegrationDiff, reviewModuleDiff } from './diff/reviewDiff';
import type { EngineApi } from './engineBinding';
import { GatePrompter } from './gates';
import { repoRoot } from './git/gitCli';
import { Disposable } from './lifecycle';
import { integrationWorktreeOf } from '../core/run/runDir';
import type { LockNode, LocksTreeNode } from './models/locksModel';
import { contractsDir } from './models/contractsReader';
import { historyOf } from '../core/locks/audit';
import { lockHistoryMarkdown } from '../core/locks/history';
import { qcReportPath, type ModuleNode } from './models/modulesModel';
import { adrBadges, auditBadges, qcBadges } from './models/reportBadges';
import { MarkdownPanels } from './panels/markdownPanel';
import { RunController } from './runController';
import { RunLauncher } from './runLauncher';
import { askAuditRequest, askDescription, askApiAccess, askModelAccess, askMode } from './startFlow';
import { RunStatusBar } from './statusBar';
import { lockItem } from './views/lockItems';
import { ModelTreeProvider } from './views/modelTreeProvider';
import { moduleItem } from './views/moduleItems';
import { stageItem } from './views/stageItems';
import { WorktreeFolders } from './worktreeFolders';
import { PlanFeatures } from './plans/planFeatures';
import { needsMultiRoot, refillRunWorkspace, runWorkspaceOfWindow, switchToMultiRoot, takeStartParkedFor, type RunWorkspaceFiles } from './workspacePrep';
import { inert } from './models/inertText';

const RESUMABLE = new Set<RunState['status']>(['running', 'awaiting-approval', 'halted', 'cancelled']);
/** How long a window waits for its workspace folders to be known (they can come after activation). */
const FOLDERS_WAIT_MS = 60_000;
/**
 * In our run workspace, how long before the folders are put back from what we know. Well past the
 * usual wait (a browser window reads a workspace file it has not cached only once the remote file
 * system is up), and adding a folder that is there already changes nothing (VS Code skips it).
 */
const FOLDERS_BEFORE_REFILL_MS = 20_000;
/** After putting the folders back, how long the restart that follows may take to come. */
const RESTART_AFTER_REFILL_MS = 30_000;

export class BuildPipeline extends Disposable {
  private readonly log = this._register(vscode.window.createOutputChannel('Build Pipeline', { log: true }));
  private readonly gates = this._register(new GatePrompter(() => this.reviewShipChanges()));
  private readonly keys: ApiKeyStore;
  private readonly folders: WorktreeFolders;
  private readonly controller: RunController;
  private readonly launcher: RunLauncher;
  private readonly panels: MarkdownPanels;
  private readonly views: vscode.TreeView<unknown>[] = [];

  constructor(
    private readonly context: vscode.ExtensionContext,
    private readonly engine: EngineApi,
  ) {
    super();
    this.keys = new ApiKeyStore(context.secrets);
    // Never in a single-folder window: its first added folder makes it multi-root, which restarts the
    // extension host and the run's engine process with it (a resume there, or a Start whose switch to
    // the run workspace was refused). Start switches to the run workspace first; there folders are added.
    this.folders = this._register(new WorktreeFolders(context.workspaceState, () => this.setting('openWorktreesAsFolders', true) && !needsMultiRoot(true)));
    const statusBar = this._register(new RunStatusBar());
    this.controller = this._register(new RunController(this.log, this.gates, statusBar, this.folders));
    this.launcher = new RunLauncher(engine, this.controller, this.gates, this.log, (runDir, repo) => this.showAuditReport(runDir, repo));
    this.panels = this._register(new MarkdownPanels(context.extensionUri));
    this.registerViews();
    this._register(vscode.workspace.registerTextDocumentContentProvider(GIT_SCHEME, new GitContentProvider()));
    for (const d of registerCommands(this.commandTable(), this.log)) this._register(d);
    // Phased plans and teams: their own commands and trees, in their own room (src/extension/plans/).
    this._register(new PlanFeatures(this.log, this.keys, (complain) => this.repo(complain), () => this.setting('offlineDemo', false)));
    this._register(this.controller.modules.onDidChange(() => this.refreshOpenReports()));
  }

  logActivationTiming(loadMs: number | undefined, activateMs: number): void {
    const load = loadMs === undefined ? 'unknown' : `${loadMs.toFixed(1)} ms`;
    this.log.info(`activation timing: bundle load ${load}, activate() ${activateMs.toFixed(1)} ms`);
  }

  /** After activation: tidy folders a crash left behind, show the last run, offer to resume an unfinished one. */
  async restore(): Promise<void> {
    this.folders.removeLeftovers();
    // A window on our run workspace is most likely the one Start just reloaded: a parked start waits for it.
    const runWorkspace = runWorkspaceOfWindow();
    if (runWorkspace) this.refillWhenEmptied(runWorkspace);
    let repo = (await this.repo(false)) ?? (await this.repoOnceFoldersArrive(runWorkspace ? FOLDERS_BEFORE_REFILL_MS : FOLDERS_WAIT_MS));
    const refilled = !repo && !!runWorkspace && (await refillRunWorkspace(runWorkspace, this.log));
    if (refilled) repo = (await this.repoOnceFoldersArrive(FOLDERS_WAIT_MS)) ?? (await this.repo(false));
    this.log.info(`Activated in ${repo ?? 'a window without a git repository as its first folder'} (${vscode.workspace.workspaceFolders?.length ?? 0} folder(s))`);
    if (!repo) return;
    if (refilled) {
      // A new first folder makes VS Code restart the extension host (a remote window reloads, seen in
      // code-server 13 s later): a run started here now would be killed, so the next host starts it.
      await new Promise((r) => setTimeout(r, RESTART_AFTER_REFILL_MS));
      if (this.isDisposed) return;
      this.log.info('No restart came after the folders were put back: going on in this extension host');
    }
    if (runWorkspace && (await this.startParked(repo, runWorkspace))) return;
    const runs = await this.engine.listRuns(repo).catch(() => [] as RunState[]);
    const latest = newest(runs);
    if (latest) this.controller.show(latest);
    const unfinished = await this.engine.findUnfinishedRun(repo).catch(() => undefined);
    if (!unfinished || this.controller.active) return;
    const RESUME = 'Resume';
    const choice = await vscode.window.showInformationMessage(
      `Build Pipeline: run ${unfinished.runId} ("${clip(unfinished.description)}") did not finish (${unfinished.status}). Resume it?`,
      RESUME,
      'Not Now',
    );
    // Not a command: a failure here (the run's lock, a gone worktree) would only reach the console.
    if (choice === RESUME) await this.resume(unfinished).catch((e: unknown) => showFailure(this.log, 'Resume', e));
  }

  /**
   * A browser window first shows the folders it cached for a workspace, then the file's: the run
   * workspace can lose its folders after activation (seen in code-server). Put them back then too.
   */
  private refillWhenEmptied(runWorkspace: RunWorkspaceFiles): void {
    let timer: NodeJS.Timeout | undefined;
    this._register(
      vscode.workspace.onDidChangeWorkspaceFolders(() => {
        clearTimeout(timer);
        if (vscode.workspace.workspaceFolders?.length) return;
        timer = setTimeout(() => void refillRunWorkspace(runWorkspace, this.log), 2_000);
      }),
    );
    this._register({ dispose: () => clearTimeout(timer) });
  }

  /**
   * Right after the switch to a multi-root workspace, the restarted extension host can be activated
   * before the workspace's folders are known (seen in code-server): wait for them, briefly.
   */
  private repoOnceFoldersArrive(timeoutMs: number): Promise<string | undefined> {
    if (vscode.workspace.workspaceFolders?.length) return Promise.resolve(undefined);
    return new Promise((resolve) => {
      let settled = false;
      const timer = setTimeout(() => done(undefined), timeoutMs);
      const sub = vscode.workspace.onDidChangeWorkspaceFolders(() => void this.repo(false).then(done));
      // Under load the folders have also arrived without the change event (seen in the e2e runs): look as well.
      const poll = setInterval(() => {
        if (vscode.workspace.workspaceFolders?.length) void this.repo(false).then(done);
      }, 500);
      const done = (repo: string | undefined) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        clearInterval(poll);
        sub.dispose();
        resolve(repo);
      };
    });
  }

  private registerViews(): void {
    const c = this.controller;
    const stages = this._register(new ModelTreeProvider(c.stages, (n) => stageItem(n), undefined, undefined, 'stages'));
    const modules = this._register(new ModelTreeProvider<ModuleNode>(c.modules, moduleItem, undefined, undefined, 'modules'));
    const locks = this._register(
      new ModelTreeProvider<LocksTreeNode>(c.locks, lockItem, (n) => (n.kind === 'lock-group' ? n.children : []), undefined, 'locks'),
    );
    for (const [id, provider] of [
      ['buildPipeline.stages', stages],
      ['buildPipeline.modules', modules],
      ['buildPipeline.locks', locks],
    ] as const) {
      const view = this._register(vscode.window.createTreeView<unknown>(id, { treeDataProvider: provider as vscode.TreeDataProvider<unknown> }));
      this.views.push(view);
    }
    this._register(c.onDidChange(() => this.describeViews()));
    this.describeViews();
  }

  /** The view descriptions say when a run is the offline demo, so nobody mistakes it for real output. */
  private describeViews(): void {
    const state = this.controller.runState;
    // Also when shells ran without the sandbox (the user turned it off): every view says so.
    const label = state ? `${state.offline ? 'demo (scripted model) · ' : ''}${state.shellsSandboxed === false ? 'shells NOT sandboxed · ' : ''}${state.status}` : undefined;
    for (const v of this.views) v.description = label;
  }

  private commandTable(): CommandTable {
    return {
      'buildPipeline.start': () => this.start(),
      'buildPipeline.resume': () => this.resume(),
      'buildPipeline.cancel': () => this.launcher.cancel(),
      'buildPipeline.audit': () => this.audit(),
      'buildPipeline.approveGate': () => this.approveGate(),
      'buildPipeline.openQcReport': (arg) => this.openQcReport(arg as ModuleNode | undefined),
      'buildPipeline.openAdr': (arg) => this.openAdr(arg as LocksTreeNode | undefined),
      'buildPipeline.openLockHistory': (arg) => this.openLockHistory(arg as LocksTreeNode | undefined),
      'buildPipeline.reviewModuleDiff': (arg) => this.reviewDiff(arg as ModuleNode | undefined),
      'buildPipeline.setApiKey': () => this.keys.prompt(),
      'buildPipeline.showLog': () => this.log.show(),
    };
  }

  private async start(): Promise<void> {
    if (this.controller.active) {
      void vscode.window.showInformationMessage('Build Pipeline: a run is already active in this window.');
      return;
    }
    const repo = await this.repo(true);
    if (!repo) return;
    let description = await askDescription();
    if (!description) return;
    const mode = await askMode(description);
    if (mode === 'audit') return this.audit(description);
    if (mode !== 'build') return;
    const access = await askModelAccess(this.keys, this.setting('offlineDemo', false));
    if (!access) return;
    if (needsMultiRoot(this.setting('openWorktreesAsFolders', true))) {
      // Checked before the window reloads: a refused key or an unknown model shows here, and nothing is parked.
      if (!(await this.launcher.check(repo, description, access))) return;
      // Reloads the window; the reloaded window's extension host starts the parked run (restore()).
      this.log.info('Switching to a multi-root workspace before the run, so builder worktrees can be shown as folders');
      const stillOurs = await switchToMultiRoot({ repo, description, offline: access.offline });
      if (!stillOurs) return; // the reloaded window took the start over
      this.log.info('The window did not reload: starting the run here, without worktree folders');
      description = stillOurs.description;
    }
    this.log.info(`Starting a build run in ${repo}${access.offline ? ' with the offline demo model' : ''}`);
    await this.launcher.start(repo, description, access);
  }

  /** "Build Pipeline: Audit", or Start with a request that reads as an audit. */
  private async audit(request?: string): Promise<void> {
    if (this.controller.active) {
      void vscode.window.showInformationMessage('Build Pipeline: a run is already active in this window.');
      return;
    }
    const repo = await this.repo(true);
    if (!repo) return;
    const what = request ?? (await askAuditRequest());
    if (!what) return;
    const access = await askModelAccess(this.keys, this.setting('offlineDemo', false));
    if (!access) return;
    this.log.info(`Starting a read-only audit of ${repo}${access.offline ? ' with the offline demo model' : ''}`);
    await this.launcher.audit(repo, what, access);
  }

  private showAuditReport(runDir: string, repo: string): void {
    this.panels.show({ kind: 'audit', title: 'Audit report', file: path.join(runDir, 'audit-report.md'), badges: auditBadges, linkRoots: [repo] });
  }

  /**
   * The start parked for this window's run workspace before the reload, taken by this host alone
   * (its file is claimed atomically, and only for this workspace and repository) and run
   * once; its failure is shown, a preflight error included.
   */
  private async startParked(repo: string, runWorkspace: RunWorkspaceFiles): Promise<boolean> {
    const parked = takeStartParkedFor(runWorkspace, repo);
    if (!parked) return false;
    const key = parked.offline ? undefined : await this.keys.get();
    const access = parked.offline || !key ? await askModelAccess(this.keys, parked.offline) : { offline: false, apiKey: key };
    if (!access) return true;
    this.log.info(`Starting the parked build run in ${repo}${access.offline ? ' with the offline demo model' : ''}`);
    // Not a command: nothing above would show a failure (restore() only logs to the console).
    await this.launcher.start(repo, parked.description, access).catch((e: unknown) => showFailure(this.log, 'Start', e));
    return true;
  }

  private async resume(run?: RunState): Promise<void> {
    if (this.controller.active) {
      void vscode.window.showInformationMessage('Build Pipeline: a run is already active in this window.');
      return;
    }
    const repo = await this.repo(true);
    if (!repo) return;
    const target = run ?? (await this.pickRun(repo));
    if (!target) return;
    // A demo run goes on as a demo; a run made with the API goes on only with it.
    const access = target.offline ? { offline: true } : await askApiAccess(this.keys);
    if (!access) return;
    if (needsMultiRoot(this.setting('openWorktreesAsFolders', true))) {
      this.log.info('Resuming in a single-folder window: builder worktrees are not shown as folders here (adding one would restart the extension host, and the run with it); Start opens the run workspace, where they are');
    }
    await this.launcher.resume(repo, target.runId, access);
  }

  private async pickRun(repo: string): Promise<RunState | undefined> {
    const listed = (await this.engine.listRuns(repo)).filter((r) => RESUMABLE.has(r.status));
    // A run another process drives (the CLI, another window) would only meet its lock.
    const runs = listed.filter((r) => !this.engine.isRunActive(r));
    if (runs.length === 0) {
      const driven = listed.length > 0 ? ` (${listed.length === 1 ? `run ${listed[0]!.runId} is` : `${listed.length} runs are`} being driven by another process)` : '';
      void vscode.window.showInformationMessage(`Build Pipeline: no unfinished run in this repository to resume${driven}.`);
      return undefined;
    }
    if (runs.length === 1) return runs[0];
    const pick = await vscode.window.showQuickPick(
      runs
        .sort((a, b) => b.updatedAt.localeCompare(a.updatedAt))
        .map((r) => ({ label: clip(r.description), description: `${r.status}${r.offline ? ' · demo' : ''}`, detail: r.runId, run: r })),
      { title: 'Build Pipeline: resume which run?' },
    );
    return pick?.run;
  }

  private async approveGate(): Promise<void> {
    if (this.gates.waiting) return this.gates.decideFromCommand();
    const state = this.controller.runState;
    if (state?.status === 'awaiting-approval' && !this.controller.active) {
      // The gate was left open when the window closed: resuming asks it again.
      return this.resume(state);
    }
    void vscode.window.showInformationMessage('Build Pipeline: no gate is waiting for a decision.');
  }

  private async openQcReport(node?: ModuleNode): Promise<void> {
    const state = this.requireRun();
    if (state.mode === 'audit') return this.showAuditReport(state.runDir, state.repoRoot);
    const withReports = this.controller.modules.roots().filter((m) => m.reportPath);
    const target = node ?? (await pick(withReports, (m) => m.name, 'Open the QC report of which module?'));
    if (!target) return;
    const file = target.reportPath ?? qcReportPath(state.runDir, target.name);
    const roots = [target.worktree, path.join(state.runDir, 'worktrees', target.name), integrationWorktreeOf(state.runDir), state.repoRoot];
    this.panels.show({
      kind: 'qc',
      title: `QC: ${target.name}`,
      file,
      badges: (md) => qcBadges(md, target.verdict),
      linkRoots: roots.filter((r): r is string => !!r),
    });
  }

  private refreshOpenReports(): void {
    for (const m of this.controller.modules.roots()) if (m.reportPath) this.panels.refresh(m.reportPath);
  }

  private async openAdr(node?: LocksTreeNode): Promise<void> {
    const state = this.requireRun();
    const adr =
      node?.kind === 'adr' ? node.adr : node?.kind === 'lock' ? node.adr : await pick(this.controller.locks.adrs(), (a) => inert(`${a.number} ${a.title}`), 'Open which ADR?');
    if (!adr) return;
    const level = node?.kind === 'lock' ? node.level : undefined;
    this.panels.show({
      kind: 'adr',
      title: `ADR ${adr.number}: ${adr.title}`,
      file: adr.file,
      badges: (md) => adrBadges(md, level),
      linkRoots: [integrationWorktreeOf(state.runDir), state.repoRoot],
    });
  }

  /** The lock's audit trail as a read-only markdown document (a text editor: nothing in it runs). */
  private async openLockHistory(node?: LocksTreeNode): Promise<void> {
    const state = this.requireRun();
    const locks = this.controller.locks.roots().flatMap((g) => g.children).filter((c): c is LockNode => c.kind === 'lock');
    const target = node?.kind === 'lock' ? node : await pick(locks, (l) => `${l.key} (${l.level})`, 'History of which lock?');
    if (!target) return;
    const kind = target.group === 'decisions' ? 'decision' : 'interface';
    const text = lockHistoryMarkdown(kind, target.key, historyOf(contractsDir(state.runDir), kind, target.key));
    const doc = await vscode.workspace.openTextDocument({ content: text, language: 'markdown' });
    await vscode.window.showTextDocument(doc, { preview: true });
  }

  private async reviewDiff(node?: ModuleNode): Promise<void> {
    const state = this.requireRun();
    const target = node ?? (await pick(this.controller.modules.roots().filter((m) => m.branch), (m) => m.name, 'Review the diff of which module?'));
    if (!target) return;
    const fresh = this.controller.runState ?? state;
    await reviewModuleDiff(fresh.repoRoot, fresh, target.name);
  }

  private async reviewShipChanges(): Promise<void> {
    const state = this.requireRun();
    await reviewIntegrationDiff(state.repoRoot, state);
  }

  private requireRun(): RunState {
    const state = this.controller.runState;
    if (!state) throw new Error('no run yet in this repository: start one first.');
    return state;
  }

  /** The git repository of the first workspace folder (the one VS Code never lets us replace). */
  private async repo(complain: boolean): Promise<string | undefined> {
    const first = vscode.workspace.workspaceFolders?.[0];
    const root = first?.uri.scheme === 'file' ? await repoRoot(first.uri.fsPath) : undefined;
    if (!root && complain) {
      void vscode.window.showErrorMessage('Build Pipeline needs a git repository open as the first workspace folder.');
    }
    return root;
  }

  private setting<T>(key: string, fallback: T): T {
    return vscode.workspace.getConfiguration('buildPipeline').get<T>(key, fallback);
  }

  override dispose(): void {
    // A window closing cannot answer a gate: the engine records the run as awaiting approval.
    this.gates.answerLater();
    super.dispose();
  }
}

function newest(runs: readonly RunState[]): RunState | undefined {
  return [...runs].sort((a, b) => b.createdAt.localeCompare(a.createdAt))[0];
}

function clip(s: string, max = 60): string {
  return s.length > max ? `${s.slice(0, max - 1)}…` : s;
}

async function pick<T>(items: readonly T[], label: (t: T) => string, title: string): Promise<T | undefined> {
  if (items.length === 0) {
    void vscode.window.showInformationMessage('Build Pipeline: nothing to open yet.');
    return undefined;
  }
  if (items.length === 1) return items[0];
  const chosen = await vscode.window.showQuickPick(items.map((item) => ({ label: label(item), item })), { title });
  return chosen?.item;
}
