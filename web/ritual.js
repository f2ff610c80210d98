// web/ritual.js — the ritual half of the member's live room: the event's
// title, state and stream (a <video> or an iframe from stream_url), live
// reaction buttons with a floating burst of the room's totals, the current
// poll or NPS pulse to vote in (results filling in), Q&A with upvotes, and
// raise hand. Fed by the chat's non-chat publications (chat.js onOther) and
// by the event channel's event_state.
import { el, me, rpc, sentence } from './common.js';

const LIVE_EMOJI = ['🔥', '👏', '❤️', '😂', '🎉'];
const STATE_WORDS = {
  scheduled: 'Starting soon', green_room: 'The hosts are getting ready', live: 'Live now',
  after_party: 'After-party', ended: 'This event has ended', cancelled: 'Cancelled',
};

export function mountRitual(c, root, chat) {
  const ui = {
    title: el('h2', { id: 'event-title' }),
    state: el('span', { id: 'event-state', class: 'badge' }),
    stream: el('div', { id: 'stream', class: 'stream' }),
    reactBar: el('div', { id: 'react-bar', class: 'react-bar', role: 'group', 'aria-label': 'Live reactions' }),
    burst: el('div', { id: 'burst', class: 'burst', 'aria-hidden': 'true' }),
    reactTotal: el('span', { id: 'react-total', class: 'react-total' }, '0'),
    poll: el('section', { id: 'poll', class: 'card', hidden: true, 'aria-label': 'Poll' }),
    qa: el('section', { id: 'qa', class: 'card', 'aria-label': 'Questions' }),
    hand: el('button', { id: 'hand', type: 'button' }, '✋ Raise hand'),
    stage: el('p', { id: 'stage', class: 'stage' }),
    msg: el('p', { id: 'ritual-msg', class: 'notice', role: 'status' }),
  };
  for (const e of LIVE_EMOJI) ui.reactBar.append(el('button', { type: 'button', class: 'react-btn', 'aria-label': `React ${e}`, onclick: () => tap(e) }, e));
  ui.reactBar.append(el('span', { class: 'muted' }, ' room total '), ui.reactTotal);
  const qaText = el('input', { id: 'qa-text', maxlength: '500', placeholder: 'Ask the hosts a question', 'aria-label': 'Question' });
  const qaList = el('ol', { id: 'qa-list', class: 'qa-list' });
  ui.qa.append(el('h3', {}, 'Questions'), el('form', { class: 'row', onsubmit: ask }, qaText, el('button', { type: 'submit' }, 'Ask')), qaList);
  ui.hand.addEventListener('click', toggleHand);
  root.replaceChildren(el('div', { class: 'event-head' }, ui.title, ui.state), ui.stream,
    el('div', { class: 'live-row' }, ui.reactBar, ui.burst), ui.msg, ui.poll, ui.qa, el('div', { class: 'row' }, ui.hand, ui.stage));
  root.hidden = false;

  let ev = null;
  let channel = null;
  let poll = null;       // {poll_id, question, options, kind, closed, results}
  let myVote = null;
  let handUp = false;
  let total = 0;
  let qaTimer = null;
  const myUpvotes = new Set();
  const say = (t) => { ui.msg.textContent = t; };

  async function open(eventId) {
    ev = await rpc(c, 'event.get', { id: eventId });
    ui.title.textContent = ev.title;
    let occ = ev.occurrences.find((o) => o.n === ev.current) || ev.occurrences[0];
    channel = occ.channel;
    setState(occ.state);
    renderStream(ev.stream_url);
    const evSub = c.newSubscription(`${ev.namespace}:${ev.id}`);
    evSub.on('publication', (ctx) => {
      const d = ctx.data;
      if (d.type !== 'event_state') return;
      if (d.occurrence === occ.n) {
        setState(d.state);
        if (d.state === 'live' || d.state === 'after_party') chat.resubscribe();
      } else if (d.occurrence > occ.n && ['green_room', 'live', 'after_party'].includes(d.state)) {
        // the next occurrence opens: the room follows it (its own chat and history)
        occ = { n: d.occurrence, channel: `${ev.namespace}:${ev.id}.${d.occurrence}` };
        channel = occ.channel;
        poll = null; myVote = null; total = 0;
        ui.reactTotal.textContent = '0';
        renderPoll();
        setState(d.state);
        chat.join(channel);
      }
    });
    evSub.subscribe();
    chat.join(channel);
    return channel;
  }

  function setState(s) {
    ui.state.textContent = STATE_WORDS[s] || s;
    ui.state.dataset.state = s;
    root.dataset.state = s;
  }

  function renderStream(url) {
    ui.stream.replaceChildren();
    if (!url) { ui.stream.append(el('p', { class: 'muted' }, 'No stream for this event: the chat is the room.')); return; }
    let safe;
    try { safe = new URL(url); } catch { return; }
    if (!/^https?:$/.test(safe.protocol)) return;
    if (/\.(m3u8|mp4|webm|ogg)(\?|$)/i.test(safe.pathname)) ui.stream.append(el('video', { controls: true, playsinline: true, src: safe.href, 'aria-label': 'Event stream' }));
    else ui.stream.append(el('iframe', { src: safe.href, title: 'Event stream', allow: 'autoplay; fullscreen', referrerpolicy: 'no-referrer' }));
  }

  async function tap(emoji) {
    try { await rpc(c, 'live.react', { channel, emoji }); } catch (e) { say(sentence(e, 'Reacting')); }
  }

  function burst(counts) {
    for (const [emoji, n] of Object.entries(counts || {})) {
      total += n;
      const s = el('span', { class: 'float', style: `left:${10 + Math.random() * 70}%` }, `${emoji} ×${n}`);
      ui.burst.append(s);
      setTimeout(() => s.remove(), 1600);
    }
    ui.reactTotal.textContent = String(total);
  }

  // ---- polls ------------------------------------------------------------
  function renderPoll() {
    ui.poll.replaceChildren();
    if (!poll) { ui.poll.hidden = true; return; }
    ui.poll.hidden = false;
    ui.poll.dataset.pollId = poll.poll_id;
    ui.poll.dataset.closed = String(!!poll.closed);
    ui.poll.append(el('h3', {}, poll.kind === 'nps' ? `Quick pulse: ${poll.question}` : poll.question));
    const r = poll.results || {};
    if (poll.kind === 'nps') {
      const row = el('div', { class: 'nps-row', role: 'group', 'aria-label': '0 = not at all, 10 = extremely likely' });
      for (let s = 0; s <= 10; s++) row.append(el('button', { type: 'button', class: 'vote', 'aria-pressed': myVote === s ? 'true' : 'false', disabled: poll.closed, onclick: () => vote({ score: s }, s) }, String(s)));
      ui.poll.append(row, el('p', { class: 'muted' }, `${r.voters || 0} answered${r.nps !== undefined && r.nps !== null ? ` · NPS ${r.nps}` : ''}`));
    } else {
      const total = r.voters || 0;
      poll.options.forEach((o, i) => {
        const n = (r.counts || [])[i] || 0;
        const pct = total ? Math.round((100 * n) / total) : 0;
        ui.poll.append(el('button', { type: 'button', class: 'vote option', 'aria-pressed': myVote === i ? 'true' : 'false', disabled: poll.closed,
          style: `--pct:${pct}%`, dataset: { option: String(i), count: String(n) }, onclick: () => vote({ choices: [i] }, i) }, `${o} — ${n}`));
      });
      ui.poll.append(el('p', { class: 'muted' }, `${total} voted`));
    }
    if (poll.closed) ui.poll.append(el('p', { class: 'closed' }, 'This poll is closed.'));
  }

  async function vote(body, mark) {
    try { await rpc(c, 'poll.vote', { poll_id: poll.poll_id, ...body }); myVote = mark; renderPoll(); } catch (e) { say(sentence(e, 'Your vote')); }
  }

  // ---- Q&A --------------------------------------------------------------
  async function ask(e) {
    e.preventDefault();
    const text = qaText.value.trim();
    if (!text) return;
    try { await rpc(c, 'qa.ask', { channel, text }); qaText.value = ''; } catch (err) { say(sentence(err, 'Your question')); }
  }

  async function refreshQa() {
    let qs;
    try { qs = (await rpc(c, 'qa.list', { channel })).questions || []; } catch { return; }
    qaList.replaceChildren();
    for (const q of qs.filter((x) => !x.dismissed)) {
      const up = myUpvotes.has(q.question_id);
      qaList.append(el('li', { class: `q${q.pinned ? ' pinned' : ''}${q.answered ? ' answered' : ''}`, dataset: { id: q.question_id, votes: String(q.votes) } },
        el('button', { type: 'button', class: 'upvote', 'aria-pressed': up ? 'true' : 'false', 'aria-label': `Upvote (${q.votes})`,
          onclick: () => upvote(q.question_id, up) }, `▲ ${q.votes}`),
        el('span', {}, ` ${q.text} `), el('span', { class: 'muted' }, `— ${q.user}`),
        q.pinned ? el('span', { class: 'badge' }, 'pinned') : null, q.answered ? el('span', { class: 'badge' }, 'answered') : null));
    }
  }
  const qaSoon = () => { clearTimeout(qaTimer); qaTimer = setTimeout(refreshQa, 150); };

  async function upvote(id, undo) {
    try {
      await rpc(c, undo ? 'qa.unvote' : 'qa.upvote', { channel, question_id: id });
      if (undo) myUpvotes.delete(id); else myUpvotes.add(id);
      qaSoon();
    } catch (e) { say(sentence(e, 'Your vote')); }
  }

  // ---- stage ------------------------------------------------------------
  async function toggleHand() {
    try {
      await rpc(c, handUp ? 'stage.lower_hand' : 'stage.raise_hand', { channel });
      handUp = !handUp;
      ui.hand.textContent = handUp ? '✋ Lower hand' : '✋ Raise hand';
      ui.hand.setAttribute('aria-pressed', String(handUp));
    } catch (e) { say(sentence(e, 'Raising your hand')); }
  }
  function renderStage(d) {
    const speakers = d.speakers || [];
    handUp = (d.hands || []).includes(me);
    ui.hand.textContent = handUp ? '✋ Lower hand' : '✋ Raise hand';
    ui.stage.textContent = speakers.includes(me) ? 'You are on stage!' : speakers.length ? `On stage: ${speakers.join(', ')}` : '';
  }

  // every non-chat publication of the occurrence chat (live and history)
  function onOther(d) {
    switch (d.type) {
      case 'poll':
        poll = { ...d, results: poll && poll.poll_id === d.poll_id ? poll.results : null };
        if (poll.poll_id !== (ui.poll.dataset.pollId || '')) myVote = null;
        renderPoll();
        rpc(c, 'poll.results', { poll_id: d.poll_id }).then((r) => { if (poll && poll.poll_id === d.poll_id) { poll.results = r; poll.closed = poll.closed || r.closed; renderPoll(); } }).catch(() => {});
        break;
      case 'poll_results':
        if (poll && poll.poll_id === d.poll_id) { poll.results = d; poll.closed = poll.closed || d.closed; renderPoll(); }
        break;
      case 'qa': qaSoon(); break;
      case 'stage': renderStage(d); break;
      case 'reaction_totals': burst(d.counts); break;
      default: break;
    }
  }

  function onSubscribed() { say(''); refreshQa(); rpc(c, 'stage.get', { channel }).then(renderStage).catch(() => {}); }
  function onRefused(ctx) {
    if (ctx.code === 103 && ui.state.dataset.state === 'green_room') chat.notice('The hosts are getting ready: the room opens when the event goes live.', 'waiting');
  }

  return { open, onOther, onSubscribed, onRefused, get channel() { return channel; } };
}

export const liveChannel = (ch) => /^[^:]+:[0-9a-f]+\.\d+$/.test(ch || '');
