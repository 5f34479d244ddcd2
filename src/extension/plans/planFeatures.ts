/**
 * Phased plans and teams in VS Code: "Build Pipeline: Create Plan" and "Build Pipeline: Implement
 * Plan", the Plans, Team and Tasks trees, team traffic (mailbox included) in the log channel, and the
 * plan gates (the flow audit's Significant Issues, and any later one) as a notification with the same
 * actions on a gate row of the Plans tree. The engine does the work (src/core/plans, src/core/teams);
 * this is the thin adapter.
 */
import * as vscode from 'vscode';
import { loadConfig } from '../../core/config';
import { teamEventLine } from '../../core/plans/eventText';
import { runsRootFor } from '../../core/run/runs';
import type { ImplementHandle, PlanGateAnswer, PlanGateRequest } from '../../core/teams/implement';
import type { ApiKeyStore } from '../apiKey';
import { planEngine } from '../engineBinding';
import { Disposable } from '../lifecycle';
import { runConfigFromSettings } from '../models/settingsToConfig';
import { askModelAccess } from '../startFlow';
import { readPlansModel, readTaskModel, readTeamModel, runChoicesFor, type PlanGateNode, type PlanNode } from './plansModel';
import { PlansTree, TasksTree, TeamTree } from './planViews';
import { inert } from '../models/inertText';
import { showFailure } from '../commands';

export const PLAN_COMMAND_IDS = ['buildPipeline.createPlan', 'buildPipeline.implementPlan', 'buildPipeline.decidePlanGate', 'buildPipeline.approvePlanGate', 'buildPipeline.rejectPlanGate'] as const;

/** The view id of the shared task list (documented in the README: other extensions and keybindings may refer to it). */
export const TASKS_VIEW_ID = 'buildPipeline.tasks';

export class PlanFeatures extends Disposable {
  private runsRoot: string | undefined;
  private repoRoot: string | undefined;
  private shownRunDir: string | undefined;
  private active: ImplementHandle | undefined;
  private waitingGate: { node: PlanGateNode; answer: (a: PlanGateAnswer) => void } | undefined;
  private readonly plans: PlansTree;
  private readonly team: TeamTree;
  private readonly tasks: TasksTree;

  constructor(
    private readonly log: vscode.LogOutputChannel,
    private readonly keys: ApiKeyStore,
    private readonly repo: (complain: boolean) => Promise<string | undefined>,
    private readonly offlineSetting: () => boolean,
  ) {
    super();
    this.plans = this._register(
      new PlansTree(
        () => (this.repoRoot && this.runsRoot ? readPlansModel(this.repoRoot, this.runsRoot) : []),
        () => this.waitingGate?.node,
      ),
    );
    this.team = this._register(new TeamTree(() => (this.shownRunDir ? readTeamModel(this.shownRunDir) : [])));
    this.tasks = this._register(new TasksTree(() => (this.shownRunDir ? readTaskModel(this.shownRunDir) : [])));
    this._register(vscode.window.createTreeView('buildPipeline.plans', { treeDataProvider: this.plans }));
    this._register(vscode.window.createTreeView('buildPipeline.team', { treeDataProvider: this.team }));
    this._register(vscode.window.createTreeView(TASKS_VIEW_ID, { treeDataProvider: this.tasks }));
    const table: Record<(typeof PLAN_COMMAND_IDS)[number], (arg?: unknown) => Promise<unknown>> = {
      'buildPipeline.createPlan': () => this.createPlan(),
      'buildPipeline.implementPlan': (arg) => this.implementPlan(arg as PlanNode | undefined),
      'buildPipeline.decidePlanGate': () => this.decideGate(),
      'buildPipeline.approvePlanGate': async () => this.answerGate('approve'),
      'buildPipeline.rejectPlanGate': async () => this.answerGate('reject'),
    };
    for (const id of PLAN_COMMAND_IDS) {
      this._register(
        vscode.commands.registerCommand(id, async (arg?: unknown) => {
          try {
            return await table[id](arg);
          } catch (e) {
            showFailure(this.log, id, e);
            return undefined;
          }
        }),
      );
    }
    // Not a command: a failure here (an invalid .build-pipeline.json) would otherwise leave the Plans
    // views empty without a word.
    void this.locate(false)
      .then(() => this.showLatestRun())
      .catch((e: unknown) => showFailure(this.log, 'Loading the plans', e));
  }

  private async locate(complain: boolean): Promise<string | undefined> {
    const root = await this.repo(complain);
    if (root && root !== this.repoRoot) {
      this.repoRoot = root;
      this.runsRoot = await runsRootFor(root, loadConfig(root).runsDir);
    }
    this.plans.refresh();
    return root;
  }

  private showLatestRun(): void {
    const latest = this.repoRoot && this.runsRoot ? readPlansModel(this.repoRoot, this.runsRoot).filter((p) => p.runId).sort((a, b) => (a.runId! < b.runId! ? 1 : -1))[0] : undefined;
    if (latest?.runDir) this.shownRunDir = latest.runDir;
    this.team.refresh();
    this.tasks.refresh();
  }

