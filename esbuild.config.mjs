// Bundles the two entry points: the VS Code extension (vscode stays external: the host provides it)
// and the headless CLI. Both target Node 22+, which the SDK's agent toolset needs (fs.glob).
import * as esbuild from 'esbuild';
import * as fs from 'node:fs';

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
  // The sandbox runtime is an ES module that finds its seccomp helper next to itself through
  // import.meta.url, which a CommonJS bundle does not have: the bundle's own file URL stands in, and
  // the helper is copied next to the bundle (dist/vendor/seccomp), where the runtime looks first.
  define: { 'import.meta.url': '__bundleFileUrl' },
  banner: { js: "const __bundleFileUrl = require('node:url').pathToFileURL(__filename).href;" },
};

const builds = [
  {
    ...common,
    entryPoints: ['src/extension/extension.ts'],
    outfile: 'dist/extension.js',
    // The engine (SDK, scripted model) is its own bundle, required on first use, so activation stays cheap.
    external: ['vscode', './engine.js'],
    // First and last statements of the bundle: activate() reports how long evaluating it took.
    banner: { js: 'globalThis.__buildPipelineLoadStart = performance.now();' + common.banner.js },
    footer: { js: 'globalThis.__buildPipelineLoadEnd = performance.now();' },
  },
  // The engine plus the scripted model the extension injects for the offline demo (src/core never imports it).
  { ...common, entryPoints: ['src/extension/engineBundle.ts'], outfile: 'dist/engine.js' },
  // The process build and audit runs live in (forked by the extension host); it requires ./engine.js.
  { ...common, entryPoints: ['src/extension/engineProcess/host.ts'], outfile: 'dist/engineHost.js', external: ['./engine.js'] },
  {
    ...common,
    entryPoints: ['src/cli/main.ts'],
    outfile: 'dist/cli.js',
    banner: { js: '#!/usr/bin/env node\n' + common.banner.js },
  },
];

const seccomp = 'node_modules/@anthropic-ai/sandbox-runtime/vendor/seccomp';
if (fs.existsSync(seccomp)) fs.cpSync(seccomp, 'dist/vendor/seccomp', { recursive: true, filter: (src) => !src.endsWith('.ts') });

if (watch) {
  const contexts = await Promise.all(builds.map((b) => esbuild.context(b)));
  await Promise.all(contexts.map((c) => c.watch()));
} else {
  await Promise.all(builds.map((b) => esbuild.build(b)));
}
