import * as assert from 'node:assert/strict';
import { breakdown } from '../../bench/smaps';

const MB = 1024 * 1024;
const hex = (n: number) => n.toString(16).padStart(12, '0');
/** One smaps entry: address range, permissions, path (empty for anonymous memory), resident kB. */
function entry(start: number, end: number, perms: string, file: string, rssKb: number): string {
  return `${hex(start)}-${hex(end)} ${perms} 00000000 00:00 0          ${file}\nSize: ${(end - start) / 1024} kB\nRss: ${rssKb} kB\nAnonymous: 0 kB\n`;
}

describe('bench smaps breakdown', () => {
  const arena = 0x7f0000000000; // 64 MB-aligned
  const text = [
    entry(0x400000, 0x400000 + 4 * MB, 'r-xp', '/usr/bin/node', 3072),
    entry(0x10000000, 0x10000000 + 8 * MB, 'rw-p', '[heap]', 6144),
    // a glibc thread arena: 3 MB in use, the rest of its 64 MB block PROT_NONE
    entry(arena, arena + 3 * MB, 'rw-p', '', 2048),
    entry(arena + 3 * MB, arena + 64 * MB, '---p', '', 0),
    // a V8 page and a 64 MB-aligned anonymous mapping that does not span its block: not arenas
    entry(arena + 64 * MB + 256 * 1024, arena + 64 * MB + 512 * 1024, 'rw-p', '', 256),
    entry(arena + 128 * MB, arena + 130 * MB, 'rw-p', '', 1024),
    entry(0x7ffc00000000, 0x7ffc00000000 + MB, 'rw-p', '[stack]', 128),
  ].join('');

  it('tells mapped files, the main malloc arena, thread arenas and other anonymous memory apart', () => {
    const b = breakdown(text);
    assert.equal(b.rssMb, (3072 + 6144 + 2048 + 256 + 1024 + 128) / 1024);
    assert.equal(b.filesMb, 3);
    assert.equal(b.mallocMainMb, 6);
    assert.equal(b.mallocArenas, 1);
    assert.equal(b.mallocArenasMb, 2);
    assert.equal(b.otherAnonMb, (256 + 1024 + 128) / 1024);
  });

  it('gives zeros for text that is not smaps', () => {
    assert.deepEqual(breakdown('not smaps\n\nRss: 12 kB\n'), { rssMb: 0, filesMb: 0, mallocMainMb: 0, mallocArenas: 0, mallocArenasMb: 0, otherAnonMb: 0 });
  });
});