  private onEvent(line: string | undefined): void {
    if (line) this.log.info(line);
    this.plans.refresh();
    this.team.refresh();
    this.tasks.refresh();
  }

  /**
   * A plan gate: a notification and a row at the top of the Plans tree with Approve/Reject, whichever
   * the user answers first. Closing the notification leaves the row (and the run) waiting; "Later"
   * in the row's Decide pick stops the run at the gate, and Implement Plan resumes there.
   */
  private askGate(req: PlanGateRequest, signal: AbortSignal): Promise<PlanGateAnswer> {
    return new Promise((resolve) => {
      const node: PlanGateNode = { kind: 'plan-gate', gate: req.gate, title: req.title, summary: req.summary };
      const answer = (a: PlanGateAnswer) => {
        if (this.waitingGate?.node !== node) return; // answered already (the tree row and the notification race)
        this.waitingGate = undefined;
        this.log.info(`plan gate ${req.gate}: ${typeof a === 'string' ? a : 'request changes'} (in VS Code)`);
        void vscode.commands.executeCommand('setContext', 'buildPipeline.planGateWaiting', false);
        this.plans.refresh();
        resolve(a);
      };
      this.waitingGate = { node, answer };
      void vscode.commands.executeCommand('setContext', 'buildPipeline.planGateWaiting', true);
      this.plans.refresh();
      signal.addEventListener('abort', () => answer('later'), { once: true });
      // The ship gate also takes Request changes (a builder makes them on the integration branch, then the gate asks again).
      const actions = req.gate === 'ship' ? ['Approve', 'Request Changes', 'Reject'] : ['Approve', 'Reject'];
      void vscode.window.showWarningMessage(`Build Pipeline: ${inert(req.title)}`, { detail: req.summary, modal: false }, ...actions).then(async (choice) => {
        if (choice === 'Request Changes') {
          const feedback = await askShipFeedback();
          if (feedback) answer({ decision: 'changes', feedback });
          return;
        }
        if (choice) answer(choice === 'Approve' ? 'approve' : 'reject');
      });
    });
  }

  private answerGate(a: PlanGateAnswer): void {
    if (!this.waitingGate) {
      void vscode.window.showInformationMessage('Build Pipeline: no plan gate is waiting.');
      return;
    }
    this.waitingGate.answer(a);
  }

  private async decideGate(): Promise<void> {
    const waiting = this.waitingGate;
    if (!waiting) return this.answerGate('later');
    const ship = waiting.node.gate === 'ship';
    const items: Array<{ label: string; detail: string; answer: 'approve' | 'reject' | 'later' | 'changes' }> = ship
      ? [
          { label: 'Approve', detail: 'Merge the integration branch into the branch the run started from (only if its checkout is clean)', answer: 'approve' },
          { label: 'Request Changes', detail: 'Say what to change; a builder makes it on the integration branch, then this gate asks again', answer: 'changes' },
          { label: 'Reject', detail: 'End the run; the integration branch stays for you', answer: 'reject' },
          { label: 'Later', detail: 'Stop at this gate; Implement Plan resumes here', answer: 'later' },
        ]
      : [
          { label: 'Approve', detail: 'Implement the plan anyway', answer: 'approve' },
          { label: 'Reject', detail: 'End the run; nothing is implemented', answer: 'reject' },
          { label: 'Later', detail: 'Stop at this gate; Implement Plan resumes here', answer: 'later' },
        ];
    // The title and summary hold the plan's (model-written) words: inert, so no $(icon) syntax hides text.
    const pick = await vscode.window.showQuickPick(items, { title: inert(waiting.node.title), placeHolder: inert(waiting.node.summary.split('\n')[0] ?? '') });
    if (!pick) return;
    if (pick.answer !== 'changes') return waiting.answer(pick.answer);
    const feedback = await askShipFeedback();
    if (feedback) waiting.answer({ decision: 'changes', feedback });
  }

