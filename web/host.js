// web/host.js — the host console (/host): picks the event (?event=ID or the
// first the user hosts), shows the week's occurrences and the state buttons
// (event.transition), slow mode, the room's chat with moderation buttons,
// and the live numbers from stats.event every 2 s with uPlot charts. The
// moderation queue is host-mod.js; polls, Q&A and hands are host-live.js.
// Every action is an rpc with the host's own token.
import { $, el, params, token, me, roles, connect, rpc, sentence, fmtNum } from './common.js';
import { mountChat } from './chat.js';
import { chart } from './charts.js';
import { mountQueue, modButtons } from './host-mod.js';
import { mountLive } from './host-live.js';

const STATES = [['green_room', 'Green room'], ['live', 'Go live'], ['after_party', 'After-party'], ['ended', 'End']];
const TILES = [['concurrent', 'here now'], ['peak', 'peak'], ['unique_attendees', 'attendees'], ['first_time', 'first time'],
  ['returning', 'returning'], ['messages', 'messages'], ['messages_per_minute', 'msgs / min'], ['unique_chatters', 'chatters'],
  ['reactions', 'reactions'], ['nps', 'NPS'], ['questions', 'questions'], ['answered', 'answered']];

const c = connect($('#status'));
const msg = (t) => { $('#host-msg').textContent = t; };
let ev = null;
let occ = null;
let slow = 0;
const samples = { t: [], concurrent: [], mpm: [] };
let live = null;
const chat = mountChat(c, $('#chat'), {
  staff: true,
  presenceRoot: { count: $('#presence-count'), list: $('#presence') },
  modActions: (box, user, off) => modButtons(c, box, () => chat.channel, user, off, msg),
  onOther: (d) => { if (live) live.onOther(d); statsSoon(); },
  onSubscribed: () => { if (live) live.refresh(); },
});
const charts = {
  attendees: chart($('#chart-attendees'), { title: 'Attendees now', series: ['here now'] }),
  mpm: chart($('#chart-mpm'), { title: 'Messages per minute', series: ['msgs / min'] }),
  energy: chart($('#chart-energy'), { title: 'Energy (reactions per second)', series: ['reactions'] }),
  nps: chart($('#chart-nps'), { title: 'NPS answers by score', series: ['answers'], bars: true, labels: [...Array(11).keys()].map(String) }),
};

async function pickEvent() {
  const events = (await rpc(c, 'event.list', {})).events || [];
  const mine = events.filter((e) => (e.hosts || []).includes(me) || roles.includes('admin'));
  const pick = $('#event-pick');
  pick.replaceChildren(...mine.map((e) => el('option', { value: e.id }, e.title)));
  const want = params.get('event');
  const chosen = mine.find((e) => e.id === want) || mine[0];
  if (!chosen) { msg('You host no events yet (ask an admin to add you as a host).'); return; }
  pick.value = chosen.id;
  await openEvent(chosen.id);
}

async function openEvent(id) {
  ev = await rpc(c, 'event.get', { id });
  const week = Date.now() + 7 * 86400e3;
  $('#occurrences').replaceChildren(...ev.occurrences.filter((o) => o.n === ev.current || Date.parse(o.start) < week).map((o) =>
    el('li', { dataset: { n: String(o.n) } }, `#${o.n} ${new Date(o.start).toLocaleString([], { weekday: 'short', day: 'numeric', month: 'short', hour: '2-digit', minute: '2-digit' })} `,
      el('span', { class: 'badge', dataset: { state: o.state } }, o.state.replace('_', ' ')), o.n === ev.current ? el('b', {}, ' current') : null)));
  occ = ev.occurrences.find((o) => o.n === ev.current) || null;
  renderStates();
  if (!occ) return;
  const u = new URLSearchParams({ event: ev.id });
  $('#member-link').href = `/?${u}`;
  if (!live) live = mountLive(c, () => occ && occ.channel, msg, statsSoon);
  if (chat.channel !== occ.channel) chat.join(occ.channel);
  mountQueue(c, ev.namespace, msg);
  watchEvent();
  refreshStats();
}

function renderStates() {
  const box = $('#states');
  box.replaceChildren();
  const now = occ ? occ.state : 'ended';
  $('#current-state').textContent = now.replace('_', ' ');
  $('#current-state').dataset.state = now;
  const order = ['scheduled', ...STATES.map((s) => s[0])];
  for (const [state, label] of STATES) {
    box.append(el('button', { type: 'button', dataset: { state, current: String(state === now) }, disabled: !occ || order.indexOf(state) <= order.indexOf(now),
      onclick: () => transition(state) }, label));
  }
}

