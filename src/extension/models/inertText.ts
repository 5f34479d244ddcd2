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
