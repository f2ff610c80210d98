// web/room.js — the member's live room (/): signs in (?token= or as a
// guest), lists rooms and live events, mounts the chat (chat.js) and, for a
// ritual (?event=ID), the event's stream and live parts (ritual.js).
// ?room=CHANNEL opens a room directly.
import { $, el, params, token, connect, rpc } from './common.js';
import { mountChat } from './chat.js';
import { mountRitual } from './ritual.js';

const c = connect($('#status'));
const presence = { count: $('#presence-count'), list: $('#presence') };
let ritual = null;
const chat = mountChat(c, $('#chat'), {
  presenceRoot: presence,
  onOther: (d, off, info) => ritual && ritual.onOther(d, off, info),
  onSubscribed: () => ritual && ritual.onSubscribed(),
  onRefused: (ctx) => ritual && ritual.onRefused(ctx),
});
const ROOMS = (params.get('rooms') || 'chat:lobby,chat:random').split(',').filter(Boolean);

function link(q) {
  const u = new URLSearchParams();
  if (token) u.set('token', token);
  for (const [k, v] of Object.entries(q)) u.set(k, v);
  return `?${u}`;
}

function roomList(events) {
  const ul = $('#room-list');
  ul.replaceChildren();
  for (const r of ROOMS) {
    ul.append(el('li', {}, el('a', { href: link({ room: r }), class: r === chat.channel ? 'current' : '',
      onclick: (e) => { e.preventDefault(); openRoom(r); } }, r)));
  }
  for (const ev of events) {
    const occ = ev.occurrences.find((o) => o.n === ev.current);
    if (!occ || ev.cancelled) continue;
    const live = ['green_room', 'live', 'after_party'].includes(occ.state);
    ul.append(el('li', { class: live ? 'event live' : 'event' }, el('a', { href: link({ event: ev.id }) },
      `${live ? '● ' : ''}${ev.title}`), el('span', { class: 'muted' }, ` ${live ? occ.state.replace('_', ' ') : new Date(occ.start).toLocaleString()}`)));
  }
}

function openRoom(r) {
  chat.join(r);
  history.replaceState(null, '', link({ room: r }));
  for (const a of document.querySelectorAll('#room-list a')) a.classList.toggle('current', a.textContent === r);
}

// a terminal close (banned, a refused sign-in): nothing on the page can act any more
c.on('disconnected', (ctx) => {
  if (ctx.code < 3500 || ctx.code >= 5000) return;
  for (const b of document.querySelectorAll('main button, main input')) b.disabled = true;
  presence.list.replaceChildren();
  presence.count.textContent = '0';
});

$('#join-form').addEventListener('submit', (e) => { e.preventDefault(); const r = $('#room').value.trim(); if (r) openRoom(r); });

c.once('connected', async () => {
  let events = [];
  try { events = (await rpc(c, 'event.list', {})).events || []; } catch { /* no events here */ }
  roomList(events);
});

if (params.get('event')) {
  ritual = mountRitual(c, $('#ritual'), chat);
  document.body.classList.add('in-ritual');
  ritual.open(params.get('event')).catch((e) => { $('#ritual').textContent = `This event could not be opened (${e.message}).`; });
} else {
  openRoom(params.get('room') || ROOMS[0]);
}
