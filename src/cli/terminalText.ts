/**
 * Text for the terminal that may hold a model's words (gate summaries, module details, findings,
 * halt reasons, plan problems). A terminal acts on control characters: an escape sequence can move
 * the cursor, recolour, clear or rewrite what was printed (an audit finding hidden right above the
 * "[a]pprove" prompt), and a carriage return or a bidi override can make a line read as something it
 * is not. Those characters are shown as visible escapes instead; newlines and tabs stay.
 */
// C0 controls except \t and \n, DEL and C1 controls, the bidi marks, embeddings, overrides and
// isolates, and the invisible ones (zero-width spaces and joiners, word joiner, BOM) that hide text.
const ACTING = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u061c\u200b-\u200f\u202a-\u202e\u2060-\u2064\u2066-\u2069\ufeff]/g;

export function forTerminal(text: string): string {
  return text.replace(ACTING, (c) => `\\u{${c.codePointAt(0)!.toString(16)}}`);
}

/**
 * JSON for the terminal (`status --json`): JSON.stringify escapes C0 controls but leaves the rest of
 * the characters above raw; they get JSON's own `\\uXXXX` escapes, so the output stays valid JSON.
 */
export function jsonForTerminal(value: unknown): string {
  return JSON.stringify(value, null, 2).replace(ACTING, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}
