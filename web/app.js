// web/app.js — the chat page's client: speaks the Centrifuge JSON protocol
// directly over the browser WebSocket (no SDK, no build step). Connects
// anonymously, answers server pings, batches nothing, matches replies by id,
// joins one room at a time (history, live publications, presence with
// join/leave), and reconnects with backoff, recovering missed messages.
'use strict';
(() => {
  const $ = (id) => document.getElementById(id);
  const wsUrl = `${location.protocol === 'https:' ? 'wss' : 'ws'}://${location.host}/connection/websocket`;
  let ws = null;
  let nextId = 1;
  const pending = new Map();          // id -> {resolve, reject}
  let room = null;                    // current channel
  let position = null;                // {offset, epoch} in the current room
  const members = new Map();          // client id -> name
  let backoff = 500;

  function status(text, cls) { const s = $('status'); s.textContent = text; s.className = `status ${cls || ''}`; }

  function send(cmd) {
    return new Promise((resolve, reject) => {
      if (!ws || ws.readyState !== WebSocket.OPEN) { reject(new Error('not connected')); return; }
      const id = nextId++;
      pending.set(id, { resolve, reject });
      ws.send(JSON.stringify({ id, ...cmd }));
    });
  }

  function nickOf(info, data) {
    if (data && typeof data.nick === 'string' && data.nick) return data.nick;
    return info && info.user ? info.user : 'guest';
  }

  function addMessage(data, info, system) {
    const li = document.createElement('li');
    li.className = system ? 'msg system' : 'msg';
    if (system) {
      li.textContent = data;
    } else {
      const n = document.createElement('span');
      n.className = 'nick';
      n.textContent = nickOf(info, data);
      const t = document.createElement('span');
      t.className = 'text';
      t.textContent = data && typeof data.text === 'string' ? data.text : JSON.stringify(data);
      li.append(n, t);
    }
    const list = $('messages');
    const stick = list.scrollTop + list.clientHeight >= list.scrollHeight - 20;
    list.append(li);
    while (list.children.length > 500) list.firstChild.remove();
    if (stick) list.scrollTop = list.scrollHeight;
  }

  function renderPresence() {
    const ul = $('presence');
    ul.replaceChildren();
    for (const [client, name] of members) {
      const li = document.createElement('li');
      li.className = 'member';
      li.textContent = name;
      li.dataset.client = client;
      ul.append(li);
    }
    $('presence-count').textContent = String(members.size);
  }

  function onPush(push) {
    if (push.channel !== room) return;
    if (push.pub) {
      if (push.pub.offset) position = { ...(position || {}), offset: push.pub.offset };
      addMessage(push.pub.data, push.pub.info, false);
    } else if (push.join) {
      members.set(push.join.info.client, push.join.info.user || 'guest');
      renderPresence();
    } else if (push.leave) {
      members.delete(push.leave.info.client);
      renderPresence();
    } else if (push.unsubscribe) {
      if (push.unsubscribe.code >= 2500) subscribe(room, true); // resubscribe and recover
      else addMessage(`left ${room}: ${push.unsubscribe.reason}`, null, true);
    }
  }

  function onMessage(ev) {
    for (const line of String(ev.data).split('\n')) {
      if (!line) continue;
      let m;
      try { m = JSON.parse(line); } catch { continue; }
      if (!m.id && !m.push) { ws.send('{}'); continue; } // server ping -> pong
      if (m.push) { onPush(m.push); continue; }
      const p = pending.get(m.id);
      if (!p) continue;
      pending.delete(m.id);
      if (m.error) p.reject(Object.assign(new Error(m.error.message), { code: m.error.code }));
      else p.resolve(m);
    }
  }

  async function refreshPresence(ch) {
    try {
      const r = await send({ presence: { channel: ch } });
      if (ch !== room) return;
      members.clear();
      for (const [client, info] of Object.entries(r.presence.presence || {})) members.set(client, info.user || 'guest');
      renderPresence();
    } catch { /* presence may be off in this namespace */ }
  }

  async function subscribe(ch, recover) {
    const req = { channel: ch, recoverable: true, join_leave: true };
    if (recover && position && position.epoch) Object.assign(req, { recover: true, offset: position.offset, epoch: position.epoch });
    const r = await send({ subscribe: req });
    const res = r.subscribe || {};
    if (recover && res.recovered) {
      for (const p of res.publications || []) addMessage(p.data, p.info, false);
    } else {
      $('messages').replaceChildren();
      try {
        const h = await send({ history: { channel: ch, limit: 50, reverse: true } });
        for (const p of (h.history.publications || []).slice().reverse()) addMessage(p.data, p.info, false);
      } catch { /* no history in this namespace */ }
    }
    position = { offset: res.offset || 0, epoch: res.epoch || '' };
    if (res.publications && res.recovered && res.publications.length) position.offset = res.publications[res.publications.length - 1].offset;
    await refreshPresence(ch);
  }

  async function join(ch) {
    ch = ch.trim();
    if (!ch || ch === room) return;
    const old = room;
    room = ch;
    position = null;
    $('room-title').textContent = ch;
    members.clear();
    renderPresence();
    if (old) send({ unsubscribe: { channel: old } }).catch(() => {});
    try { await subscribe(ch, false); } catch (e) { addMessage(`cannot join ${ch}: ${e.message}`, null, true); }
  }

  function connect() {
    status('connecting…');
    ws = new WebSocket(wsUrl);
    ws.onmessage = onMessage;
    ws.onopen = async () => {
      try {
        await send({ connect: { name: 'hearth-web' } });
        backoff = 500;
        status('connected', 'ok');
        if (room) await subscribe(room, true);
        else await join($('room').value);
      } catch (e) { status(`connect failed: ${e.message}`, 'bad'); }
    };
    ws.onclose = (ev) => {
      for (const p of pending.values()) p.reject(new Error('disconnected'));
      pending.clear();
      const terminal = (ev.code >= 3500 && ev.code < 4000) || ev.code >= 4500;
      status(`disconnected (${ev.code}${ev.reason ? ' ' + ev.reason : ''})`, 'bad');
      if (terminal) return;
      setTimeout(connect, backoff + Math.random() * backoff);
      backoff = Math.min(backoff * 2, 15000);
    };
  }

  $('join').addEventListener('click', () => join($('room').value));
  for (const b of document.querySelectorAll('.preset')) {
    b.addEventListener('click', () => { $('room').value = b.dataset.room; join(b.dataset.room); });
  }
  $('composer').addEventListener('submit', async (e) => {
    e.preventDefault();
    const text = $('text').value.trim();
    if (!text || !room) return;
    $('text').value = '';
    try {
      await send({ publish: { channel: room, data: { text, nick: $('nick').value.trim() || 'guest' } } });
    } catch (err) { addMessage(`not sent: ${err.message}`, null, true); }
  });
  connect();
})();
