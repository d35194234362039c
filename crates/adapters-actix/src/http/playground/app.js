// The playground's script: plain JavaScript over the SDK bundle (`window.Hourglass`, built from
// clients/typescript). Two TimerSockets of one user side by side, friends' activity, the
// notification stream and every raw frame. No inline handlers: the page's CSP allows none.
'use strict';

(() => {
  const H = window.Hourglass;
  const $ = (id) => document.getElementById(id);
  const MAX_LOG = 200;

  /** Builds an element; `attrs` may hold `class`, `dataset` and plain attributes. */
  function el(tag, attrs = {}, ...children) {
    const node = document.createElement(tag);
    for (const [key, value] of Object.entries(attrs)) {
      if (key === 'class') node.className = value;
      else if (key === 'dataset') Object.assign(node.dataset, value);
      else if (key === 'on') for (const [event, fn] of Object.entries(value)) node.addEventListener(event, fn);
      else node.setAttribute(key, value);
    }
    for (const child of children) if (child !== null && child !== undefined) node.append(child);
    return node;
  }

  function prepend(list, item) {
    list.prepend(item);
    while (list.children.length > MAX_LOG) list.lastElementChild.remove();
  }

  function say(text, bad = false) {
    const status = $('auth-status');
    status.textContent = text;
    status.dataset.error = bad ? 'true' : 'false';
  }

  function clock(seconds) {
    const s = Math.max(0, Math.floor(seconds));
    const two = (n) => String(n).padStart(2, '0');
    return `${two(Math.floor(s / 3600))}:${two(Math.floor((s % 3600) / 60))}:${two(s % 60)}`;
  }

  async function devToken(name) {
    const response = await fetch('/playground/token', {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ name }),
    });
    if (response.status === 404) {
      throw new Error('development tokens are off: start the server with PLAYGROUND_DEV_TOKENS=true (see docs/configuration.md), or paste a token');
    }
    const body = await response.json();
    if (!response.ok) throw new Error(`${body.code}: ${body.message}`);
    return body.token;
  }

  /** One device pane: a TimerSocket rendered into `timers-<key>`, with its create form. */
  class Device {
    constructor(key, label, token, timezone, frames) {
      this.key = key;
      this.label = label;
      this.socket = new H.TimerSocket({ token, ...(timezone ? { timezone } : {}) });
      this.seenAt = new Map();
      const status = $(`status-${key}`);
      this.socket.on('state', (state) => {
        status.textContent = state;
        status.className = `state ${state}`;
      });
      this.socket.on('frame', (frame) => frames(label, frame.direction, frame.data));
      this.socket.on('timers', () => this.render());
      this.socket.on('stopped', (e) => say(`${label}: stopped (${e.reason}${e.detail ? `: ${e.detail}` : ''})`, e.reason !== 'closed'));
      this.socket.on('timer.time_up', (m) => say(`${label}: time is up for "${m.payload.timer.title ?? 'untitled'}"`));
      this.onSubmit = (event) => {
        event.preventDefault();
        const payload = {
          allocated_duration: Number($(`duration-${key}`).value),
          title: $(`title-${key}`).value || null,
          visibility: $(`visibility-${key}`).value,
        };
        this.run(this.socket.createTimer(payload));
      };
      $(`create-${key}`).addEventListener('submit', this.onSubmit);
      this.socket.connect();
    }

    run(promise) {
      promise.catch((error) => say(`${this.label}: ${error.code ?? error.name}: ${error.message}`, true));
    }

    render() {
      const list = $(`timers-${this.key}`);
      const now = Date.now();
      const items = [];
      for (const timer of [...this.socket.timers.values()].sort((a, b) => b.created_at.localeCompare(a.created_at))) {
        const seen = this.seenAt.get(timer.id);
        if (!seen || seen.version !== timer.version) this.seenAt.set(timer.id, { version: timer.version, at: now });
        const at = this.seenAt.get(timer.id).at;
        const elapsed = timer.elapsed_time + (timer.status === 'RUNNING' ? (now - at) / 1000 : 0);
        const action = (name, fn) => el('button', { type: 'button', dataset: { action: name }, on: { click: () => this.run(fn(timer.id)) } }, name);
        items.push(el('li', { dataset: { timerId: timer.id, status: timer.status, version: String(timer.version) } },
          el('span', { class: 'title' }, timer.title ?? 'untitled', ' ', el('span', { class: `state ${timer.status}` }, timer.status)),
          el('span', { class: 'clock' }, clock(elapsed)),
          el('span', { class: 'meta' }, `of ${clock(timer.allocated_duration)} · v${timer.version} · ${timer.visibility}${elapsed > timer.allocated_duration ? ' · overtime' : ''}`),
          el('span', {}),
          el('span', { class: 'actions' },
            timer.status === 'RUNNING' ? action('pause', (id) => this.socket.pauseTimer(id)) : action('resume', (id) => this.socket.resumeTimer(id)),
            action('stop', (id) => this.socket.stopTimer(id)),
            action('cancel', (id) => this.socket.cancelTimer(id)))));
      }
      list.replaceChildren(...items);
    }

    close() {
      $(`create-${this.key}`).removeEventListener('submit', this.onSubmit);
      this.socket.close();
    }
  }

  let session = null;

  function frames(who, direction, data) {
    prepend($('frames'), el('li', { class: direction }, el('span', { class: 'who' }, `${who} `), data));
  }

  function teardown() {
    if (!session) return;
    session.a.close();
    session.b.close();
    session.stream.close();
    session.friend?.socket.close();
    session = null;
  }

  function connect(token, timezone) {
    teardown();
    const client = new H.HourglassClient({ token });
    const a = new Device('a', 'A', token, timezone, frames);
    const b = new Device('b', 'B', token, timezone, frames);
    const stream = new H.NotificationStream({ token, ...(timezone ? { timezone } : {}) });
    session = { token, timezone, client, a, b, stream, friend: null };
    window.playground = session;

    a.socket.on('friends', renderFriends);
    a.socket.on('timer.friend_activity', (m) => {
      const p = m.payload;
      prepend($('activity'), el('li', { dataset: { action: p.action, timerId: p.timer_id } },
        `${new Date().toLocaleTimeString()} ${p.display_name} ${p.action} "${p.timer_title ?? 'untitled'}"`));
    });

    const unread = $('unread');
    stream.on('frame', (f) => frames('SSE', 'sse', `event: ${f.event}${f.event === 'notification' ? ` id: ${f.lastEventId}` : ''}\n${f.data}`));
    stream.on('unread-count', (c) => {
      unread.textContent = String(c.unreadCount);
      unread.dataset.count = String(c.unreadCount);
    });
    stream.on('notification', (n) => {
      prepend($('notifications'), el('li', { class: n.isRead ? '' : 'unread', dataset: { id: String(n.id), type: n.type } },
        `#${n.id} ${n.type}: ${n.message}`));
    });
    stream.on('notification-read', (e) => {
      for (const id of e.ids) $('notifications').querySelector(`[data-id="${id}"]`)?.classList.remove('unread');
    });
    stream.on('notification-deleted', (e) => {
      for (const id of e.ids) $('notifications').querySelector(`[data-id="${id}"]`)?.remove();
    });
    stream.on('state', (state) => {
      $('stream-state').textContent = state;
      $('stream-state').className = `state ${state}`;
    });
    stream.on('liveness', (l) => { $('liveness').textContent = l.alive ? 'alive' : 'silent'; });
    stream.on('stopped', (e) => say(`notifications: stopped (${e.reason})`, e.reason !== 'closed'));
    stream.start();
    say('connected: two devices, the notification stream, and friends\' activity below');
  }

  function renderFriends() {
    const items = [...session.a.socket.friends.values()].map((f) =>
      el('li', { dataset: { timerId: f.timerId, friendId: f.friendId } },
        el('strong', {}, f.displayName), ` — ${f.title ?? 'untitled'} `,
        el('span', { class: `state ${f.timer?.status ?? ''}` }, f.lastAction)));
    $('friends').replaceChildren(...items);
  }

  async function makeFriend() {
    if (!session) throw new Error('connect first');
    const name = `${$('dev-name').value || 'dev'}-friend`.slice(0, 32);
    const token = await devToken(name);
    const them = new H.HourglassClient({ token });
    const { data: me } = await session.client.api.GET('/api/v1/users/me');
    const { data: friend } = await them.api.GET('/api/v1/users/me');
    await session.client.api.POST('/api/v1/users/{id}/follow', { params: { path: { id: friend.id } } });
    await them.api.POST('/api/v1/users/{id}/follow', { params: { path: { id: me.id } } });
    const socket = new H.TimerSocket({ token });
    session.friend = { socket };
    socket.connect();
    await socket.createTimer({ allocated_duration: 900, title: `${friend.nickname}'s deep work`, visibility: 'friends' });
    say(`${friend.nickname} is now your friend and started a timer`);
  }

  function guard(fn) {
    return (event) => {
      event?.preventDefault?.();
      Promise.resolve().then(fn).catch((error) => say(error.message ?? String(error), true));
    };
  }

  function timezone() {
    const zone = $('timezone').value.trim();
    if (zone && !H.isTimeZone(zone)) throw new Error(`"${zone}" is not UTC, Z, an offset like +09:00 or an IANA name`);
    return zone || undefined;
  }

  $('auth').addEventListener('submit', guard(() => {
    const token = $('token').value.trim();
    if (!token) throw new Error('paste a token first');
    connect(token, timezone());
  }));
  $('dev-token').addEventListener('click', guard(async () => {
    const token = await devToken($('dev-name').value.trim() || 'dev');
    $('token').value = token;
    connect(token, timezone());
  }));
  $('make-friend').addEventListener('click', guard(makeFriend));
  $('test-notification').addEventListener('click', guard(async () => {
    if (!session) throw new Error('connect first');
    await session.client.api.GET('/api/v1/notifications/test');
  }));
  $('read-all').addEventListener('click', guard(async () => {
    if (!session) throw new Error('connect first');
    await session.client.api.PATCH('/api/v1/notifications/read-all');
  }));
  $('clear-frames').addEventListener('click', () => $('frames').replaceChildren());
  // The clocks tick locally between messages.
  setInterval(() => {
    if (!session) return;
    session.a.render();
    session.b.render();
  }, 1000);
})();
