// Generates src/generated/protocol.ts, the SDK's message types, from docs/asyncapi.yaml: one
// TypeScript type per schema of `components.schemas`, the unions of client and server messages
// per operation, and the error codes, close codes and SSE events as typed constants.
//
// `node scripts/gen-protocol.mjs` writes the file; `--check` fails when the committed file is not
// what the document generates (run by `npm run check`), so the SDK cannot drift from the document.
import { readFile, writeFile } from 'node:fs/promises';
import { parse } from 'yaml';

const docPath = new URL('../../../docs/asyncapi.yaml', import.meta.url);
const outPath = new URL('../src/generated/protocol.ts', import.meta.url);
const doc = parse(await readFile(docPath, 'utf8'));
const schemas = doc.components.schemas;

const refName = (ref) => {
  const match = /^#\/components\/schemas\/(.+)$/.exec(ref);
  if (!match) throw new Error(`unsupported $ref ${ref}`);
  return match[1];
};

const comment = (text, indent) => {
  if (!text) return '';
  const lines = String(text).trim().split('\n');
  return `${indent}/** ${lines.join(`\n${indent} * `)} */\n`;
};

const scalar = { string: 'string', integer: 'number', number: 'number', boolean: 'boolean', null: 'null' };

/** The TypeScript type of a JSON schema (the subset the document uses). */
function typeOf(schema, indent = '') {
  if (schema.$ref) return refName(schema.$ref);
  if ('const' in schema) return JSON.stringify(schema.const);
  if (schema.enum) return schema.enum.map((v) => JSON.stringify(v)).join(' | ');
  if (schema.oneOf) return schema.oneOf.map((s) => typeOf(s, indent)).join(' | ');
  if (Array.isArray(schema.type)) {
    return schema.type.map((t) => typeOf({ ...schema, type: t }, indent)).join(' | ');
  }
  switch (schema.type) {
    case 'object': {
      const props = Object.entries(schema.properties ?? {});
      if (props.length === 0) return 'Record<string, never>';
      const required = new Set(schema.required ?? []);
      const inner = `${indent}  `;
      const body = props
        .map(([key, value]) => {
          const name = /^[A-Za-z_$][\w$]*$/.test(key) ? key : JSON.stringify(key);
          const optional = required.has(key) ? '' : '?';
          return `${comment(value.description, inner)}${inner}${name}${optional}: ${typeOf(value, inner)};`;
        })
        .join('\n');
      return `{\n${body}\n${indent}}`;
    }
    case 'array': {
      const item = typeOf(schema.items, indent);
      return /[|&]/.test(item) ? `Array<${item}>` : `${item}[]`;
    }
    default:
      if (scalar[schema.type]) return scalar[schema.type];
      throw new Error(`unsupported schema ${JSON.stringify(schema)}`);
  }
}

const out = [
  '// Generated from docs/asyncapi.yaml by scripts/gen-protocol.mjs: do not edit by hand.',
  '// Run `npm run gen` after changing the document; `npm run check` fails when this file is stale.',
  '/* eslint-disable */',
  '',
];
for (const [name, schema] of Object.entries(schemas)) {
  out.push(`${comment(schema.description, '')}export type ${name} = ${typeOf(schema)};`, '');
}

/** The components.messages entry a channel/operation reference points at. */
const messageOf = (ref) => {
  const [, channel, key] = /^#\/channels\/([^/]+)\/messages\/(.+)$/.exec(ref) ?? [];
  const target = doc.channels[channel].messages[key].$ref;
  const name = /^#\/components\/messages\/(.+)$/.exec(target)[1];
  return { key: name, message: doc.components.messages[name] };
};
const payloadType = ({ key, message }) =>
  message.payload.$ref ? refName(message.payload.$ref) : typeOf(message.payload);

const operation = (id) => doc.operations[id].messages.map((m) => messageOf(m.$ref));
const client = operation('receiveTimerCommand');
const server = operation('sendTimerEvent');
const sse = operation('sendNotificationEvent');

const list = (items) => items.map((i) => `  ${i}`).join('\n');
out.push(
  '/** Every message a client may send on the timer WebSocket. */',
  `export type ClientMessage =\n${list(client.map((m) => `| ${payloadType(m)}`))};`,
  '',
  '/** Client messages by `type`. */',
  `export interface ClientMessageMap {\n${list(client.map((m) => `${JSON.stringify(m.message.name)}: ${payloadType(m)};`))}\n}`,
  '',
  '/** The `type`s of client messages. */',
  `export const CLIENT_MESSAGE_TYPES = [\n${list(client.map((m) => `${JSON.stringify(m.message.name)},`))}\n] as const;`,
  '',
  '/** Every message the server sends on the timer WebSocket. */',
  `export type ServerMessage =\n${list(server.map((m) => `| ${payloadType(m)}`))};`,
  '',
  '/** Server messages by `type`. */',
  `export interface ServerMessageMap {\n${list(server.map((m) => `${JSON.stringify(m.message.name)}: ${payloadType(m)};`))}\n}`,
  '',
  '/** The `type`s of server messages. */',
  `export const SERVER_MESSAGE_TYPES = [\n${list(server.map((m) => `${JSON.stringify(m.message.name)},`))}\n] as const;`,
  '',
  '/** The `code`s of the WebSocket `error` message. */',
  `export const WS_ERROR_CODES = [\n${list(schemas.WsErrorCode.enum.map((c) => `${JSON.stringify(c)},`))}\n] as const;`,
  '',
  '/** The WebSocket close codes: what each means and what a client does. */',
  `export const CLOSE_CODES = {\n${list(
    doc.channels.timers['x-close-codes'].map(
      (c) => `${c.code}: { meaning: ${JSON.stringify(c.meaning)}, action: ${JSON.stringify(c.action)} },`,
    ),
  )}\n} as const;`,
  '',
  '/** A documented WebSocket close code. */',
  'export type CloseCode = keyof typeof CLOSE_CODES;',
  '',
  '/** The notification stream\'s events by `event:` name, with their decoded `data`. */',
  `export interface NotificationEventMap {\n${list(sse.map((m) => `${JSON.stringify(m.message['x-sse-event'])}: ${payloadType(m)};`))}\n}`,
  '',
  '/** The notification stream\'s event names. */',
  `export const NOTIFICATION_EVENTS = [\n${list(sse.map((m) => `${JSON.stringify(m.message['x-sse-event'])},`))}\n] as const;`,
  '',
  '/** Events whose `data` is plain text (every other one is JSON). */',
  `export const TEXT_EVENTS = [\n${list(sse.filter((m) => m.message['x-sse-data'] === 'text').map((m) => `${JSON.stringify(m.message['x-sse-event'])},`))}\n] as const;`,
  '',
);
const text = `${out.join('\n')}`;

if (process.argv.includes('--check')) {
  const committed = await readFile(outPath, 'utf8').catch(() => '');
  if (committed !== text) {
    console.error('src/generated/protocol.ts is stale: run `npm run gen` (in clients/typescript) and commit it');
    process.exit(1);
  }
  console.log('src/generated/protocol.ts matches docs/asyncapi.yaml');
} else {
  await writeFile(outPath, text);
  console.log(`wrote ${outPath.pathname}`);
}