  private async createPlan(): Promise<void> {
    const root = await this.locate(true);
    if (!root) return;
    const description = await vscode.window.showInputBox({ title: 'Build Pipeline: Create Plan', prompt: 'Describe the change to plan (a planning agent reads the repository and writes the phases)', ignoreFocusOut: true });
    if (!description?.trim()) return;
    const access = await askModelAccess(this.keys, this.offlineSetting());
    if (!access) return;
    const engine = planEngine();
    const result = await vscode.window.withProgress({ location: vscode.ProgressLocation.Notification, title: 'Build Pipeline: planning…', cancellable: true }, async (_p, token) => {
      const session = await engine.openModelSession({ config: loadConfig(root), repoRoot: root, offline: access.offline, apiKey: access.apiKey, offlineModel: () => engine.startScriptedModel({}) });
      const sub = session.onEvent((e) => this.onEvent(teamEventLine(e)));
      token.onCancellationRequested(() => session.cancel('cancelled by the user'));
      try {
        return await engine.createPlan(session, root, description.trim());
      } finally {
        sub.dispose();
        await session.close();
      }
    });
    this.plans.refresh();
    if (result.problems.length > 0) {
      this.log.warn(`plan ${result.dir}: ${result.problems.map((p) => `${p.file}: ${p.message}`).join('; ')}`);
      void vscode.window.showWarningMessage(`Build Pipeline: the plan in ${inert(result.dir)} still has ${result.problems.length} problem(s); see the log.`, 'Show Log').then((c) => c && this.log.show());
    }
    await vscode.window.showTextDocument(vscode.Uri.file(`${result.dir}/plan.md`), { preview: false });
  }

  private async implementPlan(node?: PlanNode): Promise<void> {
    const root = await this.locate(true);
    if (!root || !this.runsRoot) return;
    if (this.active) {
      void vscode.window.showWarningMessage('Build Pipeline: a plan is being implemented already.');
      return;
    }
    let dir = node?.kind === 'plan' ? node.dir : undefined;
    if (!dir) {
      const plans = readPlansModel(root, this.runsRoot);
      if (plans.length === 0) {
        void vscode.window.showInformationMessage('Build Pipeline: no plan in .orchestration/plans/ yet. Create one first.', 'Create Plan').then((c) => c && vscode.commands.executeCommand('buildPipeline.createPlan'));
        return;
      }
      const pick = await vscode.window.showQuickPick(plans.map((p) => ({ label: inert(p.title), description: `${p.phases.length} phase(s)${p.runStatus ? ` · ${p.runStatus}` : ''}`, dir: p.dir })), { title: 'Build Pipeline: Implement Plan' });
      dir = pick?.dir;
    }
    if (!dir) return;
    const choices = runChoicesFor(readPlansModel(root, this.runsRoot).find((p) => p.dir === dir) ?? {});
    const choice = choices ? await vscode.window.showQuickPick(choices.map((c) => ({ ...c, label: inert(c.label), description: inert(c.description) })), { title: 'Build Pipeline: the last run of this plan halted' }) : undefined;
    if (choices && !choice) return;
    const access = await askModelAccess(this.keys, this.offlineSetting());
    if (!access) return;
    const engine = planEngine();
    // The settings apply as they do to Start (runLauncher): set ones over the file, the sandbox switch always, MCP servers only if allowed.
    const settings = vscode.workspace.getConfiguration('buildPipeline', vscode.Uri.file(root));
    const handle = await engine.startImplement({
      repoRoot: root,
      planDir: dir,
      offline: access.offline,
      apiKey: access.apiKey,
      fresh: choice?.fresh,
      config: runConfigFromSettings(settings, root, (m) => this.log.warn(m)),
      offlineModel: () => engine.startScriptedModel({}),
      gate: (req, signal) => this.askGate(req, signal),
    });
    this.active = handle;
    this.shownRunDir = handle.runDir;
    this.log.info(`${handle.resumed ? 'Resuming' : 'Implementing'} ${dir}: run ${handle.runId}${handle.setAside ? ` (run ${handle.setAside} of this plan is left as it was)` : ''}`);
    const sub = handle.onEvent((e) => this.onEvent(teamEventLine(e)));
    try {
      const result = await vscode.window.withProgress({ location: vscode.ProgressLocation.Notification, title: 'Build Pipeline: implementing the plan…', cancellable: true }, async (_p, token) => {
        token.onCancellationRequested(() => handle.cancel('cancelled by the user'));
        return handle.done;
      });
      const r = result.report;
      const summary = `${r.status}${r.reason ? `: ${r.reason}` : ''}. First-attempt review pass rate ${r.firstAttemptReviewPassRate === null ? 'n/a' : `${Math.round(r.firstAttemptReviewPassRate * 100)}%`}, carried test failures ${r.carriedTestFailures}, messages ${r.messages.sent}/${r.messages.delivered}, teammates ${r.teammates.spawned} (${r.teammates.dead} dead).`;
      this.log.info(`implement ${summary}`);
      const show = r.status === 'succeeded' ? vscode.window.showInformationMessage : vscode.window.showWarningMessage;
      void show(`Build Pipeline: plan ${summary}`);
    } finally {
      sub.dispose();
      this.active = undefined;
      this.onEvent(undefined);
    }
  }
}

/** What to change before shipping, in the user's words (empty or cancelled: nothing is sent). */
async function askShipFeedback(): Promise<string | undefined> {
  const text = await vscode.window.showInputBox({
    title: 'Build Pipeline: Request Changes',
    prompt: 'What should change before this ships? A builder makes it on the integration branch; then the ship gate asks again.',
    ignoreFocusOut: true,
  });
  return text?.trim() || undefined;
}
