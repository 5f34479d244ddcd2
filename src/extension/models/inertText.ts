/**
 * Untrusted text (model output: commands, paths, reasons, error messages that quote them) for VS Code
 * notifications and quick picks, which are not plain text. A notification turns
 * `[label](https://…)`, `(command:…)` and `(file:…)` into links that run on a click (a command with
 * the arguments in the link), and quick-pick labels and details draw `$(name)` as an icon, which can
 * hide part of a command line being approved. A zero-width space between `]` and `(`, and between
 * `$` and `(`, breaks both patterns and shows the same characters: what is shown is what runs.
 */
const BREAK = '\u200B';

export function inert(text: string): string {
  return text.replace(/\]\(/g, `]${BREAK}(`).replace(/\$\(/g, `$${BREAK}(`);
}

/**
 * Untrusted text inside a tree item's markdown tooltip, shown as the same characters. Rendered as
 * markdown, model text made images that load on hover (`![](https://host/?q=…)`: a beacon that
 * reaches past the sandbox's network allow-list) and links; every character markdown gives a meaning
 * to is escaped with a backslash, and a line break stays a line break.
 */
export function mdText(text: string): string {
  return text.replace(/[\\`*_{}[\]()#+\-.!|<>~]/g, (c) => `\\${c}`).replace(/\r?\n/g, '  \n');
}
