// web/common.js — what the three faces share: the sign-in (?token= or
// anonymous), one official-SDK client with a visible connection state, the
// sentences people read instead of error codes, and tiny DOM helpers.
// The SDK is /vendor/centrifuge.js (scripts/web.sh), loaded before this.
/* global Centrifuge */

export const $ = (sel, root = document) => root.querySelector(sel);
export const params = new URLSearchParams(location.search);
export const token = params.get('token') || '';

/** The token's claims (display only: the server checks the signature). */
export function claims() {
  try {
    const b = token.split('.')[1].replace(/-/g, '+').replace(/_/g, '/');
    return JSON.parse(decodeURIComponent(escape(atob(b))));
  } catch { return {}; }
}
export const me = claims().sub || '';
export const roles = claims().roles || [];
export const isStaff = roles.some((r) => ['host', 'moderator', 'admin'].includes(r));

/** el('li', {class: 'x', onclick: f}, 'text', child...) — text is never HTML. */
export function el(tag, attrs = {}, ...kids) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === undefined || v === null || v === false) continue;
    if (k.startsWith('on')) e.addEventListener(k.slice(2), v);
    else if (k === 'class') e.className = v;
    else if (k === 'dataset') Object.assign(e.dataset, v);
    else e.setAttribute(k, v === true ? '' : v);
  }
  for (const k of kids.flat()) if (k !== null && k !== undefined && k !== false) e.append(k instanceof Node ? k : String(k));
  return e;
}

/** A sentence a person can act on, for an error from a reply or a close. */
export function sentence(err, what = 'That') {
  const code = err && err.code;
  const msg = String((err && (err.message || err.reason)) || '');
  if (code === 1001) return 'Your message is waiting for a moderator to review it.';
  if (code === 111) {
    const s = msg.match(/wait (\d+)/);
    if (s) return `Slow mode is on: you can send again in ${s[1]} s.`;
    return 'You are going a bit fast: wait a moment and try again.';
  }
  if (code === 103) {
    if (/muted/.test(msg)) return 'You are muted here for now, so you cannot post or react.';
    if (/banned/.test(msg)) return 'You are banned from this room.';
    if (/kicked/.test(msg)) return 'A moderator removed you from this room; you can come back in a minute.';
    if (/filter/.test(msg)) return 'That message contains words this room does not allow.';
    if (/audience/.test(msg)) return 'This pulse is for members who have been in the room a while: thanks for joining!';
    if (/closed/.test(msg)) return 'This poll is closed.';
    if (/read.only|ended/.test(msg)) return 'This room is read-only now.';
    if (!token) return `${what} needs you to be signed in: open the link your community gave you.`;
    return `${what} is not allowed for you here right now.`;
  }
  if (code === 102) return 'This room does not exist.';
  if (code === 106) return 'That is over a limit of this room.';
  if (code === 107) return `${what} was not accepted${msg && msg !== 'bad request' ? ': ' + msg.replace(/^bad request:?\s*/, '') : ''}.`;
  if (code === 109) return 'Your sign-in has expired: reload the page from your community\'s link.';
  if (/disconnected|connection closed|timeout|not connected/i.test(msg) || (code > 0 && code < 100)) return `${what} did not go through: you are offline for a moment. Try again once the status says connected.`;
  return `${what} did not work (${msg || 'unknown error'}).`;
}

/** Words for a closed connection or an ended subscription. */
export function closeSentence(code, reason) {
  if (reason === 'banned' && code >= 3500) return 'You are banned from this community.';
  if (reason === 'banned') return 'You were banned from this room.';
  if (reason === 'kicked') return 'A moderator removed you from this room.';
  if (code === 3500 || code === 3501 || code === 101) return 'Your sign-in was not accepted: open the link your community gave you again.';
  if (code === 3005 || code === 109) return 'Your sign-in has expired: reload the page from your community\'s link.';
  return `Disconnected (${reason || code}).`;
}

/** The SDK client, with its state shown in `statusEl` (data-state too). */
export function connect(statusEl, opts = {}) {
  const url = `${location.protocol === 'https:' ? 'wss' : 'ws'}://${location.host}/connection/websocket`;
  const c = new Centrifuge(url, { token: token || undefined, minReconnectDelay: 300, maxReconnectDelay: 5000, ...opts });
  let wasConnected = false;
  const show = (state, text) => { statusEl.dataset.state = state; statusEl.textContent = text; };
  show('connecting', 'Connecting…');
  c.on('connecting', (ctx) => {
    if (wasConnected) show('reconnecting', 'Connection lost — reconnecting…');
    else show('connecting', 'Connecting…');
    void ctx;
  });
  c.on('connected', () => { wasConnected = true; show('ok', token ? `Connected as ${me}` : 'Connected (guest)'); });
  c.on('disconnected', (ctx) => show('bad', closeSentence(ctx.code, ctx.reason)));
  c.on('error', () => {});
  c.connect();
  return c;
}

/** rpc returning the data, throwing an Error with .code. */
export async function rpc(c, method, data) {
  try {
    return (await c.rpc(method, data)).data;
  } catch (e) {
    throw Object.assign(new Error(e.message || String(e)), { code: e.code });
  }
}

export const fmtTime = (ms) => new Date(ms).toLocaleTimeString([], { hour: '2-digit', minute: '2-digit' });
export const fmtNum = (v, digits = 2) => (v === null || v === undefined ? '—'
  : Number.isInteger(v) ? String(v) : Number(v).toFixed(digits));
