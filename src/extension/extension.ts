/**
 * Entry point of the VS Code extension. Activation stays cheap: it wires views and commands and,
 * in the background, looks for a run to show or resume. The engine does the work; this layer only
 * adapts it to VS Code (ENGINEERING.md, "Shape of the code").
 */
import type * as vscode from 'vscode';
import { BuildPipeline } from './buildPipeline';
import { loadEngine } from './engineBinding';
import { disconnectEngines } from './engineProcess/client';

let app: BuildPipeline | undefined;

export function activate(context: vscode.ExtensionContext): void {
  const activateStart = performance.now();
  app = new BuildPipeline(context, loadEngine());
  context.subscriptions.push(app);
  // Measured for the README: evaluating the bundle (first to last line) and activate() itself.
  const marks = globalThis as { __buildPipelineLoadStart?: number; __buildPipelineLoadEnd?: number };
  const evaluated = marks.__buildPipelineLoadStart !== undefined && marks.__buildPipelineLoadEnd !== undefined;
  app.logActivationTiming(evaluated ? marks.__buildPipelineLoadEnd! - marks.__buildPipelineLoadStart! : undefined, performance.now() - activateStart);
  void app.restore().catch((e: unknown) => console.error('[build-pipeline] restore failed', e));
}

export function deactivate(): void {
  app?.dispose();
  app = undefined;
  // After the gates were answered "later" (dispose): engine processes stop, their runs resumable.
  disconnectEngines();
}
