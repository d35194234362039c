import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { HourglassApiError } from '../../src/errors.js';
import { HourglassClient } from '../../src/rest.js';
import { isTimeZone } from '../../src/timezone.js';

describe('HourglassClient', () => {
  it('sends the bearer token and turns the error envelope into a typed error', async () => {
    const seen: string[] = [];
    const client = new HourglassClient({
      baseUrl: 'http://example.test/',
      token: async () => 'jwt',
      fetch: (async (request: Request) => {
        seen.push(`${request.method} ${request.url} ${request.headers.get('authorization')}`);
        return new Response(JSON.stringify({ code: 'RATE_LIMITED', message: 'slow down' }), {
          status: 429,
          headers: { 'Retry-After': '7', 'Content-Type': 'application/json' },
        });
      }) as typeof fetch,
    });
    await assert.rejects(
      client.api.GET('/v1/timers/{id}', { params: { path: { id: '0194' } } }),
      (e: unknown) =>
        e instanceof HourglassApiError && e.status === 429 && e.code === 'RATE_LIMITED' && e.retryAfterSeconds === 7 && e.message === 'slow down',
    );
    assert.deepEqual(seen, ['GET http://example.test/v1/timers/0194 Bearer jwt']);
  });

  it('pages through X-Next-Cursor as an async iterator', async () => {
    const urls: string[] = [];
    const client = new HourglassClient({
      baseUrl: 'http://example.test',
      token: 'jwt',
      fetch: (async (request: Request) => {
        urls.push(request.url);
        const url = new URL(request.url);
        const page = url.searchParams.get('cursor') === 'c2' ? [{ id: 3 }] : [{ id: 1 }, { id: 2 }];
        const headers: Record<string, string> = { 'Content-Type': 'application/json' };
        if (!url.searchParams.has('cursor')) headers['X-Next-Cursor'] = 'c2';
        return new Response(JSON.stringify(page), { status: 200, headers });
      }) as typeof fetch,
    });
    const ids: number[] = [];
    for await (const n of client.paginate('/api/v1/notifications', { params: { query: { limit: 2 } } })) ids.push(n.id);
    assert.deepEqual(ids, [1, 2, 3]);
    assert.deepEqual(urls, [
      'http://example.test/api/v1/notifications?limit=2',
      'http://example.test/api/v1/notifications?limit=2&cursor=c2',
    ]);
  });
});

describe('TimeZone', () => {
  it('accepts what the server accepts and refuses the rest', () => {
    for (const zone of ['UTC', 'Z', '+09:00', '-05:30', '+14:00', 'Asia/Seoul', 'America/Argentina/Buenos_Aires']) {
      assert.ok(isTimeZone(zone), zone);
    }
    for (const zone of ['', 'Seoul', '+15:00', '9', 'asia/seoul']) assert.ok(!isTimeZone(zone), zone);
  });
});
