import * as assert from 'node:assert/strict';
import * as path from 'node:path';
import { ESLint } from 'eslint';
import { projectRoot } from '../integration/harness';

describe('lint: src/core stays free of the vscode API and of the scripted model', function () {
  this.timeout(60_000);
  const root = projectRoot();
  const eslint = new ESLint({ cwd: root });
  const lint = async (file: string, code: string) => (await eslint.lintText(code, { filePath: path.join(root, file) }))[0]!.messages;

  it('rejects a runtime vscode import under src/core', async () => {
    const messages = await lint('src/core/example.ts', "import * as vscode from 'vscode';\nexport const x = vscode.window;\n");
    assert.ok(messages.some((m) => /src\/core must not import vscode/.test(m.message)), JSON.stringify(messages));
  });

  it('rejects any import of src/scripted under src/core, type-only or not, and allows it in the front ends', async () => {
    const runtime = await lint('src/core/example.ts', "import { startScriptedModel } from '../scripted';\nexport const s = startScriptedModel;\n");
    assert.ok(runtime.some((m) => /src\/core must not import src\/scripted/.test(m.message)), JSON.stringify(runtime));
    const deep = await lint('src/core/stages/example.ts', "import type { ScriptedModelOptions } from '../../scripted/types';\nexport type O = ScriptedModelOptions;\n");
    assert.ok(deep.some((m) => /src\/core must not import src\/scripted/.test(m.message)), JSON.stringify(deep));
    assert.deepEqual(await lint('src/cli/example.ts', "import { startScriptedModel } from '../scripted';\nexport const s = startScriptedModel;\n"), []);
  });

  it('allows a type-only vscode import under src/core and any import in the extension', async () => {
    assert.deepEqual(await lint('src/core/example.ts', "import type * as vscode from 'vscode';\nexport type X = vscode.Uri;\n"), []);
    assert.deepEqual(await lint('src/extension/example.ts', "import * as vscode from 'vscode';\nexport const x = vscode.window;\n"), []);
  });
});
