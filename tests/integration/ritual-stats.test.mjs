// tests/integration/ritual-stats.test.mjs — stats.event (community/stats.c)
// against a scripted attendance of two occurrences with the official SDK:
// who was there (concurrent, peak, distinct, first-time vs returning,
// retention), what they said (messages, distinct chatters), reactions and
// the energy timeline, polls and NPS, Q&A; and who may read it.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { api, mintToken, once, sdk, sleep, startHearthd, waitFor, signedIn } from './lib/hearthd.mjs';

const CONFIG = {
  namespaces: [
    { name: 'live', chat: true, history_size: 100, history_ttl: 3600, allow_publish: true },
    { name: 'announcements', history_size: 10, history_ttl: 3600 },
  ],
};

let h;
const clients = [];
const user = (id, roles) => signedIn(h, clients, id, roles);
async function join(c, ch) {
  const s = c.newSubscription(ch);
  s.subscribe();
  await once(s, 'subscribed');
  return s;
}
const stats = async (id, occurrence) => {
  const r = await api(h, 'stats.event', occurrence ? { id, occurrence } : { id });
  assert.equal(r.status, 200, r.text);
  assert.ok(r.json.result, r.text);
  return r.json.result;
};
before(async () => { h = await startHearthd(CONFIG); });
after(async () => { for (const c of clients) c.disconnect(); await sleep(100); await h.stop(); });

test('two occurrences: attendance, chat, reactions, polls, NPS, Q&A, retention', async () => {
  const id = (await api(h, 'event.create', { title: 'Ritual', hosts: ['alice'], start: '2026-12-10T19:00',
    tz: 'Europe/Paris', duration: 3600, recurrence: { freq: 'weekly' },
    policies: { live: { slow_mode: 0 } } })).json.result.id; // u1 speaks twice in a row
  const ch1 = `live:${id}.1`, ch2 = `live:${id}.2`;
  await api(h, 'event.transition', { id, state: 'live' });
  const [u1, u2, u3] = await Promise.all([user('u1'), user('u2'), user('u3')]);
  const s1 = await join(u1, ch1);
  await join(u2, ch1);
  const s3 = await join(u3, ch1);
  await s1.publish({ text: 'hello' });
  await s1.publish({ text: 'again' });
  await u2.publish(ch1, { text: 'hi all' });
  for (let i = 0; i < 3; i++) await u3.rpc('live.react', { channel: ch1, emoji: '🔥' });
  const poll = (await api(h, 'poll.create', { channel: ch1, question: 'Fun?', options: ['yes', 'no'], kind: 'single' })).json.result.poll_id;
  await u1.rpc('poll.vote', { poll_id: poll, choices: [0] });
  await u2.rpc('poll.vote', { poll_id: poll, choices: [1] });
  const nps = (await api(h, 'poll.create', { channel: ch1, question: 'Recommend?', kind: 'nps' })).json.result.poll_id;
  await u1.rpc('poll.vote', { poll_id: nps, score: 10 });
  await u2.rpc('poll.vote', { poll_id: nps, score: 6 });
  const q = (await u3.rpc('qa.ask', { channel: ch1, text: 'when is next week?' })).data.question_id;
  await api(h, 'qa.answer', { channel: ch1, question_id: q });
  s3.unsubscribe();
  await sleep(1500); // the energy timeline is written once a second
  let st = await stats(id, 1);
  assert.equal(st.concurrent, 2);
  assert.equal(st.peak, 3);
  assert.match(st.peak_at, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
  assert.deepEqual([st.unique_attendees, st.first_time, st.returning, st.retention], [3, 3, 0, null]);
  assert.deepEqual([st.messages, st.unique_chatters], [3, 2]);
  assert.ok(st.messages_per_minute >= 3, `${st.messages_per_minute}`);
  assert.equal(st.reactions, 3);
  assert.equal(st.energy.reduce((a, [, n]) => a + n, 0), 3);
  assert.equal(st.polls.length, 2);
  assert.deepEqual([st.polls[0].question, st.polls[0].counts, st.polls[0].voters], ['Fun?', [1, 1], 2]);
  assert.equal(st.polls[1].kind, 'nps');
  assert.equal(st.nps, 0); // one promoter, one detractor
  assert.deepEqual([st.questions, st.answered], [1, 1]);
  assert.ok(st.timeline.live > 0);
  // the next week: u1 returns, u4 is new
  await api(h, 'event.transition', { id, state: 'ended' });
  await api(h, 'event.transition', { id, state: 'live' });
  const u4 = await user('u4');
  await join(u1, ch2);
  await join(u4, ch2);
  await waitFor(async () => (await stats(id)).unique_attendees === 2, 5000, 'attendance of occurrence 2');
  st = await stats(id); // the current occurrence
  assert.equal(st.occurrence, 2);
  assert.deepEqual([st.unique_attendees, st.first_time, st.returning], [2, 1, 1]);
  assert.ok(Math.abs(st.retention - 1 / 3) < 1e-9, `${st.retention}`);
  assert.deepEqual([st.messages, st.reactions, st.polls.length, st.questions], [0, 0, 0, 0]);
  // occurrence 1's figures are kept
  assert.equal((await stats(id, 1)).unique_attendees, 3);
});

test('who may read the numbers', async () => {
  const id = (await api(h, 'event.create', { title: 'R', hosts: ['alice'], start: '2026-12-10T19:00',
    tz: 'UTC', duration: 600 })).json.result.id;
  const alice = await user('alice');
  const bob = await user('bob', ['host']);
  const admin = await user('root', ['admin']);
  assert.equal((await alice.rpc('stats.event', { id })).data.unique_attendees, 0);
  assert.equal((await admin.rpc('stats.event', { id })).data.occurrence, 1);
  await assert.rejects(bob.rpc('stats.event', { id }), (e) => e.code === 103);
  await assert.rejects(alice.rpc('stats.event', { id, occurrence: 2 }), (e) => e.code === 107);
  await assert.rejects(alice.rpc('stats.event', {}), (e) => e.code === 107);
});
