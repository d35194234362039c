/* @hourglass/client browser bundle, built by clients/typescript/scripts/bundle.mjs from src/: do not edit. */
"use strict";
var Hourglass = (() => {
  var __defProp = Object.defineProperty;
  var __getOwnPropDesc = Object.getOwnPropertyDescriptor;
  var __getOwnPropNames = Object.getOwnPropertyNames;
  var __hasOwnProp = Object.prototype.hasOwnProperty;
  var __export = (target, all) => {
    for (var name in all)
      __defProp(target, name, { get: all[name], enumerable: true });
  };
  var __copyProps = (to, from, except, desc) => {
    if (from && typeof from === "object" || typeof from === "function") {
      for (let key of __getOwnPropNames(from))
        if (!__hasOwnProp.call(to, key) && key !== except)
          __defProp(to, key, { get: () => from[key], enumerable: !(desc = __getOwnPropDesc(from, key)) || desc.enumerable });
    }
    return to;
  };
  var __toCommonJS = (mod) => __copyProps(__defProp({}, "__esModule", { value: true }), mod);

  // src/index.ts
  var index_exports = {};
  __export(index_exports, {
    Backoff: () => Backoff,
    CLIENT_MESSAGE_TYPES: () => CLIENT_MESSAGE_TYPES,
    CLOSE_CODES: () => CLOSE_CODES,
    CommandError: () => CommandError,
    Emitter: () => Emitter,
    HourglassApiError: () => HourglassApiError,
    HourglassClient: () => HourglassClient,
    NOTIFICATION_EVENTS: () => NOTIFICATION_EVENTS,
    NotificationStream: () => NotificationStream,
    PROTOCOL_VERSION: () => PROTOCOL_VERSION,
    SERVER_MESSAGE_TYPES: () => SERVER_MESSAGE_TYPES,
    SocketClosedError: () => SocketClosedError,
    TEXT_EVENTS: () => TEXT_EVENTS,
    TimerSocket: () => TimerSocket,
    WS_ERROR_CODES: () => WS_ERROR_CODES,
    isTimeZone: () => isTimeZone,
    localTimeZone: () => localTimeZone,
    tokenOf: () => tokenOf
  });

  // node_modules/openapi-fetch/dist/index.mjs
  var PATH_PARAM_RE = /\{[^{}]+\}/g;
  var supportsRequestInitExt = () => {
    return typeof process === "object" && Number.parseInt(process?.versions?.node?.substring(0, 2)) >= 18 && process.versions.undici;
  };
  function randomID() {
    return Math.random().toString(36).slice(2, 11);
  }
  function createClient(clientOptions) {
    let {
      baseUrl = "",
      Request: CustomRequest = globalThis.Request,
      fetch: baseFetch = globalThis.fetch,
      querySerializer: globalQuerySerializer,
      bodySerializer: globalBodySerializer,
      pathSerializer: globalPathSerializer,
      headers: baseHeaders,
      requestInitExt = void 0,
      ...baseOptions
    } = { ...clientOptions };
    requestInitExt = supportsRequestInitExt() ? requestInitExt : void 0;
    baseUrl = removeTrailingSlash(baseUrl);
    const globalMiddlewares = [];
    async function coreFetch(schemaPath, fetchOptions) {
      const {
        baseUrl: localBaseUrl,
        fetch = baseFetch,
        Request = CustomRequest,
        headers,
        params = {},
        parseAs = "json",
        querySerializer: requestQuerySerializer,
        bodySerializer = globalBodySerializer ?? defaultBodySerializer,
        pathSerializer: requestPathSerializer,
        body,
        middleware: requestMiddlewares = [],
        ...init
      } = fetchOptions || {};
      let finalBaseUrl = baseUrl;
      if (localBaseUrl) {
        finalBaseUrl = removeTrailingSlash(localBaseUrl) ?? baseUrl;
      }
      let querySerializer = typeof globalQuerySerializer === "function" ? globalQuerySerializer : createQuerySerializer(globalQuerySerializer);
      if (requestQuerySerializer) {
        querySerializer = typeof requestQuerySerializer === "function" ? requestQuerySerializer : createQuerySerializer({
          ...typeof globalQuerySerializer === "object" ? globalQuerySerializer : {},
          ...requestQuerySerializer
        });
      }
      const pathSerializer = requestPathSerializer || globalPathSerializer || defaultPathSerializer;
      const serializedBody = body === void 0 ? void 0 : bodySerializer(
        body,
        // Note: we declare mergeHeaders() both here and below because it’s a bit of a chicken-or-egg situation:
        // bodySerializer() needs all headers so we aren’t dropping ones set by the user, however,
        // the result of this ALSO sets the lowest-priority content-type header. So we re-merge below,
        // setting the content-type at the very beginning to be overwritten.
        // Lastly, based on the way headers work, it’s not a simple “present-or-not” check becauase null intentionally un-sets headers.
        mergeHeaders(baseHeaders, headers, params.header)
      );
      const finalHeaders = mergeHeaders(
        // with no body, we should not to set Content-Type
        serializedBody === void 0 || // if serialized body is FormData; browser will correctly set Content-Type & boundary expression
        serializedBody instanceof FormData ? {} : {
          "Content-Type": "application/json"
        },
        baseHeaders,
        headers,
        params.header
      );
      const finalMiddlewares = [...globalMiddlewares, ...requestMiddlewares];
      const requestInit = {
        redirect: "follow",
        ...baseOptions,
        ...init,
        body: serializedBody,
        headers: finalHeaders
      };
      let id;
      let options;
      let request = new Request(
        createFinalURL(schemaPath, { baseUrl: finalBaseUrl, params, querySerializer, pathSerializer }),
        requestInit
      );
      let response;
      for (const key in init) {
        if (!(key in request)) {
          request[key] = init[key];
        }
      }
      if (finalMiddlewares.length) {
        id = randomID();
        options = Object.freeze({
          baseUrl: finalBaseUrl,
          fetch,
          parseAs,
          querySerializer,
          bodySerializer,
          pathSerializer
        });
        for (const m of finalMiddlewares) {
          if (m && typeof m === "object" && typeof m.onRequest === "function") {
            const result = await m.onRequest({
              request,
              schemaPath,
              params,
              options,
              id
            });
            if (result) {
              if (result instanceof Request) {
                request = result;
              } else if (result instanceof Response) {
                response = result;
                break;
              } else {
                throw new Error("onRequest: must return new Request() or Response() when modifying the request");
              }
            }
          }
        }
      }
      if (!response) {
        try {
          response = await fetch(request, requestInitExt);
        } catch (error2) {
          let errorAfterMiddleware = error2;
          if (finalMiddlewares.length) {
            for (let i = finalMiddlewares.length - 1; i >= 0; i--) {
              const m = finalMiddlewares[i];
              if (m && typeof m === "object" && typeof m.onError === "function") {
                const result = await m.onError({
                  request,
                  error: errorAfterMiddleware,
                  schemaPath,
                  params,
                  options,
                  id
                });
                if (result) {
                  if (result instanceof Response) {
                    errorAfterMiddleware = void 0;
                    response = result;
                    break;
                  }
                  if (result instanceof Error) {
                    errorAfterMiddleware = result;
                    continue;
                  }
                  throw new Error("onError: must return new Response() or instance of Error");
                }
              }
            }
          }
          if (errorAfterMiddleware) {
            throw errorAfterMiddleware;
          }
        }
        if (finalMiddlewares.length) {
          for (let i = finalMiddlewares.length - 1; i >= 0; i--) {
            const m = finalMiddlewares[i];
            if (m && typeof m === "object" && typeof m.onResponse === "function") {
              const result = await m.onResponse({
                request,
                response,
                schemaPath,
                params,
                options,
                id
              });
              if (result) {
                if (!(result instanceof Response)) {
                  throw new Error("onResponse: must return new Response() when modifying the response");
                }
                response = result;
              }
            }
          }
        }
      }
      const contentLength = response.headers.get("Content-Length");
      if (response.status === 204 || request.method === "HEAD" || contentLength === "0" && !response.headers.get("Transfer-Encoding")?.includes("chunked")) {
        return response.ok ? { data: void 0, response } : { error: void 0, response };
      }
      if (response.ok) {
        const getResponseData = async () => {
          if (parseAs === "stream") {
            return response.body;
          }
          if (parseAs === "json" && !contentLength) {
            const raw = await response.text();
            return raw ? JSON.parse(raw) : void 0;
          }
          return await response[parseAs]();
        };
        return { data: await getResponseData(), response };
      }
      let error = await response.text();
      try {
        error = JSON.parse(error);
      } catch {
      }
      return { error, response };
    }
    return {
      request(method, url, init) {
        return coreFetch(url, { ...init, method: method.toUpperCase() });
      },
      /** Call a GET endpoint */
      GET(url, init) {
        return coreFetch(url, { ...init, method: "GET" });
      },
      /** Call a PUT endpoint */
      PUT(url, init) {
        return coreFetch(url, { ...init, method: "PUT" });
      },
      /** Call a POST endpoint */
      POST(url, init) {
        return coreFetch(url, { ...init, method: "POST" });
      },
      /** Call a DELETE endpoint */
      DELETE(url, init) {
        return coreFetch(url, { ...init, method: "DELETE" });
      },
      /** Call a OPTIONS endpoint */
      OPTIONS(url, init) {
        return coreFetch(url, { ...init, method: "OPTIONS" });
      },
      /** Call a HEAD endpoint */
      HEAD(url, init) {
        return coreFetch(url, { ...init, method: "HEAD" });
      },
      /** Call a PATCH endpoint */
      PATCH(url, init) {
        return coreFetch(url, { ...init, method: "PATCH" });
      },
      /** Call a TRACE endpoint */
      TRACE(url, init) {
        return coreFetch(url, { ...init, method: "TRACE" });
      },
      /** Register middleware */
      use(...middleware) {
        for (const m of middleware) {
          if (!m) {
            continue;
          }
          if (typeof m !== "object" || !("onRequest" in m || "onResponse" in m || "onError" in m)) {
            throw new Error("Middleware must be an object with one of `onRequest()`, `onResponse() or `onError()`");
          }
          globalMiddlewares.push(m);
        }
      },
      /** Unregister middleware */
      eject(...middleware) {
        for (const m of middleware) {
          const i = globalMiddlewares.indexOf(m);
          if (i !== -1) {
            globalMiddlewares.splice(i, 1);
          }
        }
      }
    };
  }
  function serializePrimitiveParam(name, value, options) {
    if (value === void 0 || value === null) {
      return "";
    }
    if (typeof value === "object") {
      throw new Error(
        "Deeply-nested arrays/objects aren’t supported. Provide your own `querySerializer()` to handle these."
      );
    }
    return `${name}=${options?.allowReserved === true ? value : encodeURIComponent(value)}`;
  }
  function serializeObjectParam(name, value, options) {
    if (!value || typeof value !== "object") {
      return "";
    }
    const values = [];
    const joiner = {
      simple: ",",
      label: ".",
      matrix: ";"
    }[options.style] || "&";
    if (options.style !== "deepObject" && options.explode === false) {
      for (const k in value) {
        values.push(k, options.allowReserved === true ? value[k] : encodeURIComponent(value[k]));
      }
      const final2 = values.join(",");
      switch (options.style) {
        case "form": {
          return `${name}=${final2}`;
        }
        case "label": {
          return `.${final2}`;
        }
        case "matrix": {
          return `;${name}=${final2}`;
        }
        default: {
          return final2;
        }
      }
    }
    for (const k in value) {
      const finalName = options.style === "deepObject" ? `${name}[${k}]` : k;
      values.push(serializePrimitiveParam(finalName, value[k], options));
    }
    const final = values.join(joiner);
    return options.style === "label" || options.style === "matrix" ? `${joiner}${final}` : final;
  }
  function serializeArrayParam(name, value, options) {
    if (!Array.isArray(value)) {
      return "";
    }
    if (options.explode === false) {
      const joiner2 = { form: ",", spaceDelimited: "%20", pipeDelimited: "|" }[options.style] || ",";
      const final = (options.allowReserved === true ? value : value.map((v) => encodeURIComponent(v))).join(joiner2);
      switch (options.style) {
        case "simple": {
          return final;
        }
        case "label": {
          return `.${final}`;
        }
        case "matrix": {
          return `;${name}=${final}`;
        }
        // case "spaceDelimited":
        // case "pipeDelimited":
        default: {
          return `${name}=${final}`;
        }
      }
    }
    const joiner = { simple: ",", label: ".", matrix: ";" }[options.style] || "&";
    const values = [];
    for (const v of value) {
      if (options.style === "simple" || options.style === "label") {
        values.push(options.allowReserved === true ? v : encodeURIComponent(v));
      } else {
        values.push(serializePrimitiveParam(name, v, options));
      }
    }
    return options.style === "label" || options.style === "matrix" ? `${joiner}${values.join(joiner)}` : values.join(joiner);
  }
  function createQuerySerializer(options) {
    return function querySerializer(queryParams) {
      const search = [];
      if (queryParams && typeof queryParams === "object") {
        for (const name in queryParams) {
          const value = queryParams[name];
          if (value === void 0 || value === null) {
            continue;
          }
          if (Array.isArray(value)) {
            if (value.length === 0) {
              continue;
            }
            search.push(
              serializeArrayParam(name, value, {
                style: "form",
                explode: true,
                ...options?.array,
                allowReserved: options?.allowReserved || false
              })
            );
            continue;
          }
          if (typeof value === "object") {
            search.push(
              serializeObjectParam(name, value, {
                style: "deepObject",
                explode: true,
                ...options?.object,
                allowReserved: options?.allowReserved || false
              })
            );
            continue;
          }
          search.push(serializePrimitiveParam(name, value, options));
        }
      }
      return search.join("&");
    };
  }
  function defaultPathSerializer(pathname, pathParams) {
    let nextURL = pathname;
    for (const match of pathname.match(PATH_PARAM_RE) ?? []) {
      let name = match.substring(1, match.length - 1);
      let explode = false;
      let style = "simple";
      if (name.endsWith("*")) {
        explode = true;
        name = name.substring(0, name.length - 1);
      }
      if (name.startsWith(".")) {
        style = "label";
        name = name.substring(1);
      } else if (name.startsWith(";")) {
        style = "matrix";
        name = name.substring(1);
      }
      if (!pathParams || pathParams[name] === void 0 || pathParams[name] === null) {
        continue;
      }
      const value = pathParams[name];
      if (Array.isArray(value)) {
        nextURL = nextURL.replace(match, serializeArrayParam(name, value, { style, explode }));
        continue;
      }
      if (typeof value === "object") {
        nextURL = nextURL.replace(match, serializeObjectParam(name, value, { style, explode }));
        continue;
      }
      if (style === "matrix") {
        nextURL = nextURL.replace(match, `;${serializePrimitiveParam(name, value)}`);
        continue;
      }
      nextURL = nextURL.replace(match, style === "label" ? `.${encodeURIComponent(value)}` : encodeURIComponent(value));
    }
    return nextURL;
  }
  function defaultBodySerializer(body, headers) {
    if (body instanceof FormData) {
      return body;
    }
    if (headers) {
      const contentType = headers.get instanceof Function ? headers.get("Content-Type") ?? headers.get("content-type") : headers["Content-Type"] ?? headers["content-type"];
      if (contentType === "application/x-www-form-urlencoded") {
        return new URLSearchParams(body).toString();
      }
    }
    return JSON.stringify(body);
  }
  function createFinalURL(pathname, options) {
    let finalURL = `${options.baseUrl}${pathname}`;
    if (options.params?.path) {
      finalURL = options.pathSerializer(finalURL, options.params.path);
    }
    let search = options.querySerializer(options.params.query ?? {});
    if (search.startsWith("?")) {
      search = search.substring(1);
    }
    if (search) {
      finalURL += `?${search}`;
    }
    return finalURL;
  }
  function mergeHeaders(...allHeaders) {
    const finalHeaders = new Headers();
    for (const h of allHeaders) {
      if (!h || typeof h !== "object") {
        continue;
      }
      const iterator = h instanceof Headers ? h.entries() : Object.entries(h);
      for (const [k, v] of iterator) {
        if (v === null) {
          finalHeaders.delete(k);
        } else if (Array.isArray(v)) {
          for (const v2 of v) {
            finalHeaders.append(k, v2);
          }
        } else if (v !== void 0) {
          finalHeaders.set(k, v);
        }
      }
    }
    return finalHeaders;
  }
  function removeTrailingSlash(url) {
    if (url.endsWith("/")) {
      return url.substring(0, url.length - 1);
    }
    return url;
  }

  // src/errors.ts
  var HourglassApiError = class _HourglassApiError extends Error {
    constructor(status, code, message, retryAfterSeconds) {
      super(message);
      this.status = status;
      this.code = code;
      this.retryAfterSeconds = retryAfterSeconds;
    }
    status;
    code;
    retryAfterSeconds;
    name = "HourglassApiError";
    /** Reads the envelope of `response` (which is not ok). */
    static async from(response) {
      const retry = Number(response.headers.get("retry-after"));
      const retryAfter = Number.isFinite(retry) && retry > 0 ? retry : void 0;
      let code = "HTTP_ERROR";
      let message = `${response.status} ${response.statusText}`;
      try {
        const body = await response.clone().json();
        if (body && typeof body === "object" && "code" in body && typeof body.code === "string") {
          code = body.code;
          if ("message" in body && typeof body.message === "string") message = body.message;
        }
      } catch {
      }
      return new _HourglassApiError(response.status, code, message, retryAfter);
    }
  };
  var CommandError = class extends Error {
    constructor(code, message, requestId) {
      super(message);
      this.code = code;
      this.requestId = requestId;
    }
    code;
    requestId;
    name = "CommandError";
  };
  var SocketClosedError = class extends Error {
    constructor(reason, message) {
      super(message);
      this.reason = reason;
    }
    reason;
    name = "SocketClosedError";
  };

  // src/rest.ts
  async function tokenOf(source) {
    return typeof source === "function" ? source() : source;
  }
  var HourglassClient = class {
    /** The typed client: `api.GET`, `api.POST`, `api.PATCH`, `api.DELETE`. */
    api;
    constructor(options) {
      const base = options.baseUrl ?? (typeof location === "undefined" ? "" : location.origin);
      this.api = createClient({
        baseUrl: base.replace(/\/$/, ""),
        ...options.fetch ? { fetch: options.fetch } : {}
      });
      const token = options.token;
      this.api.use({
        async onRequest({ request }) {
          request.headers.set("Authorization", `Bearer ${await tokenOf(token)}`);
          return request;
        },
        async onResponse({ response }) {
          if (!response.ok) throw await HourglassApiError.from(response);
          return void 0;
        }
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
    async *paginate(path, init = {}) {
      const first = init;
      let cursor;
      for (; ; ) {
        const query = { ...first.params?.query ?? {}, ...cursor ? { cursor } : {} };
        const options = { ...first, params: { ...first.params ?? {}, query } };
        const get = this.api.GET;
        const { data, response } = await get(path, options);
        for (const item of data ?? []) yield item;
        const next = response.headers.get("x-next-cursor");
        if (!next) return;
        cursor = next;
      }
    }
  };

  // src/backoff.ts
  var Backoff = class {
    attempt = 0;
    initial;
    max;
    jitter;
    random;
    constructor(options = {}) {
      this.initial = options.initialDelayMs ?? 1e3;
      this.max = options.maxDelayMs ?? 3e4;
      this.jitter = Math.min(1, Math.max(0, options.jitter ?? 0.5));
      this.random = options.random ?? Math.random;
    }
    /** The delay before the next attempt; each call doubles the base, up to the cap. */
    next() {
      const base = Math.min(this.max, this.initial * 2 ** this.attempt);
      this.attempt += 1;
      return Math.round(base * (1 - this.jitter * this.random()));
    }
    /** Back to the first delay (after a connection that worked). */
    reset() {
      this.attempt = 0;
    }
    /** How many delays were handed out since the last reset. */
    get attempts() {
      return this.attempt;
    }
  };

  // src/emitter.ts
  var Emitter = class {
    listeners = /* @__PURE__ */ new Map();
    /** Calls `listener` for every `event`; returns the function that removes it. */
    on(event, listener) {
      let set = this.listeners.get(event);
      if (!set) {
        set = /* @__PURE__ */ new Set();
        this.listeners.set(event, set);
      }
      set.add(listener);
      return () => this.off(event, listener);
    }
    /** Calls `listener` for the next `event` only. */
    once(event, listener) {
      const off = this.on(event, (value) => {
        off();
        listener(value);
      });
      return off;
    }
    /** Removes `listener`. */
    off(event, listener) {
      this.listeners.get(event)?.delete(listener);
    }
    /** Resolves with the next `event` (for tests and scripts). */
    next(event) {
      return new Promise((resolve) => this.once(event, resolve));
    }
    emit(event, value) {
      for (const listener of [...this.listeners.get(event) ?? []]) {
        try {
          listener(value);
        } catch (error) {
          console.error(`hourglass: a ${String(event)} listener threw`, error);
        }
      }
    }
  };

  // src/socket.ts
  var PROTOCOL_VERSION = "hourglass.v1";
  var TERMINAL = { 1008: "unauthorized", 4001: "account-deleted" };
  var RETRY_AFTER = /retry after (\d+) s/;
  var OPEN = 1;
  function defaultRequestId() {
    const c = globalThis.crypto;
    if (c?.randomUUID) return c.randomUUID();
    return `${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 12)}`;
  }
  var TimerSocket = class extends Emitter {
    constructor(options) {
      super();
      this.options = options;
      this.backoff = new Backoff(options.backoff);
      const impl = options.WebSocket ?? globalThis.WebSocket;
      if (!impl) throw new Error("no WebSocket implementation: pass options.WebSocket");
      this.WebSocketImpl = impl;
      this.makeRequestId = options.requestId ?? defaultRequestId;
      this.commandTimeoutMs = options.commandTimeoutMs ?? 3e4;
    }
    options;
    ws;
    current = "idle";
    backoff;
    pending = /* @__PURE__ */ new Map();
    reconnectTimer;
    /** How many times the server said `connected` (more than one: this is a reconnection). */
    connections = 0;
    localTimers = /* @__PURE__ */ new Map();
    localFriends = /* @__PURE__ */ new Map();
    WebSocketImpl;
    makeRequestId;
    commandTimeoutMs;
    /** The connection's state. */
    get state() {
      return this.current;
    }
    /** The caller's RUNNING and PAUSED timers, by id (newest `version` of each). */
    get timers() {
      return this.localTimers;
    }
    /** Friends' visible active timers, by timer id. */
    get friends() {
      return this.localFriends;
    }
    /** The URL the socket connects to (no token in it: the token goes in the subprotocol). */
    get url() {
      const base = (this.options.baseUrl ?? (typeof location === "undefined" ? "" : location.origin)).replace(/\/$/, "").replace(/^http/, "ws");
      const zone = this.options.timezone ? `?timezone=${encodeURIComponent(this.options.timezone)}` : "";
      return `${base}/v1/ws/timers${zone}`;
    }
    /** Opens the connection (again, after a stop). */
    connect() {
      if (this.current === "connecting" || this.current === "open") return;
      this.clearReconnect();
      this.backoff.reset();
      void this.open();
    }
    /** Closes the connection for good; pending commands fail with [`SocketClosedError`]. */
    close() {
      this.stop("closed");
    }
    /** Starts a timer; resolves with `{timer, action: "start"}`. */
    createTimer(payload, options) {
      return this.command("timer.create", payload, options);
    }
    /** Pauses a running timer. */
    pauseTimer(timerId, options) {
      return this.command("timer.pause", { timer_id: timerId }, options);
    }
    /** Resumes a paused timer. */
    resumeTimer(timerId, options) {
      return this.command("timer.resume", { timer_id: timerId }, options);
    }
    /** Stops (completes) a timer. */
    stopTimer(timerId, options) {
      return this.command("timer.stop", { timer_id: timerId }, options);
    }
    /** Cancels a timer. */
    cancelTimer(timerId, options) {
      return this.command("timer.cancel", { timer_id: timerId }, options);
    }
    /** Re-reads the active timers (`scope: "all"`: the 200 newest); replaces `timers` for `active`. */
    sync(scope = "active") {
      return this.command("timer.sync", { scope });
    }
    /** Re-reads one timer. */
    syncTimer(timerId) {
      return this.command("timer.sync", { timer_id: timerId });
    }
    /**
     * Sends any client message and resolves with its reply's payload, or rejects with a
     * [`CommandError`] (the server's `error`) or a [`SocketClosedError`].
     */
    command(type, payload, options = {}) {
      if (this.current === "stopped") {
        return Promise.reject(new SocketClosedError("closed", "the socket is stopped: call connect()"));
      }
      const requestId = options.requestId ?? this.makeRequestId();
      const frame = JSON.stringify({ type, payload, request_id: requestId });
      return new Promise((resolve, reject) => {
        const timeout = setTimeout(() => {
          this.pending.delete(requestId);
          reject(new SocketClosedError("timeout", `no reply to ${type} (${requestId}) in time`));
        }, this.commandTimeoutMs);
        this.pending.set(requestId, {
          type,
          frame,
          resolve,
          reject,
          timeout,
          sent: false
        });
        this.flush();
      });
    }
    // ---- the connection ----------------------------------------------------------------------
    setState(state) {
      if (this.current === state) return;
      this.current = state;
      this.emit("state", state);
    }
    async open() {
      this.setState(this.connections > 0 ? "reconnecting" : "connecting");
      let token;
      try {
        token = await tokenOf(this.options.token);
      } catch (error) {
        this.stop("unauthorized", void 0, `the token source failed: ${String(error)}`);
        return;
      }
      if (this.current === "stopped") return;
      const ws = new this.WebSocketImpl(this.url, [`authorization.bearer.${token}`, PROTOCOL_VERSION]);
      this.ws = ws;
      ws.onmessage = (event) => {
        if (this.ws === ws && typeof event.data === "string") this.receive(event.data);
      };
      ws.onclose = (event) => {
        if (this.ws === ws) this.closed(event.code, event.reason);
      };
      ws.onerror = () => void 0;
    }
    closed(code, reason) {
      this.ws = void 0;
      for (const pending of this.pending.values()) pending.sent = false;
      const terminal = TERMINAL[code];
      if (terminal) {
        this.emit("close", { code, reason });
        this.stop(terminal, code, reason);
        return;
      }
      if (this.current === "stopped") return;
      let delay = this.backoff.next();
      const asked = RETRY_AFTER.exec(reason);
      if (code === 4029 && asked) delay = Math.max(delay, Number(asked[1]) * 1e3);
      this.setState("reconnecting");
      this.emit("close", { code, reason, retryInMs: delay });
      this.reconnectTimer = setTimeout(() => {
        this.reconnectTimer = void 0;
        void this.open();
      }, delay);
    }
    stop(reason, code, detail) {
      if (this.current === "stopped") return;
      this.clearReconnect();
      const ws = this.ws;
      this.ws = void 0;
      if (ws && ws.readyState <= OPEN) ws.close(1e3, "bye");
      this.setState("stopped");
      for (const [id, pending] of this.pending) {
        clearTimeout(pending.timeout);
        pending.reject(new SocketClosedError(reason, `${pending.type} (${id}) not answered: ${reason}`));
      }
      this.pending.clear();
      this.emit("stopped", { reason, ...code === void 0 ? {} : { code }, ...detail ? { detail } : {} });
    }
    clearReconnect() {
      if (this.reconnectTimer !== void 0) clearTimeout(this.reconnectTimer);
      this.reconnectTimer = void 0;
    }
    /** Writes every pending command not yet written on this connection, oldest first. */
    flush() {
      const ws = this.ws;
      if (!ws || this.current !== "open" || ws.readyState !== OPEN) return;
      for (const pending of this.pending.values()) {
        if (pending.sent) continue;
        pending.sent = true;
        this.emit("frame", { direction: "out", data: pending.frame, at: Date.now() });
        ws.send(pending.frame);
      }
    }
    receive(data) {
      this.emit("frame", { direction: "in", data, at: Date.now() });
      let message;
      try {
        message = JSON.parse(data);
      } catch {
        return;
      }
      this.apply(message);
      this.emit("message", message);
      this.emit(message.type, message);
      this.answer(message);
    }
    /** Resolves or rejects the command a reply names. */
    answer(message) {
      const requestId = "request_id" in message ? message.request_id : void 0;
      if (!requestId) return;
      const pending = this.pending.get(requestId);
      if (!pending) return;
      this.pending.delete(requestId);
      clearTimeout(pending.timeout);
      if (message.type === "error") {
        pending.reject(new CommandError(message.payload.code, message.payload.message, requestId));
      } else {
        pending.resolve(message.payload);
      }
    }
    /** Keeps `timers` and `friends` in step with a server message. */
    apply(message) {
      switch (message.type) {
        case "connected": {
          this.connections += 1;
          const reconnected = this.connections > 1;
          this.backoff.reset();
          this.setState("open");
          this.emit("open", { userId: message.payload.user_id, reconnected });
          this.flush();
          return;
        }
        case "timer.sync_result": {
          const requested = message.request_id ? this.pending.get(message.request_id) : void 0;
          if (requested && requested.frame.includes('"scope":"all"')) return;
          this.localTimers.clear();
          for (const timer of message.payload.timers) this.localTimers.set(timer.id, timer);
          this.emit("timers", this.localTimers);
          if (!message.request_id) {
            this.emit("resync", { timers: message.payload.timers, reconnected: this.connections > 1 });
          }
          return;
        }
        case "timer.friends_snapshot": {
          this.localFriends.clear();
          for (const item of message.payload.friends) this.localFriends.set(item.timer.id, friendView(item));
          this.emit("friends", this.localFriends);
          return;
        }
        case "timer.friend_activity": {
          this.applyActivity(message.payload);
          return;
        }
        case "timer.created":
        case "timer.updated":
        case "timer.time_up": {
          const timer = message.payload.timer;
          const known = this.localTimers.get(timer.id);
          if (known && known.version > timer.version) return;
          if (timer.status === "RUNNING" || timer.status === "PAUSED") this.localTimers.set(timer.id, timer);
          else this.localTimers.delete(timer.id);
          this.emit("timers", this.localTimers);
          return;
        }
        case "timer.deleted": {
          if (this.localTimers.delete(message.payload.timer_id)) this.emit("timers", this.localTimers);
          return;
        }
        case "error":
          return;
      }
    }
    applyActivity(activity) {
      switch (activity.action) {
        case "start":
        case "pause":
        case "resume": {
          const known = this.localFriends.get(activity.timer_id);
          this.localFriends.set(activity.timer_id, {
            ...known ?? {},
            friendId: activity.friend_id,
            displayName: activity.display_name,
            timerId: activity.timer_id,
            title: activity.timer_title,
            lastAction: activity.action
          });
          break;
        }
        case "stop":
        case "cancel":
        case "hidden":
          this.localFriends.delete(activity.timer_id);
          break;
      }
      this.emit("friends", this.localFriends);
    }
  };
  function friendView(item) {
    return {
      friendId: String(item.friend.id),
      displayName: item.friend.nickname,
      timerId: item.timer.id,
      title: item.timer.title,
      lastAction: "snapshot",
      timer: item.timer
    };
  }

  // src/generated/protocol.ts
  var CLIENT_MESSAGE_TYPES = [
    "timer.create",
    "timer.pause",
    "timer.resume",
    "timer.stop",
    "timer.cancel",
    "timer.sync"
  ];
  var SERVER_MESSAGE_TYPES = [
    "connected",
    "timer.created",
    "timer.updated",
    "timer.deleted",
    "timer.time_up",
    "timer.sync_result",
    "timer.friends_snapshot",
    "timer.friend_activity",
    "error"
  ];
  var WS_ERROR_CODES = [
    "INVALID_MESSAGE",
    "UNKNOWN_TYPE",
    "TIMER_NOT_FOUND",
    "CREATE_FAILED",
    "PAUSE_FAILED",
    "RESUME_FAILED",
    "STOP_FAILED",
    "CANCEL_FAILED",
    "SYNC_FAILED",
    "RATE_LIMIT_EXCEEDED",
    "SERVICE_UNAVAILABLE",
    "INTERNAL_ERROR"
  ];
  var CLOSE_CODES = {
    1e3: { meaning: "normal closure (answer to the client's close)", action: "reconnect if needed" },
    1001: { meaning: "server shutting down, or no answer to pings for WS_CLIENT_TIMEOUT_SECONDS", action: "reconnect with backoff" },
    1002: { meaning: "a WebSocket protocol error", action: "fix the client" },
    1006: { meaning: "the connection dropped without a close frame (network error; never sent by the server)", action: "reconnect with backoff" },
    1007: { meaning: "a text message that is not valid UTF-8", action: "fix the client" },
    1008: { meaning: "missing, invalid or expired token", action: "refresh the token, then reconnect" },
    1009: { meaning: "a message larger than 64 KiB", action: "fix the client" },
    1011: { meaning: "authentication could not be checked (key source or database unavailable)", action: "reconnect with backoff" },
    1013: { meaning: "the client stopped reading and its outbound queue filled", action: "reconnect, read faster" },
    4001: { meaning: "account deleted", action: "do not reconnect; sign in again" },
    4029: { meaning: "more than WS_CONNECT_MAX connections in WS_CONNECT_WINDOW for this user", action: "reconnect with backoff" }
  };
  var NOTIFICATION_EVENTS = [
    "connect",
    "notification",
    "unread-count",
    "notification-read",
    "notification-deleted",
    "heartbeat",
    "account-deleted",
    "evicted"
  ];
  var TEXT_EVENTS = [
    "connect",
    "heartbeat"
  ];

  // src/notifications.ts
  var CLOSED = 2;
  var NotificationStream = class extends Emitter {
    constructor(options) {
      super();
      this.options = options;
      this.last = options.lastEventId;
      this.backoff = new Backoff(options.backoff);
      this.livenessTimeoutMs = options.livenessTimeoutMs ?? 6e4;
      const impl = options.EventSource ?? globalThis.EventSource;
      if (!impl) throw new Error("no EventSource implementation: pass options.EventSource");
      this.EventSourceImpl = impl;
    }
    options;
    source;
    current = "idle";
    last;
    unread;
    lastEventAt = 0;
    /** How many EventSources this stream opened (more than one: a reconnection). */
    opened = 0;
    alive = false;
    watchdog;
    reopenTimer;
    backoff;
    EventSourceImpl;
    livenessTimeoutMs;
    /** The stream's state. */
    get state() {
      return this.current;
    }
    /** The id of the newest notification seen (what a resume starts after). */
    get lastEventId() {
      return this.last;
    }
    /** The latest `unread-count`. */
    get unreadCount() {
      return this.unread;
    }
    /** Opens the stream (again, after a stop). */
    start() {
      if (this.current === "connecting" || this.current === "open") return;
      this.backoff.reset();
      void this.open();
    }
    /** Closes the stream for good. */
    close() {
      this.stop("closed");
    }
    base() {
      return (this.options.baseUrl ?? (typeof location === "undefined" ? "" : location.origin)).replace(/\/$/, "");
    }
    setState(state) {
      if (this.current === state) return;
      this.current = state;
      this.emit("state", state);
    }
    async open() {
      this.setState(this.opened > 0 ? "reconnecting" : "connecting");
      let token;
      try {
        token = await tokenOf(this.options.token);
      } catch (error) {
        this.stop("unauthorized", `the token source failed: ${String(error)}`);
        return;
      }
      if (this.current === "stopped") return;
      const query = new URLSearchParams({ accessToken: token });
      if (this.options.timezone) query.set("timezone", this.options.timezone);
      if (this.last !== void 0) query.set("lastEventId", String(this.last));
      const source = new this.EventSourceImpl(`${this.base()}/api/v1/notifications/subscribe?${query}`);
      this.source = source;
      this.opened += 1;
      source.onopen = () => {
        if (this.source !== source) return;
        this.backoff.reset();
        this.setState("open");
        this.beat();
      };
      source.onerror = () => {
        if (this.source === source) void this.failed(source);
      };
      for (const event of NOTIFICATION_EVENTS) {
        source.addEventListener(event, (e) => {
          if (this.source === source) this.receive(event, e.data, e.lastEventId);
        });
      }
    }
    receive(event, data, id) {
      this.emit("frame", { event, data, ...id ? { lastEventId: id } : {}, at: Date.now() });
      this.beat();
      let value;
      try {
        value = TEXT_EVENTS.includes(event) ? data : JSON.parse(data);
      } catch {
        return;
      }
      switch (event) {
        case "notification": {
          const notification = value;
          if (this.last !== void 0 && notification.id <= this.last) return;
          this.last = notification.id;
          break;
        }
        case "unread-count":
          this.unread = value.unreadCount;
          break;
      }
      this.emit(event, value);
      if (event === "account-deleted") this.stop("account-deleted");
      if (event === "evicted") this.stop("evicted");
    }
    /** Something came: the stream is alive; re-arm the watchdog. */
    beat() {
      this.lastEventAt = Date.now();
      if (!this.alive) {
        this.alive = true;
        this.emit("liveness", { alive: true, lastEventAt: this.lastEventAt });
      }
      if (this.watchdog !== void 0) clearTimeout(this.watchdog);
      this.watchdog = setTimeout(() => this.silent(), this.livenessTimeoutMs);
    }
    silent() {
      this.watchdog = void 0;
      if (this.current === "stopped") return;
      this.alive = false;
      this.emit("liveness", { alive: false, lastEventAt: this.lastEventAt });
      this.source?.close();
      this.source = void 0;
      this.scheduleReopen();
    }
    /**
     * The EventSource reported an error. While it is CONNECTING the browser retries by itself
     * (after `retry:`), sending `Last-Event-ID`: leave it alone. CLOSED means the browser gave up
     * (a non-200 answer): ask the API whether the token is the problem before opening a new one.
     */
    async failed(source) {
      if (this.alive) {
        this.alive = false;
        this.emit("liveness", { alive: false, lastEventAt: this.lastEventAt });
      }
      if (source.readyState !== CLOSED) {
        this.setState("reconnecting");
        return;
      }
      source.close();
      this.source = void 0;
      const verdict = await this.checkToken();
      if (this.current === "stopped") return;
      if (verdict) {
        this.stop(verdict.reason, verdict.detail);
        return;
      }
      this.scheduleReopen();
    }
    /** `unauthorized`/`account-deleted` when `/api/v1/users/me` refuses the token; else nothing. */
    async checkToken() {
      const fetchImpl = this.options.fetch ?? globalThis.fetch;
      if (!fetchImpl) return void 0;
      try {
        const token = await tokenOf(this.options.token);
        const response = await fetchImpl(`${this.base()}/api/v1/users/me`, {
          headers: { Authorization: `Bearer ${token}` }
        });
        if (response.status !== 401) return void 0;
        const body = await response.json().catch(() => ({}));
        return {
          reason: body.code === "ACCOUNT_DELETED" ? "account-deleted" : "unauthorized",
          detail: body.message ?? "token refused"
        };
      } catch {
        return void 0;
      }
    }
    scheduleReopen() {
      if (this.current === "stopped" || this.reopenTimer !== void 0) return;
      this.setState("reconnecting");
      this.reopenTimer = setTimeout(() => {
        this.reopenTimer = void 0;
        void this.open();
      }, this.backoff.next());
    }
    stop(reason, detail) {
      if (this.current === "stopped") return;
      this.source?.close();
      this.source = void 0;
      if (this.watchdog !== void 0) clearTimeout(this.watchdog);
      if (this.reopenTimer !== void 0) clearTimeout(this.reopenTimer);
      this.watchdog = void 0;
      this.reopenTimer = void 0;
      this.setState("stopped");
      this.emit("stopped", { reason, ...detail ? { detail } : {} });
    }
  };

  // src/timezone.ts
  var OFFSET = /^[+-](0\d|1[0-4]):[0-5]\d$/;
  var IANA = /^(Africa|America|Antarctica|Arctic|Asia|Atlantic|Australia|Europe|Indian|Pacific|Etc)\/[A-Za-z0-9_+\-/]+$/;
  function isTimeZone(value) {
    return value === "UTC" || value === "Z" || OFFSET.test(value) || IANA.test(value);
  }
  function localTimeZone() {
    const zone = Intl.DateTimeFormat().resolvedOptions().timeZone;
    return zone && isTimeZone(zone) ? zone : "UTC";
  }
  return __toCommonJS(index_exports);
})();
