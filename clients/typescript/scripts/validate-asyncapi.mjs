// Validates docs/asyncapi.yaml with the official AsyncAPI parser (structure, references, the
// spectral rules it ships). Any diagnostic of severity "error" fails; warnings are printed.
import { readFile } from 'node:fs/promises';
import { Parser, DiagnosticSeverity } from '@asyncapi/parser';

const path = new URL('../../../docs/asyncapi.yaml', import.meta.url);
const parser = new Parser();
const { document, diagnostics } = await parser.parse(await readFile(path, 'utf8'));
const errors = diagnostics.filter((d) => d.severity === DiagnosticSeverity.Error);
for (const d of diagnostics) {
  const level = d.severity === DiagnosticSeverity.Error ? 'error' : 'warning';
  console.error(`asyncapi ${level}: ${d.code} ${d.message} at ${d.path.join('.')}`);
}
if (errors.length > 0 || !document) {
  console.error(`docs/asyncapi.yaml: ${errors.length} error(s)`);
  process.exit(1);
}
const messages = document.allMessages().all().length;
const channels = document.allChannels().all().length;
console.log(`docs/asyncapi.yaml is valid AsyncAPI ${document.version()}: ${channels} channels, ${messages} messages`);
