import * as assert from 'node:assert/strict';
import * as path from 'node:path';
import { ESLint } from 'eslint';
import { projectRoot } from '../integration/harness';

describe('lint: src/core stays free of the vscode API', function () {
  this.timeout(60_000);
  const root = projectRoot();
  const eslint = new ESLint({ cwd: root });
  const lint = async (file: string, code: string) => (await eslint.lintText(code, { filePath: path.join(root, file) }))[0]!.messages;

  it('rejects a runtime vscode import under src/core', async () => {
    const messages = await lint('src/core/example.ts', "import * as vscode from 'vscode';\nexport const x = vscode.window;\n");
    assert.ok(messages.some((m) => /src\/core must not import vscode/.test(m.message)), JSON.stringify(messages));
  });

  it('allows a type-only vscode import under src/core and any import in the extension', async () => {
    assert.deepEqual(await lint('src/core/example.ts', "import type * as vscode from 'vscode';\nexport type X = vscode.Uri;\n"), []);
    assert.deepEqual(await lint('src/extension/example.ts', "import * as vscode from 'vscode';\nexport const x = vscode.window;\n"), []);
  });
});
