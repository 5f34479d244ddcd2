/**
 * Every command in one table: the id (as contributed in package.json) and the handler. Handlers
 * receive the tree node when invoked from a view's menu, nothing when invoked from the palette.
 */
import * as vscode from 'vscode';
import type { IDisposable } from './lifecycle';
import { inert } from './models/inertText';

export const COMMAND_IDS = [
  'buildPipeline.start',
  'buildPipeline.resume',
  'buildPipeline.cancel',
  'buildPipeline.audit',
  'buildPipeline.approveGate',
  'buildPipeline.openQcReport',
  'buildPipeline.openAdr',
  'buildPipeline.openLockHistory',
  'buildPipeline.reviewModuleDiff',
  'buildPipeline.setApiKey',
  /** Internal (not contributed): the status bar item's click. */
  'buildPipeline.showLog',
] as const;

export type CommandId = (typeof COMMAND_IDS)[number];

export type CommandTable = Record<CommandId, (arg?: unknown) => unknown>;

export function registerCommands(table: CommandTable, log: vscode.LogOutputChannel): IDisposable[] {
  return COMMAND_IDS.map((id) =>
    vscode.commands.registerCommand(id, async (arg?: unknown) => {
      try {
        return await table[id](arg);
      } catch (e) {
        showFailure(log, id, e);
        return undefined;
      }
    }),
  );
}

/** A failure the user must see: logged with what failed, and shown with a way to the log. */
export function showFailure(log: vscode.LogOutputChannel, what: string, e: unknown): void {
  const message = e instanceof Error ? e.message : String(e);
  log.error(`${what} failed: ${message}`);
  void vscode.window.showErrorMessage(`Build Pipeline: ${inert(message)}`, 'Show Log').then((c) => c && log.show());
}
