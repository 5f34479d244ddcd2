/**
 * Drives the VS Code workbench in chromium through playwright-core (Debian's /usr/bin/chromium; the
 * flags keep it off the network, which this machine closes). Helpers speak in user actions:
 * run a palette command, answer a quick input, press a notification button, read a tree view.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { chromium, type Browser, type Frame, type Locator, type Page } from 'playwright-core';

export const CHROMIUM = process.env.BP_CHROMIUM ?? '/usr/bin/chromium';
const FLAGS = ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run', '--disable-quic'];

export class Workbench {
  private shots = 0;

  private constructor(
    readonly browser: Browser,
    readonly page: Page,
    private readonly artifacts: string,
  ) {}

  static async open(serverUrl: string, folder: string, artifacts: string, viewport = { width: 1400, height: 900 }): Promise<Workbench> {
    fs.mkdirSync(artifacts, { recursive: true });
    const browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: FLAGS });
    const page = await browser.newPage({ viewport });
    page.on('pageerror', (e) => fs.appendFileSync(path.join(artifacts, 'page-errors.log'), `${e.message}\n`));
    await page.goto(`${serverUrl}/?folder=${encodeURIComponent(folder)}`);
    const wb = new Workbench(browser, page, artifacts);
    await wb.ready();
    return wb;
  }

  /** Waits for the workbench (after the first load or a reload). */
  async ready(): Promise<void> {
    await this.page.waitForSelector('.monaco-workbench', { timeout: 90_000 });
    await this.page.waitForSelector('.activitybar', { timeout: 60_000 });
    await this.page.waitForTimeout(1500);
  }

  async screenshot(name: string): Promise<string> {
    const file = path.join(this.artifacts, `${String(++this.shots).padStart(2, '0')}-${name}.png`);
    await this.page.screenshot({ path: file });
    return file;
  }

  /** F1, type the command's title, pick the matching row. */
  async runCommand(title: string): Promise<void> {
    await this.openPalette();
    await this.page.keyboard.type(title);
    const row = this.page.locator('.quick-input-widget .monaco-list-row', { hasText: title }).first();
    await row.waitFor({ timeout: 15_000 });
    await row.click();
  }

  /**
   * Runs a command that asks with a quick pick, and picks `label`. A quick pick closes when it loses
   * focus, and once in CI it closed under the fill (a webview opened by the test before may take focus
   * as it finishes loading). Then the command runs again, up to three times, with a screenshot of each
   * failed attempt, instead of failing on an input that is gone.
   */
  async runCommandAndPick(title: string, label: string): Promise<void> {
    for (let attempt = 1; ; attempt++) {
      await this.runCommand(title);
      try {
        await this.pickQuickItem(label, 10_000);
        return;
      } catch (e) {
        await this.screenshot(`pick-${label}-attempt-${attempt}-failed`).catch(() => undefined);
        if (attempt >= 3) throw e;
      }
    }
  }

  async openPalette(): Promise<void> {
    await this.page.keyboard.press('Escape');
    await this.page.locator('.monaco-workbench').click({ position: { x: 700, y: 400 }, trial: true }).catch(() => undefined);
    await this.page.keyboard.press('F1');
    await this.page.locator('.quick-input-widget').waitFor({ state: 'visible', timeout: 15_000 });
  }

  /** Labels of the palette rows for a filter text (the palette is left open). */
  async paletteRows(filter: string): Promise<string[]> {
    await this.openPalette();
    await this.page.keyboard.type(filter);
    await this.page.waitForTimeout(800);
    return this.page.locator('.quick-input-widget .monaco-list-row .label-name').allInnerTexts();
  }

  /** Types into the open input box or quick pick and accepts. */
  async answerInput(text: string): Promise<void> {
    const input = this.page.locator('.quick-input-widget input.input');
    await input.waitFor({ state: 'visible', timeout: 15_000 });
    await input.fill(text);
    await this.page.keyboard.press('Enter');
  }

  /** Filters the open quick pick by typing, then accepts the first match with Enter (clicks can land mid-animation). */
  async pickQuickItem(label: string, fillTimeoutMs = 30_000): Promise<void> {
    const input = this.page.locator('.quick-input-widget input.input');
    await input.waitFor({ state: 'visible', timeout: 15_000 });
    await input.fill(label, { timeout: fillTimeoutMs });
    await this.page.locator('.quick-input-widget .monaco-list-row', { hasText: label }).first().waitFor({ timeout: 15_000 });
    await this.page.keyboard.press('Enter');
  }

  toast(message: string | RegExp): Locator {
    return this.page.locator('.notification-toast', { hasText: message }).first();
  }

  /** Presses a button of a notification; looks in the notification centre if the toast has gone. */
  async clickNotification(message: string | RegExp, button: string, timeoutMs = 60_000): Promise<void> {
    const toast = this.toast(message);
    try {
      await toast.waitFor({ state: 'visible', timeout: timeoutMs });
      await toast.locator('.monaco-button', { hasText: button }).first().click();
      return;
    } catch (e) {
      await this.runCommand('Notifications: Show Notifications');
      const item = this.page.locator('.notifications-center .notification-list-item', { hasText: message }).first();
      if (!(await item.isVisible().catch(() => false))) throw e;
      await item.locator('.monaco-button', { hasText: button }).first().click();
    }
  }

  /** Shows the Build Pipeline container in the side bar. */
  async showBuildPipeline(): Promise<void> {
    const icon = this.page.locator('.activitybar .action-item a[aria-label^="Build Pipeline"]').first();
    await icon.waitFor({ timeout: 30_000 });
    const selected = await this.page.locator('.activitybar .action-item.checked a[aria-label^="Build Pipeline"]').count();
    if (!selected) await icon.click();
    await this.page.locator('.pane-header', { hasText: /Stages/i }).first().waitFor({ timeout: 30_000 });
  }

  /**
   * The pane of a view in the side bar, by its title. The side bar's own split views contain every
   * pane's header too; the view's own one is the innermost, last in document order.
   */
  pane(title: string): Locator {
    return this.page.locator('.split-view-view').filter({ has: this.page.locator('.pane-header', { hasText: new RegExp(`^\\s*${title}`, 'i') }) }).last();
  }

  async treeRows(title: string): Promise<string[]> {
    return this.pane(title).locator('.monaco-list-row').evaluateAll((rows) => rows.map((r) => r.getAttribute('aria-label') ?? r.textContent ?? ''));
  }

  async waitForTreeRow(title: string, text: string | RegExp, timeoutMs = 60_000): Promise<Locator> {
    const row = this.pane(title).locator('.monaco-list-row', { hasText: text }).first();
    await row.waitFor({ timeout: timeoutMs });
    return row;
  }

  /** Collapses a view of the side bar (to give the others room); no-op when it is collapsed already. */
  async collapsePane(title: string): Promise<void> {
    const header = this.page.locator('.pane-header', { hasText: new RegExp(`^\\s*${title}`, 'i') }).first();
    if ((await header.getAttribute('aria-expanded')) === 'true') await header.click();
  }

  /** Presses an inline action button (by its title) on the first row of a view that matches `text`. */
  async clickRowAction(title: string, text: string | RegExp, action: string, timeoutMs = 60_000): Promise<void> {
    const row = await this.waitForTreeRow(title, text, timeoutMs);
    await row.hover();
    await row.locator(`.action-label[aria-label="${action}"]`).first().click();
  }

  /** The inner frame of the webview panel whose body has `data-bp-panel=kind`. */
  async webviewFrame(kind: 'qc' | 'adr' | 'audit', timeoutMs = 30_000): Promise<Frame> {
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      for (const frame of this.page.frames()) {
        const found = await frame.locator(`body[data-bp-panel="${kind}"]`).count().catch(() => 0);
        if (found) return frame;
      }
      await this.page.waitForTimeout(250);
    }
    throw new Error(`no ${kind} webview appeared in ${timeoutMs} ms`);
  }

  async close(): Promise<void> {
    await this.browser.close();
  }
}
