/**
 * The questions before a run starts: the description, the mode (build or audit, asked when the words
 * do not say), and how to reach a model (the stored API key, or the offline demo).
 */
import * as vscode from 'vscode';
import { detectMode } from '../core/mode';
import type { ApiKeyStore } from './apiKey';

export async function askDescription(): Promise<string | undefined> {
  const description = await vscode.window.showInputBox({
    title: 'Build Pipeline: Start',
    prompt: 'Describe what to build. The architect turns this into contracts you approve before anything is built.',
    placeHolder: 'e.g. Build a CLI that converts CSV files to JSON with schema validation',
    ignoreFocusOut: true,
    validateInput: (v) => (v.trim().length < 8 ? 'Describe the project in a sentence or more.' : undefined),
  });
  return description?.trim() || undefined;
}

/** 'build', 'audit', or undefined when the user dismissed the question. */
export async function askMode(description: string): Promise<'build' | 'audit' | undefined> {
  const detected = detectMode(description);
  if (detected !== 'ask') return detected;
  const pick = await vscode.window.showQuickPick(
    [
      { label: '$(tools) Build', mode: 'build' as const, detail: 'Architect, scaffold, parallel builders, QC, assembly.' },
      { label: '$(search) Audit', mode: 'audit' as const, detail: 'Read-only audit of the existing code: domains × workers, findings by severity.' },
    ],
    { title: 'Build Pipeline: build something, or audit what is there?', placeHolder: description, ignoreFocusOut: true },
  );
  return pick?.mode;
}

export interface ModelAccess {
  offline: boolean;
  apiKey?: string;
}

export async function askAuditRequest(): Promise<string | undefined> {
  const request = await vscode.window.showInputBox({
    title: 'Build Pipeline: Audit',
    prompt: 'What should be audited? Workers read the repository (read-only) and report findings by domain and severity.',
    placeHolder: 'e.g. Audit the API layer for injection, missing error handling and slow queries',
    ignoreFocusOut: true,
    validateInput: (v) => (v.trim().length < 4 ? 'Say what to audit in a few words.' : undefined),
  });
  return request?.trim() || undefined;
}

/** The stored key; without one (or with the offline setting on) the scripted model, after asking. */
export async function askModelAccess(keys: ApiKeyStore, offlineSetting: boolean): Promise<ModelAccess | undefined> {
  if (offlineSetting) return { offline: true };
  const apiKey = await keys.get();
  if (apiKey) return { offline: false, apiKey };
  const DEMO = 'Run Offline Demo';
  const choice = await vscode.window.showWarningMessage(
    'No Claude API key is stored. Set one, or run the offline demo (a built-in scripted model builds a small sample project).',
    DEMO,
    SET_KEY,
  );
  if (choice === DEMO) return { offline: true };
  return choice === SET_KEY ? keyFromPrompt(keys) : undefined;
}

/**
 * For a run made with the API: the stored key, or one the user sets now; never the offline demo
 * (whatever the offline setting says), whose scripted model would write demo code into the run.
 */
export async function askApiAccess(keys: ApiKeyStore): Promise<ModelAccess | undefined> {
  const apiKey = await keys.get();
  if (apiKey) return { offline: false, apiKey };
  const choice = await vscode.window.showWarningMessage('This run was made with the Claude API, and no API key is stored. Set one to resume it.', SET_KEY);
  return choice === SET_KEY ? keyFromPrompt(keys) : undefined;
}

const SET_KEY = 'Set API Key';

async function keyFromPrompt(keys: ApiKeyStore): Promise<ModelAccess | undefined> {
  if (!(await keys.prompt())) return undefined;
  const stored = await keys.get();
  return stored ? { offline: false, apiKey: stored } : undefined;
}
