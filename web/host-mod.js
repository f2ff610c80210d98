// web/host-mod.js — the host console's moderation: the queue (mod.queue,
// kept live from the mod:<namespace> channel: items arrive and leave as any
// moderator acts) with approve / reject for held messages and resolve /
// delete for reports, mute and ban of the author; and the same mute / ban
// buttons on each chat message (modButtons).
import { $, el, rpc, sentence } from './common.js';

const MUTE_S = 600;
const BAN_S = 86400;
let sub = null;
const items = new Map();

export function modButtons(c, box, channelOf, user, off, msg) {
  if (!user) return;
  const b = (cls, label, method, body) => box.append(el('button', { type: 'button', class: `act ${cls}`, 'aria-label': `${label} ${user}`,
    onclick: async () => { try { await rpc(c, method, body()); msg(`${label}: ${user}.`); } catch (e) { msg(sentence(e, label)); } } }, label));
  b('act-mute', 'Mute', 'mod.mute', () => ({ channel: channelOf(), user, duration: MUTE_S, reason: 'muted by a host' }));
  b('act-ban', 'Ban', 'mod.ban', () => ({ user, duration: BAN_S, reason: 'banned by a host' }));
  void off;
}

export function mountQueue(c, namespace, msg) {
  const ch = `mod:${namespace}`;
  if (sub && sub.channel === ch) return;
  if (sub) { sub.removeAllListeners(); sub.unsubscribe(); c.removeSubscription(sub); }
  items.clear();
  render(c, msg);
  sub = c.newSubscription(ch);
  sub.on('publication', (ctx) => {
    const d = ctx.data;
    if (d.type === 'item') items.set(d.id, d);
    else if (d.type === 'removed') items.delete(d.id);
    render(c, msg);
  });
  sub.on('subscribed', async () => {
    try {
      const q = await rpc(c, 'mod.queue', { namespace });
      items.clear();
      for (const it of q.items || []) items.set(it.id, it);
      render(c, msg);
    } catch (e) { msg(sentence(e, 'Reading the moderation queue')); }
  });
  sub.on('unsubscribed', (ctx) => { if (ctx.code) msg(sentence({ code: ctx.code, message: ctx.reason }, 'The live moderation queue')); });
  sub.subscribe();
}

function render(c, msg) {
  const ul = $('#queue');
  $('#queue-count').textContent = String(items.size);
  ul.replaceChildren();
  for (const it of items.values()) {
    const act = (label, method, body, done) => el('button', { type: 'button', class: `q-${label.toLowerCase()}`, onclick: async () => {
      try { await rpc(c, method, body); if (done) { items.delete(it.id); render(c, msg); } msg(`${label}: done.`); } catch (e) { msg(sentence(e, label)); }
    } }, label);
    const who = it.kind === 'held' ? it.user : it.author;
    ul.append(el('li', { dataset: { id: it.id, kind: it.kind } },
      el('span', { class: 'badge' }, it.kind === 'held' ? 'held' : 'reported'), ' ',
      el('b', {}, who || '?'), `: ${it.text || ''}`, it.reason ? el('span', { class: 'muted' }, ` (${it.reason})`) : null, el('br'),
      it.kind === 'held' ? [act('Approve', 'mod.approve', { id: it.id }, true), act('Reject', 'mod.reject', { id: it.id, reason: 'not for this room' }, true)]
        : [act('Resolve', 'mod.resolve', { id: it.id }, true), it.offset ? act('Delete', 'chat.delete', { channel: it.channel, offset: it.offset }, false) : null],
      who ? act('Mute', 'mod.mute', { channel: it.channel, user: who, duration: MUTE_S, reason: 'muted by a host' }, false) : null,
      who ? act('Ban', 'mod.ban', { user: who, duration: BAN_S, reason: 'banned by a host' }, false) : null));
  }
  if (!items.size) ul.append(el('li', { class: 'muted' }, 'Nothing waiting.'));
}
