// Generates src/generated/openapi.ts (the REST types) from docs/openapi.json with
// openapi-typescript; `--check` fails when the committed file is not what the document gives.
import { readFile, writeFile } from 'node:fs/promises';
import openapiTS, { astToString } from 'openapi-typescript';

const source = new URL('../../../docs/openapi.json', import.meta.url);
const target = new URL('../src/generated/openapi.ts', import.meta.url);
const header = '// Generated from docs/openapi.json by scripts/gen-openapi.mjs (openapi-typescript): do not edit by hand.\n';
const text = header + astToString(await openapiTS(JSON.parse(await readFile(source, 'utf8'))));

if (process.argv.includes('--check')) {
  if ((await readFile(target, 'utf8').catch(() => '')) !== text) {
    console.error('src/generated/openapi.ts is stale: run `npm run gen` (in clients/typescript) and commit it');
    process.exit(1);
  }
  console.log('src/generated/openapi.ts matches docs/openapi.json');
} else {
  await writeFile(target, text);
  console.log(`wrote ${target.pathname}`);
}
