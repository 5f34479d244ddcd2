/**
 * Answers the engine's gates in VS Code (SPEC M3, U4): a non-modal notification with Approve /
 * Request Changes / Reject / Open Architecture, and the same choices from the waiting tree item or
 * the Approve Gate command. Whichever answers first wins; the others find no pending gate.
 */
import * as vscode from 'vscode';
import type { GateAnswer, GateHandler, GateRequest } from '../core/api';
import { Emitter } from '../core/events';
import { Disposable } from './lifecycle';
import { gateCommandsText } from './models/gateCommands';
import { inert } from './models/inertText';

interface PendingGate {
  request: GateRequest;
  resolve(answer: GateAnswer): void;
}

const APPROVE = 'Approve';
const CHANGES = 'Request Changes';
const REJECT = 'Reject';
const OPEN = 'Open Architecture';
const OPEN_CONFLICT = 'Open Conflict Report';
/** Ship gate only: the multi-file diff of the integration branch against the base. */
const REVIEW = 'Review Changes';

/** The file button names what it opens: the architecture at the blueprint gate, the builder's report at a conflict gate, the summary at the ship gate. */
function openLabel(request: GateRequest): string {
  if (request.gate === 'conflict') return OPEN_CONFLICT;
  if (request.gate === 'ship') return 'Open Ship Summary';
  return OPEN;
}

export class GatePrompter extends Disposable {
  private pending: PendingGate | undefined;
  private readonly changed = this._register(new Emitter<GateRequest | undefined>());
  /** Fires with the waiting request, or undefined once it is answered. */
  readonly onDidChange = this.changed.event;

  constructor(private readonly reviewChanges: (request: GateRequest) => Promise<void> = async () => undefined) {
    super();
  }

  readonly handler: GateHandler = (request, signal) =>
    new Promise<GateAnswer>((resolve) => {
      this.pending?.resolve({ decision: 'later' });
      const entry: PendingGate = {
        request,
        resolve: (answer) => {
          if (this.pending !== entry) return;
          this.pending = undefined;
          signal.removeEventListener('abort', onAbort);
          this.changed.fire(undefined);
          resolve(answer);
        },
      };
      const onAbort = () => entry.resolve({ decision: 'later' });
      signal.addEventListener('abort', onAbort, { once: true });
      this.pending = entry;
      this.changed.fire(request);
      void this.notify(entry);
    });

  get waiting(): GateRequest | undefined {
    return this.pending?.request;
  }

  /** Nobody can answer any more (window closing): the engine records the run as awaiting approval. */
  answerLater(): void {
    this.pending?.resolve({ decision: 'later' });
  }

  /** The Approve Gate command and the tree item: the same choices, as a quick pick. */
  async decideFromCommand(): Promise<void> {
    const entry = this.pending;
    if (!entry) {
      void vscode.window.showInformationMessage('Build Pipeline: no gate is waiting for a decision.');
      return;
    }
    const pick = await vscode.window.showQuickPick(
      [
        { label: `$(check) ${APPROVE}`, choice: APPROVE, detail: `Continue the pipeline.${gateCommandsText(entry.request)}` },
        { label: `$(comment) ${CHANGES}…`, choice: CHANGES, detail: 'Rerun the stage with your feedback.' },
        { label: `$(close) ${REJECT}…`, choice: REJECT, detail: 'Stop the run here.' },
        ...(entry.request.gate === 'ship' ? [{ label: `$(diff-multiple) ${REVIEW}`, choice: REVIEW, detail: 'Every file the run changed, against the base branch.' }] : []),
        ...(entry.request.openPath ? [{ label: `$(go-to-file) ${openLabel(entry.request)}`, choice: OPEN, detail: inert(entry.request.openPath) }] : []),
      ],
      // The title and summary hold model text (module names, reasons): no `$(icon)` drawn from them.
      { title: inert(entry.request.title), placeHolder: inert(entry.request.summary.split('\n')[0] ?? ''), ignoreFocusOut: true },
    );
    if (pick) await this.act(entry, pick.choice);
  }

  private async notify(entry: PendingGate): Promise<void> {
    const actions =
      entry.request.gate === 'ship' ? [APPROVE, CHANGES, REJECT, REVIEW] : entry.request.openPath ? [APPROVE, CHANGES, REJECT, openLabel(entry.request)] : [APPROVE, CHANGES, REJECT];
    // A non-modal notification shows no `detail`, so the commands being approved go into the message itself.
    const message = `${inert(entry.request.title)}.${gateCommandsText(entry.request)}`;
    const choice = await vscode.window.showInformationMessage(message, { modal: false, detail: entry.request.summary }, ...actions);
    if (this.pending !== entry) return; // answered elsewhere meanwhile
    if (choice) await this.act(entry, choice === OPEN_CONFLICT ? OPEN : choice);
  }

  private async act(entry: PendingGate, choice: string): Promise<void> {
    switch (choice) {
      case APPROVE:
        return entry.resolve({ decision: 'approve' });
      case CHANGES: {
        const feedback = await vscode.window.showInputBox({
          title: `${entry.request.title}: request changes`,
          prompt: 'What should change? The stage reruns with this feedback.',
          ignoreFocusOut: true,
          validateInput: (v) => (v.trim() ? undefined : 'Describe the change you want.'),
        });
        if (feedback?.trim()) return entry.resolve({ decision: 'changes', feedback: feedback.trim() });
        return this.renotify(entry);
      }
      case REJECT: {
        const reason = await vscode.window.showInputBox({
          title: `${entry.request.title}: reject`,
          prompt: 'Why reject? (optional; Escape to go back)',
          ignoreFocusOut: true,
        });
        if (reason === undefined) return this.renotify(entry);
        return entry.resolve(reason.trim() ? { decision: 'reject', reason: reason.trim() } : { decision: 'reject' });
      }
      case REVIEW:
        await this.reviewChanges(entry.request).catch((e: unknown) => void vscode.window.showErrorMessage(`Build Pipeline: ${inert(e instanceof Error ? e.message : String(e))}`));
        return this.renotify(entry);
      case OPEN:
        // A file that cannot be shown (gone, binary) must not take the gate's notification with it.
        if (entry.request.openPath) {
          await vscode.window
            .showTextDocument(vscode.Uri.file(entry.request.openPath), { preview: true })
            .then(undefined, (e: unknown) => void vscode.window.showWarningMessage(`Build Pipeline: could not open ${inert(entry.request.openPath ?? '')}: ${inert(e instanceof Error ? e.message : String(e))}`));
        }
        return this.renotify(entry);
    }
  }

  /**
   * A notification closes when any of its buttons is pressed; bring it back until the gate is
   * answered. (From the quick pick, while the first one is still on screen, VS Code shows the same
   * notification once: it does not add an identical one.)
   */
  private renotify(entry: PendingGate): void {
    if (this.pending === entry) void this.notify(entry);
  }

  override dispose(): void {
    this.answerLater();
    super.dispose();
  }
}