async function transition(state) {
  try { await rpc(c, 'event.transition', { id: ev.id, state }); msg(''); } catch (e) { msg(sentence(e, 'Changing the state')); return; }
  if (state === 'ended') { refreshStats(occ.n); }
  await openEvent(ev.id);
}

let evSub = null;
function watchEvent() {
  const ch = `${ev.namespace}:${ev.id}`;
  if (evSub && evSub.channel === ch) return;
  if (evSub) { evSub.removeAllListeners(); evSub.unsubscribe(); c.removeSubscription(evSub); }
  evSub = c.newSubscription(ch);
  evSub.on('publication', (ctx) => { if (ctx.data.type === 'event_state' && occ && ctx.data.occurrence === occ.n) { occ.state = ctx.data.state; renderStates(); } });
  evSub.subscribe();
}

$('#event-pick').addEventListener('change', (e) => openEvent(e.target.value));
$('#slow-mode').addEventListener('click', async () => {
  const next = slow ? 0 : 10;
  try { await rpc(c, 'mod.slow_mode', { channel: occ.channel, seconds: next }); } catch (e) { msg(sentence(e, 'Slow mode')); return; }
  slow = next;
  $('#slow-mode').textContent = slow ? `Slow mode: ${slow} s` : 'Slow mode: off';
  $('#slow-mode').setAttribute('aria-pressed', String(!!slow));
});

// ---- live numbers ------------------------------------------------------
let statsN = null;     // the occurrence the numbers are of (kept after it ends)
let statsTimer = null;
function statsSoon() { clearTimeout(statsTimer); statsTimer = setTimeout(() => refreshStats(), 300); }
async function refreshStats(n) {
  if (n) statsN = n;
  if (!ev) return;
  const which = statsN || (occ && occ.n);
  if (!which) return;
  let st;
  try { st = await rpc(c, 'stats.event', { id: ev.id, occurrence: which }); } catch (e) { msg(sentence(e, 'Reading the numbers')); return; }
  if (occ && which !== occ.n && occ.state !== 'scheduled') statsN = null; // the next one started: follow it
  const tiles = $('#tiles');
  tiles.replaceChildren(...TILES.map(([k, label]) => el('div', { class: 'tile' }, el('b', { dataset: { stat: k } }, fmtNum(st[k], 1)), el('span', {}, label))));
  tiles.dataset.occurrence = String(which);
  $('#stats-of').textContent = `occurrence #${which}${st.timeline && st.timeline.ended ? ' (ended)' : ''}`;
  tiles.dataset.updated = String(Date.now());
  const t = Date.now() / 1000;
  samples.t.push(t); samples.concurrent.push(st.concurrent); samples.mpm.push(st.messages_per_minute);
  if (samples.t.length > 1800) for (const k of Object.keys(samples)) samples[k].shift();
  charts.attendees.set([samples.t, samples.concurrent]);
  charts.mpm.set([samples.t, samples.mpm]);
  charts.energy.set(perSecond(st.energy || []));
  const nps = (st.polls || []).filter((p) => p.kind === 'nps').pop();
  const counts = nps ? (nps.counts || []).slice(0, 11) : [];
  charts.nps.set([counts.map((_, i) => i), counts]);
  if (live) live.polls(st.polls || []);
}
// the energy timeline has seconds with taps only: show every second, quiet
// ones as 0, from 2 s before the first to 2 s after the last (at most 10 min)
function perSecond(energy) {
  if (!energy.length) return [[], []];
  const by = new Map(energy.map(([t, n]) => [t, n]));
  const last = Math.max(...by.keys()) + 2;
  const first = Math.max(Math.min(...by.keys()) - 2, last - 600);
  const xs = [];
  for (let t = first; t <= last; t++) xs.push(t);
  return [xs, xs.map((t) => by.get(t) || 0)];
}
setInterval(() => { if (ev && document.visibilityState !== 'hidden') refreshStats(); }, 2000);

c.once('connected', () => pickEvent().catch((e) => msg(sentence(e, 'Loading your events'))));
if (!token) msg('Open this console from your community\'s host link (?token=…): hosts sign in with their token.');
