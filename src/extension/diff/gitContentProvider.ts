/**
 * A read-only document scheme serving `git show <ref>:<path>`, for the diff editors of module review.
 * Own scheme rather than the built-in git extension's: it works whether or not that extension is
 * enabled, and documents of a custom scheme are read-only by nature.
 */
import * as vscode from 'vscode';
import { showFile } from '../git/gitCli';

export const GIT_SCHEME = 'build-pipeline-git';

export function gitUri(repo: string, ref: string, file: string): vscode.Uri {
  const query = new URLSearchParams({ repo, ref }).toString();
  return vscode.Uri.from({ scheme: GIT_SCHEME, path: `/${file}`, query });
}

export class GitContentProvider implements vscode.TextDocumentContentProvider {
  provideTextDocumentContent(uri: vscode.Uri): Promise<string> {
    const q = new URLSearchParams(uri.query);
    const repo = q.get('repo');
    const ref = q.get('ref');
    if (!repo || !ref) return Promise.resolve('');
    return showFile(repo, ref, uri.path.replace(/^\//, ''));
  }
}
