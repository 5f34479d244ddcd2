/**
 * Turns "the file should now read like this" into the smallest `edit` tool call that gets there, the
 * way a model fixing a finding edits the lines concerned instead of rewriting the file. Whole lines
 * only, and the old text is grown until it occurs exactly once (the edit tool refuses ambiguity).
 */

export interface EditInput {
  old_string: string;
  new_string: string;
}

export function minimalEdit(current: string, wanted: string): EditInput | undefined {
  if (current === wanted) return undefined;
  const a = current.split('\n');
  const b = wanted.split('\n');
  let head = 0;
  while (head < a.length && head < b.length && a[head] === b[head]) head++;
  let tail = 0;
  while (tail < a.length - head && tail < b.length - head && a[a.length - 1 - tail] === b[b.length - 1 - tail]) tail++;
  let start = head;
  let endA = a.length - tail;
  let endB = b.length - tail;
  for (;;) {
    const oldText = a.slice(start, endA).join('\n');
    const unique = oldText.trim() !== '' && current.split(oldText).length === 2;
    if (unique) return { old_string: oldText, new_string: b.slice(start, endB).join('\n') };
    if (start === 0 && endA === a.length) return undefined;
    // Grow by one unchanged line on each side that has one left.
    if (start > 0) start--;
    if (endA < a.length) {
      endA++;
      endB++;
    }
  }
}
