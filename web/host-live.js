// web/host-live.js — the host console's live interaction: start a poll or
// NPS pulse (poll.create) and close it, with results filling in (the room's
// poll_results publications, and stats.event's polls); Q&A ordered by votes
// with answer / pin / dismiss; the hand queue with accept / dismiss.
import { $, el, rpc, sentence } from './common.js';

export function mountLive(c, channelOf, msg, changed) {
  const polls = new Map(); // poll_id -> {question, kind, options, counts, voters, nps, closed}
  let qaTimer = null;

  async function call(method, body, what) {
    try { const r = await rpc(c, method, body); msg(''); return r; } catch (e) { msg(sentence(e, what)); return null; }
  }

  $('#poll-form').addEventListener('submit', async (e) => {
    e.preventDefault();
    const kind = $('#poll-kind').value;
    const body = { channel: channelOf(), question: $('#poll-question').value.trim(), kind };
    if (kind !== 'nps') body.options = $('#poll-options').value.split(',').map((s) => s.trim()).filter(Boolean);
    const r = await call('poll.create', body, 'Starting the poll');
    if (!r) return;
    polls.set(r.poll_id, { ...body, poll_id: r.poll_id, counts: [], voters: 0, closed: false });
    $('#poll-question').value = ''; $('#poll-options').value = '';
    renderPolls();
    changed();
  });

  function renderPolls() {
    const ul = $('#polls');
    ul.replaceChildren();
    for (const p of [...polls.values()].reverse()) {
      const res = p.kind === 'nps' ? `NPS ${p.nps ?? '—'} · ${p.voters || 0} answers`
        : (p.options || []).map((o, i) => `${o}: ${(p.counts || [])[i] || 0}`).join(' · ') + ` · ${p.voters || 0} voters`;
      ul.append(el('li', { dataset: { pollId: p.poll_id, closed: String(!!p.closed), voters: String(p.voters || 0) } },
        el('b', {}, p.question), el('br'), el('span', { class: 'results' }, res), ' ',
        p.closed ? el('span', { class: 'badge' }, 'closed')
          : el('button', { type: 'button', class: 'close-poll', onclick: async () => { if (await call('poll.close', { poll_id: p.poll_id }, 'Closing the poll')) { p.closed = true; renderPolls(); changed(); } } }, 'Close')));
    }
    if (!polls.size) ul.append(el('li', { class: 'muted' }, 'No polls yet.'));
  }

  async function refreshQa() {
    const r = await call('qa.list', { channel: channelOf() }, 'Reading the questions');
    if (!r) return;
    const ol = $('#host-qa');
    ol.replaceChildren();
    for (const q of r.questions.filter((x) => !x.dismissed)) {
      const b = (label, method) => el('button', { type: 'button', class: `qa-${method}`, onclick: async () => { await call(`qa.${method}`, { channel: channelOf(), question_id: q.question_id }, label); refreshQa(); } }, label);
      ol.append(el('li', { dataset: { id: q.question_id, votes: String(q.votes) } }, el('b', {}, `▲ ${q.votes} `), q.text, el('span', { class: 'muted' }, ` — ${q.user}`),
        q.answered ? el('span', { class: 'badge' }, 'answered') : b('Answer', 'answer'), q.pinned ? el('span', { class: 'badge' }, 'pinned') : b('Pin', 'pin'), b('Dismiss', 'dismiss')));
    }
    if (!ol.children.length) ol.append(el('li', { class: 'muted' }, 'No questions yet.'));
  }

  function renderStage(d) {
    const ul = $('#hands');
    ul.replaceChildren();
    for (const user of d.hands || []) {
      const b = (label, method) => el('button', { type: 'button', class: `hand-${method}`, onclick: () => call(`stage.${method}`, { channel: channelOf(), user }, label) }, label);
      ul.append(el('li', { dataset: { user } }, `✋ ${user} `, b('Accept', 'accept'), b('Dismiss', 'dismiss')));
    }
    if (!ul.children.length) ul.append(el('li', { class: 'muted' }, 'No hands up.'));
    $('#speakers').textContent = (d.speakers || []).join(', ') || 'nobody';
  }

  return {
    onOther(d) {
      if (d.type === 'poll') { polls.set(d.poll_id, { ...polls.get(d.poll_id), ...d }); renderPolls(); }
      else if (d.type === 'poll_results') { const p = polls.get(d.poll_id); if (p) { Object.assign(p, d, { closed: p.closed || d.closed }); renderPolls(); } }
      else if (d.type === 'qa') { clearTimeout(qaTimer); qaTimer = setTimeout(refreshQa, 150); }
      else if (d.type === 'stage') renderStage(d);
    },
    polls(list) { // from stats.event: the authoritative figures
      for (const p of list) polls.set(p.poll_id, { ...polls.get(p.poll_id), ...p });
      renderPolls();
    },
    refresh() {
      refreshQa();
      call('stage.get', { channel: channelOf() }, 'Reading the hands').then((d) => d && renderStage(d));
    },
  };
}
