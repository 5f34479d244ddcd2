/**
 * Starts or resumes a run through the engine and follows it in the background: a cancellable
 * progress notification with the stage and live cost, and a closing message with the outcome.
 */
import * as vscode from 'vscode';
import type { RunHandle, RunOptionsBase, RunResult } from '../core/api';
import type { EngineApi } from './engineBinding';
import type { GatePrompter } from './gates';
import type { RunController } from './runController';
import { costLabel, costSentence, titleCase } from './models/format';
import { runConfigFromSettings } from './models/settingsToConfig';
import type { ModelAccess } from './startFlow';
import { inert } from './models/inertText';

export class RunLauncher {
  constructor(
    private readonly engine: EngineApi,
    private readonly controller: RunController,
    private readonly gates: GatePrompter,
    private readonly log: vscode.LogOutputChannel,
    /** Opens a finished audit's report in its panel. */
    private readonly openAuditReport: (runDir: string, repoRoot: string) => void,
  ) {}

  async start(repoRoot: string, description: string, access: ModelAccess): Promise<void> {
    const handle = await this.preflighted(this.engine.startRun({ ...this.runOptions(repoRoot, access), description, offline: access.offline }));
    if (handle) this.follow(handle, access.offline);
  }

  /**
   * The start's checks without starting (the preflight among them), for Start to run before it
   * reloads the window: false when they failed and the error was shown, as `start` would show it.
   */
  async check(repoRoot: string, description: string, access: ModelAccess): Promise<boolean> {
    const passed = await this.preflighted(this.engine.checkStart({ ...this.runOptions(repoRoot, access), description, offline: access.offline }).then(() => true as const));
    return passed === true;
  }

  /** A read-only audit of the repository (M15); its report opens in a panel when it is done. */
  async audit(repoRoot: string, request: string, access: ModelAccess): Promise<void> {
    const handle = await this.preflighted(this.engine.startAudit({ ...this.runOptions(repoRoot, access), description: request, offline: access.offline }));
    if (handle) this.follow(handle, access.offline);
  }

  async resume(repoRoot: string, runId: string, access: ModelAccess): Promise<void> {
    const handle = await this.preflighted(this.engine.resumeRun({ ...this.runOptions(repoRoot, access), runId, offline: access.offline }));
    if (handle) this.follow(handle, access.offline);
  }

  /**
   * A refused key or an unavailable model (the engine's preflight, before anything is created) is
   * shown as an error naming the setting to change, with a button that opens it. Matched by name so
   * this light bundle does not load the engine's error classes (and the SDK with them).
   */
  private async preflighted<T>(started: Promise<T>): Promise<T | undefined> {
    try {
      return await started;
    } catch (e) {
      const err = e as Error & { reason?: string; setting?: { vscode?: string } };
      if (err?.name !== 'PreflightError' || (err.reason !== 'apiKey' && err.reason !== 'model')) throw e;
      this.log.error(err.message);
      const action = err.reason === 'apiKey' ? 'Set API Key' : 'Open Settings';
      const choice = await vscode.window.showErrorMessage(`Build Pipeline: ${inert(err.message)}`, action);
      if (choice === 'Set API Key') await vscode.commands.executeCommand('buildPipeline.setApiKey');
      if (choice === 'Open Settings') await vscode.commands.executeCommand('workbench.action.openSettings', err.setting?.vscode?.split(',')[0]?.trim() ?? 'buildPipeline');
      return undefined;
    }
  }

  /** What starting and resuming share: the settings as engine config, the key, the gate handler. */
  private runOptions(repoRoot: string, access: ModelAccess): RunOptionsBase {
    // Scoped to the repository's folder, so folder settings count as set too.
    const settings = vscode.workspace.getConfiguration('buildPipeline', vscode.Uri.file(repoRoot));
    const config = runConfigFromSettings(settings, repoRoot, (m) => this.log.warn(m));
    return {
      repoRoot,
      apiKey: access.apiKey,
      config,
      gate: this.gates.handler,
      approver: 'vscode',
    };
  }

  cancel(): void {
    const handle = this.controller.active;
    if (!handle) {
      void vscode.window.showInformationMessage('Build Pipeline: no run is active in this window.');
      return;
    }
    this.log.warn(`Cancelling run ${handle.runId} (requested in VS Code)`);
    handle.cancel('cancelled from VS Code');
  }

  private follow(handle: RunHandle, offline: boolean): void {
    const done = this.controller.attach(handle);
    const demo = offline ? ' (demo, scripted model)' : '';
    void vscode.window.withProgress(
      { location: vscode.ProgressLocation.Notification, title: `Build Pipeline${demo}`, cancellable: true },
      (progress, token) => {
        token.onCancellationRequested(() => handle.cancel('cancelled from VS Code'));
        let last = '';
        const report = () => {
          // Every running stage: build and assembly run at once when assembly streams into the build.
          const running = this.controller.running.label;
          const waiting = handle.state().stages.find((s) => s.status === 'waiting');
          const gate = this.gates.waiting ? `waiting at the ${this.gates.waiting.gate} gate` : '';
          const message = `${gate || running || (waiting ? titleCase(waiting.id) : 'working')} · ${costLabel(this.controller.costUsd, offline)}`;
          if (message !== last) progress.report({ message: (last = message) });
        };
        const sub = this.controller.onDidChange(report);
        report();
        return done.then(
          () => sub.dispose(),
          () => sub.dispose(),
        );
      },
    );
    done.then(
      (result) => this.announce(result, offline),
      (err: unknown) => {
        const message = err instanceof Error ? err.message : String(err);
        this.log.error(`Run ${handle.runId} failed: ${message}`);
        void vscode.window.showErrorMessage(`Build Pipeline run failed: ${inert(message)}`, 'Show Log').then((c) => c && this.log.show());
      },
    );
  }

  private announce(result: RunResult, offline: boolean): void {
    const s = result.summary;
    const merged = s.modules.filter((m) => m.status === 'merged').length;
    const cost = costSentence(this.controller.costUsd, offline);
    if (result.status === 'succeeded' && result.state.mode === 'audit') {
      const { runDir, repoRoot } = result.state;
      void vscode.window.showInformationMessage(`Build Pipeline audit finished (${cost}).`, 'Open Report').then((c) => c && this.openAuditReport(runDir, repoRoot));
      this.openAuditReport(runDir, repoRoot);
      return;
    }
    switch (result.status) {
      case 'succeeded':
        void vscode.window.showInformationMessage(`Build Pipeline finished: ${merged}/${s.modules.length} modules merged, ${s.merges} merges, ${cost}.`);
        return;
      case 'awaiting-approval':
        void vscode.window.showInformationMessage(`Build Pipeline paused at a gate (run ${s.runId}). Use "Build Pipeline: Resume" to continue.`);
        return;
      case 'cancelled':
        void vscode.window.showWarningMessage(`Build Pipeline run cancelled${s.reason ? `: ${inert(s.reason)}` : ''}. It can be resumed.`);
        return;
      default:
        void vscode.window
          .showErrorMessage(`Build Pipeline ${result.status}${s.reason ? `: ${inert(s.reason)}` : ''}`, 'Show Log')
          .then((c) => c && this.log.show());
    }
  }
}
