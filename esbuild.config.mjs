// Bundles the two entry points: the VS Code extension (vscode stays external: the host provides it)
// and the headless CLI. Both target Node 22+, which the SDK's agent toolset needs (fs.glob).
import * as esbuild from 'esbuild';

const watch = process.argv.includes('--watch');
const production = process.argv.includes('--production');

/** @type {import('esbuild').BuildOptions} */
const common = {
  bundle: true,
  platform: 'node',
  target: 'node22',
  format: 'cjs',
  sourcemap: !production,
  minify: production,
  logLevel: 'info',
};

const builds = [
  {
    ...common,
    entryPoints: ['src/extension/extension.ts'],
    outfile: 'dist/extension.js',
    // The engine (SDK, scripted model) is its own bundle, required on first use, so activation stays cheap.
    external: ['vscode', './engine.js'],
    // First and last statements of the bundle: activate() reports how long evaluating it took.
    banner: { js: 'globalThis.__buildPipelineLoadStart = performance.now();' },
    footer: { js: 'globalThis.__buildPipelineLoadEnd = performance.now();' },
  },
  // The engine plus the scripted model the extension injects for the offline demo (src/core never imports it).
  { ...common, entryPoints: ['src/extension/engineBundle.ts'], outfile: 'dist/engine.js' },
  {
    ...common,
    entryPoints: ['src/cli/main.ts'],
    outfile: 'dist/cli.js',
    banner: { js: '#!/usr/bin/env node' },
  },
];

if (watch) {
  const contexts = await Promise.all(builds.map((b) => esbuild.context(b)));
  await Promise.all(contexts.map((c) => c.watch()));
} else {
  await Promise.all(builds.map((b) => esbuild.build(b)));
}
