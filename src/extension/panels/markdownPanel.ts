/**
 * Webview panels for QC reports, audit reports and ADRs (SPEC U3). Model-written markdown is untrusted: it is
 * rendered with raw HTML disabled and sanitized (models/markdownRender.ts), and the page has a strict
 * CSP with a fresh nonce, scripts off except media/panel.js, and `localResourceRoots` = media/ only.
 * File links ask the host (typed messages, after a ready handshake) to open a file in the editor;
 * the host opens it only if it lies inside one of the roots the panel was given.
 */
import * as fs from 'node:fs';
import * as vscode from 'vscode';
import { renderMarkdown } from '../models/markdownRender';
import { renderBadges, type Badge } from '../models/reportBadges';
import { parseWebviewMessage, type HostToWebview } from '../models/webviewProtocol';
import { renderPage } from '../models/webviewPage';
import { resolveInside } from '../models/linkTarget';
import { Disposable } from '../lifecycle';
import { inert } from '../models/inertText';

export interface MarkdownPanelInput {
  kind: 'qc' | 'adr' | 'audit';
  title: string;
  file: string;
  badges(markdown: string): Badge[];
  /** Folders relative file links resolve against, in order; links outside them are refused. */
  linkRoots: string[];
}

const VIEW_TYPE = { qc: 'buildPipeline.qcReport', adr: 'buildPipeline.adr', audit: 'buildPipeline.auditReport' } as const;

export class MarkdownPanels extends Disposable {
  private readonly open = new Map<string, MarkdownPanel>();

  constructor(private readonly extensionUri: vscode.Uri) {
    super();
  }

  show(input: MarkdownPanelInput): void {
    const existing = this.open.get(input.file);
    if (existing) {
      existing.update(input);
      existing.reveal();
      return;
    }
    const panel = new MarkdownPanel(this.extensionUri, input, () => this.open.delete(input.file));
    this.open.set(input.file, panel);
  }

  /** Re-reads a panel's file if one is open for it (a QC report rewritten after a fix cycle). */
  refresh(file: string): void {
    this.open.get(file)?.reload();
  }

  override dispose(): void {
    for (const p of [...this.open.values()]) p.dispose();
    super.dispose();
  }
}

class MarkdownPanel extends Disposable {
  private readonly panel: vscode.WebviewPanel;
  private ready = false;
  private input: MarkdownPanelInput;
  /** What the page shows now (badges and body): a refresh that renders the same leaves the page alone. */
  private shown = '';
  /** The file's size and modification time when last rendered: an unchanged file is not read again. */
  private stamp = '';

  constructor(
    private readonly extensionUri: vscode.Uri,
    input: MarkdownPanelInput,
    onClosed: () => void,
  ) {
    super();
    this.input = input;
    const media = vscode.Uri.joinPath(extensionUri, 'media');
    // Registered first, so it is disposed last (after its listeners): disposing the panel object closes its tab.
    this.panel = this._register(vscode.window.createWebviewPanel(VIEW_TYPE[input.kind], input.title, vscode.ViewColumn.Active, {
      enableScripts: true,
      enableCommandUris: false,
      enableForms: false,
      localResourceRoots: [media],
      retainContextWhenHidden: false,
    }));
    this.panel.iconPath = vscode.Uri.joinPath(media, 'build-pipeline.svg');
    this._register(this.panel.onDidDispose(() => {
      onClosed();
      this.dispose();
    }));
    this._register(this.panel.webview.onDidReceiveMessage((m: unknown) => this.onMessage(m)));
    // Hidden, the page is dropped (retainContextWhenHidden is off) and rebuilt from `html` when shown
    // again: content posted since then is not in it, so `html` is brought up to date on hiding.
    this._register(
      this.panel.onDidChangeViewState(() => {
        if (this.panel.visible) return;
        this.ready = false;
        this.panel.webview.html = this.page();
      }),
    );
    this.panel.webview.html = this.page();
  }

  reveal(): void {
    this.panel.reveal();
  }

  update(input: MarkdownPanelInput): void {
    this.input = input;
    this.stamp = ''; // the badges may differ (a new verdict) even if the file did not
    this.reload();
  }

  /**
   * Called on every change of the modules (each agent turn): the page is replaced only when what it
   * would show changed, so a reader's selection and scroll position survive the turns between.
   */
  reload(): void {
    const stamp = fileStamp(this.input.file);
    if (stamp && stamp === this.stamp) return;
    this.stamp = stamp;
    const { badgesHtml, bodyHtml } = this.content();
    const next = `${badgesHtml}\u0000${bodyHtml}`;
    if (next === this.shown) return;
    this.shown = next;
    if (this.ready) {
      const msg: HostToWebview = { type: 'content', badgesHtml, bodyHtml };
      void this.panel.webview.postMessage(msg);
    } else {
      this.panel.webview.html = this.page();
    }
  }

  private content(): { badgesHtml: string; bodyHtml: string } {
    let markdown: string;
    try {
      markdown = fs.readFileSync(this.input.file, 'utf8');
    } catch (e) {
      markdown = `*Cannot read \`${this.input.file}\`: ${(e as Error).message}*`;
    }
    return { badgesHtml: renderBadges(this.input.badges(markdown)), bodyHtml: renderMarkdown(markdown) };
  }

  private page(): string {
    const webview = this.panel.webview;
    const media = vscode.Uri.joinPath(this.extensionUri, 'media');
    this.stamp = fileStamp(this.input.file);
    const { badgesHtml, bodyHtml } = this.content();
    this.shown = `${badgesHtml}\u0000${bodyHtml}`;
    return renderPage({
      title: this.input.title,
      kind: this.input.kind,
      badgesHtml,
      bodyHtml,
      cspSource: webview.cspSource,
      scriptUri: webview.asWebviewUri(vscode.Uri.joinPath(media, 'panel.js')).toString(),
      styleUri: webview.asWebviewUri(vscode.Uri.joinPath(media, 'panel.css')).toString(),
    });
  }

  private async onMessage(raw: unknown): Promise<void> {
    const msg = parseWebviewMessage(raw);
    if (!msg) return;
    if (msg.type === 'ready') {
      this.ready = true;
      return;
    }
    const target = resolveInside(msg.path, this.input.linkRoots);
    if (!target) {
      void vscode.window.showWarningMessage(`Build Pipeline: ${inert(msg.path)} is not a file inside this run's worktrees.`);
      return;
    }
    const line = Math.max(0, (msg.line ?? 1) - 1);
    await vscode.window.showTextDocument(vscode.Uri.file(target), {
      selection: new vscode.Range(line, 0, line, 0),
      viewColumn: vscode.ViewColumn.Beside,
      preview: true,
    });
  }
}

/** Size and modification time of `file`, or '' when it cannot be read (then it is always rendered). */
function fileStamp(file: string): string {
  try {
    const st = fs.statSync(file);
    return `${st.size}:${st.mtimeMs}`;
  } catch {
    return '';
  }
}
