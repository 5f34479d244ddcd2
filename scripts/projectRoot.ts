import * as fs from 'node:fs';
import * as path from 'node:path';

/** The checkout this code runs from (works from out/test/..., out/scripts/... and a bundled out/one/... alike). */
export function projectRoot(): string {
  let dir = __dirname;
  while (!fs.existsSync(path.join(dir, 'esbuild.config.mjs'))) {
    const up = path.dirname(dir);
    if (up === dir) throw new Error(`project root not found above ${__dirname}`);
    dir = up;
  }
  return dir;
}
