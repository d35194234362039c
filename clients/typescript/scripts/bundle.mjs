// Bundles the SDK for browsers without a build step: bundle/hourglass-client.js, an IIFE that
// defines `window.Hourglass` (the playground page the server embeds loads it). The bundle is
// committed; `--check` fails when it differs from what the sources build, so it cannot drift.
import { readFile, writeFile, mkdir } from 'node:fs/promises';
import { build } from 'esbuild';

const target = new URL('../bundle/hourglass-client.js', import.meta.url);
const result = await build({
  entryPoints: [new URL('../src/index.ts', import.meta.url).pathname],
  bundle: true,
  format: 'iife',
  globalName: 'Hourglass',
  platform: 'browser',
  target: ['es2022'],
  legalComments: 'none',
  charset: 'utf8',
  banner: { js: '/* @hourglass/client browser bundle, built by clients/typescript/scripts/bundle.mjs from src/: do not edit. */' },
  write: false,
});
const text = result.outputFiles[0].text;

if (process.argv.includes('--check')) {
  if ((await readFile(target, 'utf8').catch(() => '')) !== text) {
    console.error('bundle/hourglass-client.js is stale: run `just sdk` (or `npm run bundle` in clients/typescript) and commit it');
    process.exit(1);
  }
  console.log('bundle/hourglass-client.js matches the sources');
} else {
  await mkdir(new URL('../bundle/', import.meta.url), { recursive: true });
  await writeFile(target, text);
  console.log(`wrote ${target.pathname} (${text.length} bytes)`);
}
