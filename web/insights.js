// web/insights.js — the community dashboard (/insights, admins): the
// figures of stats.community, stats.series (daily actives, new members and
// messages over the last 30 days) and, for every event, stats.event of each
// occurrence that has begun (attendance, first-time vs returning, retention,
// NPS) as a table and uPlot charts. rpc with the admin's own token.
import { $, el, token, connect, rpc, sentence, fmtNum } from './common.js';
import { chart } from './charts.js';

const COMMUNITY = [['members', 'members'], ['new_members_7d', 'new (7 days)'], ['dau', 'DAU'], ['wau', 'WAU'], ['mau', 'MAU'],
  ['stickiness', 'stickiness (DAU/MAU)'], ['churned_30d', 'churned (30 days)'], ['nps_last', 'latest NPS']];
const DAYS = 30;
const c = connect($('#status'));
const msg = (t) => { $('#insights-msg').textContent = t; };
const charts = {
  dau: chart($('#chart-dau'), { title: 'Daily active members', series: ['DAU'] }),
  activity: chart($('#chart-activity'), { title: 'New members and chat messages per day', series: ['new members', 'messages'] }),
  attendance: chart($('#chart-attendance'), { title: 'Attendance per occurrence', series: ['first time', 'returning'], bars: true, labels: [] }),
  nps: chart($('#chart-nps-trend'), { title: 'NPS per occurrence', series: ['NPS'], bars: true, labels: [], yRange: [-100, 100] }),
};

const day = (ms) => new Date(ms).toISOString().slice(0, 10);
async function series(metric) {
  const to = Date.now();
  const r = await rpc(c, 'stats.series', { metric, from: day(to - (DAYS - 1) * 86400e3), to: day(to), step: 'day' });
  return r.points.map((p) => [Date.parse(`${p.t}T00:00:00Z`) / 1000, p.value]);
}

async function load() {
  const s = await rpc(c, 'stats.community', {});
  $('#community').replaceChildren(...COMMUNITY.map(([k, label]) => el('div', { class: 'tile' }, el('b', { dataset: { stat: k } }, fmtNum(s[k])), el('span', {}, label))));
  $('#community').dataset.updated = String(Date.now());
  const [dau, fresh, messages] = await Promise.all([series('dau'), series('new_members'), series('messages')]);
  charts.dau.set([dau.map((p) => p[0]), dau.map((p) => p[1])]);
  charts.activity.set([fresh.map((p) => p[0]), fresh.map((p) => p[1]), messages.map((p) => p[1])]);

  const events = (await rpc(c, 'event.list', {})).events || [];
  const rows = [];
  for (const ev of events) {
    // ended occurrences leave the event's view: ask for every one up to the current
    const last = ev.current || Math.max(0, ...ev.occurrences.map((o) => o.n));
    for (let n = 1; n <= last; n++) {
      const o = ev.occurrences.find((x) => x.n === n);
      if (o && (o.state === 'scheduled' || o.state === 'cancelled')) continue;
      let st;
      try { st = await rpc(c, 'stats.event', { id: ev.id, occurrence: n }); } catch { continue; }
      const began = Object.values(st.timeline || {});
      if (!began.length) continue; // cancelled, or never went on
      rows.push({ label: `${ev.title} #${n}`, start: Math.min(...began), ev: ev.id, n, st });
    }
  }
  rows.sort((a, b) => a.start - b.start);
  $('#occ-table').replaceChildren(...rows.map((r) => el('tr', { dataset: { event: r.ev, n: String(r.n) } },
    el('td', {}, r.label), ...['unique_attendees', 'first_time', 'returning', 'retention', 'peak', 'messages', 'nps'].map((k) =>
      el('td', { dataset: { stat: k } }, k === 'retention' && r.st[k] !== null && r.st[k] !== undefined ? `${Math.round(r.st[k] * 100)}%` : fmtNum(r.st[k], 1))))));
  const idx = rows.map((_, i) => i);
  const labels = rows.map((r) => `#${r.n}`);
  charts.attendance.set([idx, rows.map((r) => r.st.first_time), rows.map((r) => r.st.returning)], labels);
  charts.nps.set([idx, rows.map((r) => (r.st.nps === undefined ? null : r.st.nps))], labels);
  if (!rows.length) msg('No occurrence has begun yet: attendance appears here once one goes live.');
  document.body.dataset.loaded = String(Date.now());
}

const run = () => load().then(() => msg(rowsMsg())).catch((e) => msg(sentence(e, 'Reading the numbers')));
const rowsMsg = () => ($('#occ-table').children.length ? '' : $('#insights-msg').textContent);
$('#refresh').addEventListener('click', run);
c.once('connected', run);
if (!token) msg('Open the dashboard from your community\'s admin link (?token=…): these numbers are for admins.');
