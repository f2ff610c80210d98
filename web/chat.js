// web/chat.js — one chat room on a page (the member's room and the host's
// console both mount it): history on open and recovery after a drop (every
// entry keyed by its offset, so nothing shows twice and nothing is skipped),
// messages with replies, edits, deletes, reactions, mentions and pins, the
// typing line, presence (a roster in small rooms, a count in big ones), the
// composer, and sentences for refusals (held, slow mode, muted, banned).
// Publications that are not chat (polls, Q&A, stage, live reactions) go to
// opts.onOther. Builds its own DOM inside `root`.
import { el, me, isStaff, rpc, sentence, closeSentence, fmtTime } from './common.js';

const REACTIONS = ['👍', '❤️', '😂', '🎉'];
const ROSTER_MAX = 50;
const MENTION = /(^|[^A-Za-z0-9_.-])@([A-Za-z0-9_.-]{1,64})/g;

export function mountChat(c, root, opts = {}) {
  const ui = {
    title: el('h2', { id: 'room-title' }),
    notice: el('p', { id: 'notice', class: 'notice', role: 'status', 'aria-live': 'polite' }),
    pins: el('div', { id: 'pins', class: 'pins', 'aria-label': 'Pinned messages' }),
    list: el('ol', { id: 'messages', class: 'messages', 'aria-live': 'polite', 'aria-label': 'Messages' }),
    typing: el('p', { id: 'typing', class: 'typing' }),
    replying: el('div', { id: 'replying', class: 'replying', hidden: true }),
    text: el('input', { id: 'text', autocomplete: 'off', maxlength: '2000', placeholder: 'Say something… (@name to mention)', 'aria-label': 'Message' }),
    send: el('button', { id: 'send', type: 'submit' }, 'Send'),
  };
  const form = el('form', { id: 'composer', class: 'composer' }, ui.replying, el('div', { class: 'row' }, ui.text, ui.send));
  root.replaceChildren(ui.title, ui.notice, ui.pins, ui.list, ui.typing, form);
  const presence = opts.presenceRoot;

  let channel = null;
  let sub = null;
  const msgs = new Map();     // offset -> {data, info, li}
  const mine = new Map();     // offset -> Set of emoji I reacted with
  let pins = [];
  const members = new Map();  // client -> user
  let mode = null;            // {kind: 'reply'|'edit', offset}
  let lastTyping = 0;
  let slowUntil = 0;
  let big = false;            // a big room: a live count, no roster
  let bigCount = 0;
  let statsTimer = null;

  const notice = (text, kind = 'info') => { ui.notice.textContent = text; ui.notice.dataset.kind = kind; };

  // ---- rendering -------------------------------------------------------
  function textWithMentions(text) {
    const out = [];
    let at = 0;
    for (const m of text.matchAll(MENTION)) {
      const start = m.index + m[1].length;
      out.push(text.slice(at, start));
      out.push(el('span', { class: m[2] === me ? 'mention me' : 'mention' }, `@${m[2]}`));
      at = start + 1 + m[2].length;
    }
    out.push(text.slice(at));
    return out;
  }
  const author = (info) => (info && info.user) || 'guest';
  const canModerate = () => isStaff || opts.staff;

  function renderMsg(off) {
    const m = msgs.get(off);
    const d = m.data;
    const li = el('li', { class: 'msg', tabindex: '0', dataset: { offset: String(off), user: author(m.info) } });
    if (d.reply_to) {
      const p = msgs.get(d.reply_to);
      const quoted = p ? (p.data.deleted ? 'a deleted message' : `${author(p.info)}: ${p.data.text}`) : `message #${d.reply_to}`;
      li.append(el('blockquote', { class: 'quote' }, `↪ ${quoted.slice(0, 140)}`));
    }
    li.append(el('span', { class: 'nick' }, author(m.info)));
    if (d.deleted) {
      li.classList.add('deleted');
      li.append(el('span', { class: 'text' }, 'message deleted'));
    } else {
      li.append(el('span', { class: 'text' }, textWithMentions(String(d.text ?? JSON.stringify(d)))));
      if (Array.isArray(d.mentions) && d.mentions.includes(me) && me) li.classList.add('mentions-me');
    }
    if (d.edited_ts) li.append(el('span', { class: 'edited' }, ' (edited)'));
    if (d.ts) li.append(el('time', { datetime: new Date(d.ts).toISOString() }, fmtTime(d.ts)));
    if (pins.includes(off)) li.classList.add('pinned');
    const chips = el('span', { class: 'reactions' });
    for (const [emoji, n] of Object.entries(d.reactions || {})) {
      if (!n) continue;
      const on = mine.get(off)?.has(emoji);
      chips.append(el('button', { class: 'chip', type: 'button', 'aria-pressed': on ? 'true' : 'false', 'aria-label': `${emoji} ${n}`,
        onclick: () => react(off, emoji) }, `${emoji} ${n}`));
    }
    li.append(chips);
    if (!d.deleted && typeof off === 'number') li.append(actions(off, m));
    if (m.li) m.li.replaceWith(li);
    m.li = li;
    return li;
  }

  function actions(off, m) {
    const a = el('span', { class: 'actions' });
    const btn = (cls, label, fn, title) => a.append(el('button', { type: 'button', class: `act ${cls}`, title: title || label, 'aria-label': title || label, onclick: fn }, label));
    btn('act-reply', 'Reply', () => setMode({ kind: 'reply', offset: off }));
    for (const e of REACTIONS) btn('act-react', e, () => react(off, e), `React ${e}`);
    const own = me && m.info && m.info.user === me;
    if (own) btn('act-edit', 'Edit', () => setMode({ kind: 'edit', offset: off }));
    if (own || canModerate()) btn('act-delete', 'Delete', () => act('chat.delete', { channel, offset: off }, 'Deleting'));
    if (me && !own && !canModerate()) {
      btn('act-report', 'Report', async () => {
        if (await act('chat.report', { channel, offset: off, reason: 'reported from the room' }, 'Reporting') !== null) notice('Thanks: the moderators will look at it.', 'info');
      }, 'Report to the moderators');
    }
    if (canModerate()) {
      const pinned = pins.includes(off);
      btn('act-pin', pinned ? 'Unpin' : 'Pin', () => act(pinned ? 'chat.unpin' : 'chat.pin', { channel, offset: off }, 'Pinning'));
      if (opts.modActions) opts.modActions(a, m.info && m.info.user, off);
    }
    return a;
  }

  function place(off, li) {
    if (typeof off !== 'number') { ui.list.append(li); return; }
    let after = ui.list.lastElementChild;
    while (after && Number(after.dataset.offset) > off) after = after.previousElementSibling;
    if (after) after.after(li); else ui.list.prepend(li);
  }

  function scrollDown(force) {
    const l = ui.list;
    if (force || l.scrollTop + l.clientHeight >= l.scrollHeight - 60) l.scrollTop = l.scrollHeight;
  }

  function renderPins() {
    ui.pins.replaceChildren();
    for (const off of pins) {
      const m = msgs.get(off);
      const t = m ? (m.data.deleted ? 'deleted' : `${author(m.info)}: ${m.data.text}`) : `message #${off}`;
      ui.pins.append(el('div', { class: 'pin', dataset: { offset: String(off) } }, `📌 ${t}`));
    }
  }

  function renderPresence() {
    if (!presence) return;
    presence.count.textContent = String(big ? bigCount : members.size);
    presence.list.replaceChildren();
    if (big) { presence.list.append(el('li', { class: 'member muted' }, 'a big room: the count is live')); return; }
    for (const [client, user] of members) presence.list.append(el('li', { class: 'member', dataset: { client } }, user || 'guest'));
  }

  // ---- publications ----------------------------------------------------
  function apply(data, offset, info) {
    if (!data || typeof data !== 'object') return;
    const type = data.type || (typeof data.text === 'string' ? 'message' : null);
    const target = msgs.get(data.target);
    switch (type) {
      case 'message': {
        const key = typeof offset === 'number' && offset > 0 ? offset : `x${Math.random()}`;
        const known = msgs.get(key);
        msgs.set(key, { data: { ...data }, info, li: known && known.li });
        const li = renderMsg(key);
        if (!known) place(key, li);
        if (pins.includes(key)) renderPins();
        return;
      }
      case 'edit':
        if (target && !target.data.deleted && typeof data.text === 'string') {
          Object.assign(target.data, { text: data.text, mentions: data.mentions, edited_ts: data.ts || Date.now() });
          renderMsg(data.target);
          if (pins.includes(data.target)) renderPins();
        }
        return;
      case 'delete':
        if (target) { target.data = { type: 'message', deleted: true }; renderMsg(data.target); }
        pins = pins.filter((p) => p !== data.target);
        renderPins();
        return;
      case 'reactions':
        if (target) { target.data.reactions = data.counts || {}; renderMsg(data.target); }
        return;
      case 'pin':
      case 'unpin':
        pins = type === 'pin' ? [...new Set([...pins, data.target])].sort((a, b) => a - b) : pins.filter((p) => p !== data.target);
        renderPins();
        if (target) renderMsg(data.target);
        return;
      case 'typing': {
        const others = (data.users || []).filter((u) => u !== me);
        ui.typing.textContent = others.length ? `${others.slice(0, 3).join(', ')}${others.length > 3 ? ' and others' : ''} ${others.length === 1 ? 'is' : 'are'} typing…` : '';
        return;
      }
      default:
        if (opts.onOther) opts.onOther(data, offset, info);
    }
  }

  async function loadHistory() {
    ui.list.replaceChildren();
    msgs.clear();
    try {
      const h = await sub.history({ limit: 100, reverse: true });
      const pubs = h.publications.slice().reverse();
      for (const p of pubs) apply(p.data, p.offset, p.info);
    } catch { /* no history in this namespace */ }
    try { pins = (await rpc(c, 'chat.pins', { channel })).pins || []; } catch { pins = []; }
    renderPins();
    for (const off of pins) if (msgs.has(off)) renderMsg(off);
    scrollDown(true);
  }

  // small rooms: the roster (presence, then join/leave); big ones: the count
  // (presence_stats, refreshed every 10 s, moved by join/leave between)
  async function loadPresence() {
    members.clear();
    clearInterval(statsTimer);
    try {
      const st = await sub.presenceStats();
      big = st.numClients > ROSTER_MAX;
      bigCount = st.numClients;
      if (big) {
        const s0 = sub;
        statsTimer = setInterval(() => s0.presenceStats().then((x) => { bigCount = x.numClients; renderPresence(); }).catch(() => {}), 10000);
      } else {
        const p = await sub.presence();
        for (const [client, info] of Object.entries(p.clients || {})) members.set(client, info.user);
      }
    } catch { /* presence may be off */ }
    renderPresence();
  }

  // ---- actions ---------------------------------------------------------
  async function act(method, data, what) {
    try { return await rpc(c, method, data); } catch (e) { notice(sentence(e, what), 'error'); return null; }
  }

  async function react(off, emoji) {
    const set = mine.get(off) || new Set();
    const remove = set.has(emoji);
    const r = await act('chat.react', { channel, offset: off, emoji, ...(remove ? { remove: true } : {}) }, 'Reacting');
    if (r === null) return;
    if (remove) set.delete(emoji); else set.add(emoji);
    mine.set(off, set);
    if (msgs.has(off)) renderMsg(off);
  }

  function setMode(m) {
    mode = m;
    ui.replying.replaceChildren();
    ui.replying.hidden = !m;
    if (!m) return;
    const t = msgs.get(m.offset);
    const label = m.kind === 'edit' ? 'Editing your message' : `Replying to ${author(t && t.info)}: ${t ? String(t.data.text).slice(0, 80) : ''}`;
    ui.replying.append(el('span', {}, label), el('button', { type: 'button', class: 'cancel', 'aria-label': 'Cancel', onclick: () => setMode(null) }, '✕'));
    if (m.kind === 'edit' && t) ui.text.value = t.data.text;
    ui.text.focus();
  }

  function slowCountdown() {
    const left = Math.ceil((slowUntil - Date.now()) / 1000);
    if (left > 0) { notice(`Slow mode is on: you can send again in ${left} s.`, 'slow'); setTimeout(slowCountdown, 250); } else if (ui.notice.dataset.kind === 'slow') notice('You can send again.', 'info');
  }

  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    const text = ui.text.value.trim();
    if (!text || !channel) return;
    const m = mode;
    ui.text.value = '';
    setMode(null);
    if (m && m.kind === 'edit') { await act('chat.edit', { channel, offset: m.offset, text }, 'Your edit'); return; }
    const data = { text, nonce: `${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 10)}` };
    if (m && m.kind === 'reply') data.reply_to = m.offset;
    try {
      await sub.publish(data);
      if (ui.notice.dataset.kind !== 'banned') notice('', 'info');
    } catch (err) {
      notice(sentence(err, 'Your message'), err.code === 1001 ? 'held' : 'error');
      if (err.code === 111) { const s = String(err.message).match(/wait (\d+)/); if (s) { slowUntil = Date.now() + Number(s[1]) * 1000; slowCountdown(); } }
      if (err.code !== 1001) ui.text.value = text; // not sent: keep it to retry
    }
  });
  ui.text.addEventListener('keydown', (e) => { if (e.key === 'Escape') setMode(null); });
  ui.text.addEventListener('input', () => {
    if (!channel || !me || Date.now() - lastTyping < 3000) return;
    lastTyping = Date.now();
    rpc(c, 'chat.typing', { channel }).catch(() => {});
  });

  c.on('message', (ctx) => {
    const d = ctx.data || {};
    if (d.type === 'review') notice(d.approved ? 'A moderator approved your message: it is in the chat now.' : 'A moderator did not approve your message.', d.approved ? 'approved' : 'rejected');
    else if (opts.onPersonal) opts.onPersonal(d);
  });

  // ---- joining ---------------------------------------------------------
  function join(ch) {
    if (sub) { sub.removeAllListeners(); sub.unsubscribe(); c.removeSubscription(sub); sub = null; }
    clearInterval(statsTimer);
    big = false;
    channel = ch;
    ui.title.textContent = ch;
    notice('', 'info');
    ui.typing.textContent = '';
    members.clear();
    renderPresence();
    sub = c.getSubscription(ch) || c.newSubscription(ch, { recoverable: true, joinLeave: true });
    sub.on('publication', (ctx) => { apply(ctx.data, ctx.offset, ctx.info); scrollDown(false); });
    sub.on('join', (ctx) => { if (big) bigCount++; else members.set(ctx.info.client, ctx.info.user); renderPresence(); });
    sub.on('leave', (ctx) => { if (big) bigCount = Math.max(0, bigCount - 1); else members.delete(ctx.info.client); renderPresence(); });
    sub.on('subscribing', (ctx) => { if (ctx.code !== 0) notice('Rejoining the room…', 'info'); });
    sub.on('subscribed', async (ctx) => {
      if (ui.notice.dataset.kind === 'info') notice('', 'info');
      if (!(ctx.wasRecovering && ctx.recovered)) await loadHistory();
      else scrollDown(false);
      await loadPresence();
      root.dataset.ready = String(Date.now());
      if (opts.onSubscribed) opts.onSubscribed(ch, ctx);
    });
    sub.on('unsubscribed', (ctx) => {
      if (ctx.code === 0) return;
      const text = ctx.reason === 'banned' || ctx.reason === 'kicked' ? closeSentence(ctx.code, ctx.reason) : sentence({ code: ctx.code, message: ctx.reason }, 'Joining this room');
      notice(text, ctx.reason === 'banned' ? 'banned' : 'error');
      ui.send.disabled = ctx.reason === 'banned';
      if (opts.onRefused) opts.onRefused(ctx);
    });
    sub.subscribe();
  }

  c.on('disconnected', (ctx) => {
    if (ctx.reason === 'banned') { notice(closeSentence(ctx.code, ctx.reason), 'banned'); ui.send.disabled = true; ui.text.disabled = true; }
  });

  return {
    join,
    get channel() { return channel; },
    get sub() { return sub; },
    resubscribe() { if (sub && sub.state === 'unsubscribed') sub.subscribe(); },
    notice,
  };
}
