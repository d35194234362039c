import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';

describe('README', () => {
  it("shows exactly the example that readme.example.ts type-checks", () => {
    const readme = readFileSync(new URL('../../../../README.md', import.meta.url), 'utf8');
    const example = readFileSync(new URL('./readme.example.ts', import.meta.url), 'utf8');
    const lines = example.split("// --- the README's ten lines, from here ---\n")[1]?.split('  // --- to here ---')[0] ?? '';
    const body = lines.trimEnd().split('\n').map((l) => l.slice(2)).join('\n');
    assert.equal(body.split('\n').length, 10);
    assert.ok(readme.includes(`import { HourglassClient, NotificationStream, TimerSocket } from '@hourglass/client';\n\n${body}\n\`\`\``), 'README.md and test/unit/readme.example.ts differ');
  });
});
