/**
 * The Claude API key lives in VS Code's SecretStorage only: never in settings, never in the log,
 * and it reaches the engine as an option (the engine keeps it out of agents' shell environments).
 */
import * as vscode from 'vscode';

const SECRET_KEY = 'buildPipeline.anthropicApiKey';

export class ApiKeyStore {
  constructor(private readonly secrets: vscode.SecretStorage) {}

  get(): Thenable<string | undefined> {
    return this.secrets.get(SECRET_KEY);
  }

  /** Asks for the key (masked); an empty answer removes the stored one. Returns whether a key is now stored. */
  async prompt(): Promise<boolean> {
    const value = await vscode.window.showInputBox({
      title: 'Build Pipeline: Claude API key',
      prompt: 'Stored in VS Code secret storage, never in settings or logs. Leave empty to remove the stored key.',
      password: true,
      ignoreFocusOut: true,
      placeHolder: 'sk-ant-…',
    });
    if (value === undefined) return !!(await this.get());
    if (value.trim() === '') {
      await this.secrets.delete(SECRET_KEY);
      void vscode.window.showInformationMessage('Build Pipeline: API key removed.');
      return false;
    }
    await this.secrets.store(SECRET_KEY, value.trim());
    void vscode.window.showInformationMessage('Build Pipeline: API key stored in secret storage.');
    return true;
  }
}
