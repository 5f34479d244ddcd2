/**
 * Runs test/electron/suite inside a real VS Code desktop (Electron) with the extension loaded from
 * this folder. NEEDS A NETWORK: @vscode/test-electron downloads VS Code on first use (cached in
 * .vscode-test/). Where there is none (CI here), the e2e suite in test/e2e drives code-server instead.
 * Usage: npm run test:electron   (VSCODE_TEST_VERSION picks the VS Code version; default 'stable')
 */
import * as path from 'node:path';
import { runTests } from '@vscode/test-electron';

async function main(): Promise<void> {
  const root = path.resolve(__dirname, '../../..');
  try {
    await runTests({
      version: process.env.VSCODE_TEST_VERSION ?? 'stable',
      extensionDevelopmentPath: root,
      extensionTestsPath: path.resolve(__dirname, 'suite', 'index'),
      launchArgs: ['--disable-extensions', '--disable-workspace-trust', path.join(root, 'test', 'electron', 'fixture')],
    });
  } catch (e) {
    console.error('test:electron failed (it needs a network to download VS Code):', e);
    process.exit(1);
  }
}

void main();
