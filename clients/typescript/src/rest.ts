import createClient, { type Client } from 'openapi-fetch';
import type { PathsWithMethod } from 'openapi-typescript-helpers';

import type { paths } from './generated/openapi.js';
import { HourglassApiError } from './errors.js';

/** A token, or a function that returns the current one (called before every request). */
export type TokenSource = string | (() => string | Promise<string>);

/** Resolves a [`TokenSource`]. */
export async function tokenOf(source: TokenSource): Promise<string> {
  return typeof source === 'function' ? source() : source;
}

/** Options of [`HourglassClient`]. */
export interface ClientOptions {
  /** The server, e.g. `https://api.example.com` (default: this page's origin). */
  baseUrl?: string;
  /** The bearer token. */
  token: TokenSource;
  /** A `fetch` to use (default: the global one). */
  fetch?: typeof globalThis.fetch;
}

type GetPaths = PathsWithMethod<paths, 'get'>;
type GetData<P extends GetPaths> = paths[P] extends {
  get: { responses: { 200: { content: { 'application/json': infer D } } } };
}
  ? D
  : never;
/** The `GET` routes that answer a JSON array and page with `X-Next-Cursor`. */
export type ListPath = {
  [P in GetPaths]: GetData<P> extends ReadonlyArray<unknown> ? P : never;
}[GetPaths];
/** The parameters (`query`, `path`) of the `GET` route `P`. */
export type GetParams<P extends GetPaths> = paths[P] extends { get: { parameters: infer X } } ? X : never;
/** One item of the list `P` returns. */
export type ListItem<P extends ListPath> = GetData<P> extends ReadonlyArray<infer I> ? I : never;

/**
 * The REST API, typed from `docs/openapi.json`.
 *
 * `api` is an [openapi-fetch](https://openapi-ts.dev/openapi-fetch/) client over the generated
 * `paths`: `await client.api.GET('/v1/timers/{id}', {params: {path: {id}}})` returns `{data}`
 * typed by the route. Every non-2xx answer throws a [`HourglassApiError`] (the `{code, message}`
 * envelope, typed by code), so `data` is always the success body.
 */
export class HourglassClient {
  /** The typed client: `api.GET`, `api.POST`, `api.PATCH`, `api.DELETE`. */
  readonly api: Client<paths>;

  constructor(options: ClientOptions) {
    const base = options.baseUrl ?? (typeof location === 'undefined' ? '' : location.origin);
    this.api = createClient<paths>({
      baseUrl: base.replace(/\/$/, ''),
      ...(options.fetch ? { fetch: options.fetch } : {}),
    });
    const token = options.token;
    this.api.use({
      async onRequest({ request }) {
        request.headers.set('Authorization', `Bearer ${await tokenOf(token)}`);
        return request;
      },
      async onResponse({ response }) {
        if (!response.ok) throw await HourglassApiError.from(response);
        return undefined;
      },
    });
  }

  /**
   * Every item of a paged list, fetching the next page when the caller gets there: follows
   * `X-Next-Cursor` (passed back as `cursor`) until a page comes without it.
   *
   * ```ts
   * for await (const n of client.paginate('/api/v1/notifications', {params: {query: {limit: 50}}})) …
   * ```
   */
  async *paginate<P extends ListPath>(
    path: P,
    init: { params?: GetParams<P> } = {},
  ): AsyncGenerator<ListItem<P>, void, undefined> {
    const first = init as { params?: { query?: Record<string, unknown> } };
    let cursor: string | undefined;
    for (;;) {
      const query = { ...(first.params?.query ?? {}), ...(cursor ? { cursor } : {}) };
      const options = { ...first, params: { ...(first.params ?? {}), query } };
      // The route and its options are checked by the signature; openapi-fetch's own overloads
      // cannot follow a generic path, hence the widened call.
      const get = this.api.GET as unknown as (
        path: string,
        options: unknown,
      ) => Promise<{ data?: unknown; response: Response }>;
      const { data, response } = await get(path, options);
      for (const item of (data ?? []) as ListItem<P>[]) yield item;
      const next = response.headers.get('x-next-cursor');
      if (!next) return;
      cursor = next;
    }
  }
}
