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
        const message = e instanceof Error ? e.message : String(e);
        log.error(`${id} failed: ${message}`);
        void vscode.window.showErrorMessage(`Build Pipeline: ${inert(message)}`, 'Show Log').then((c) => c && log.show());
        return undefined;
      }
    }),
  );
}
