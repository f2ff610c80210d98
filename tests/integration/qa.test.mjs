// tests/integration/qa.test.mjs — Q&A (community/qa.c) with the official SDK:
// asking (one question per user per 30 s: 111 with the seconds left),
// upvotes one per user, ordering by votes then oldest, answer/pin/dismiss by
// hosts only, changes published into the room, bad shapes 107.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { api, mintToken, once, sdk, sleep, startHearthd, waitFor, signedIn } from './lib/hearthd.mjs';

const CONFIG = {
  namespaces: [{ name: 'live', chat: true, history_size: 100, history_ttl: 3600, allow_publish: true }],
};

let h;
const clients = [];
const user = (id, roles) => signedIn(h, clients, id, roles);
before(async () => { h = await startHearthd(CONFIG); });
after(async () => { for (const c of clients) c.disconnect(); await sleep(100); await h.stop(); });

test('ask, vote, order, answer: the whole flow', async () => {
  const ch = 'live:qa.1';
  const [ann, ben, cat] = await Promise.all([user('ann'), user('ben'), user('cat')]);
  const host = await user('hal', ['host']);
  const sub = host.newSubscription(ch);
  const changes = [];
  sub.on('publication', (p) => { if (p.data.type === 'qa') changes.push(p.data); });
  sub.subscribe();
  await once(sub, 'subscribed');
  const q1 = (await ann.rpc('qa.ask', { channel: ch, text: 'first?' })).data.question_id;
  await sleep(5);
  const q2 = (await ben.rpc('qa.ask', { channel: ch, text: 'second?' })).data.question_id;
  await sleep(5);
  const q3 = (await cat.rpc('qa.ask', { channel: ch, text: 'third?' })).data.question_id;
  // one question per 30 s
  await assert.rejects(ann.rpc('qa.ask', { channel: ch, text: 'again' }),
    (e) => e.code === 111 && /wait \d+ s/.test(e.message));
  // votes: q3 gets 2, q2 gets 1 (a repeated vote counts once), q1 none
  await ann.rpc('qa.upvote', { channel: ch, question_id: q3 });
  await ben.rpc('qa.upvote', { channel: ch, question_id: q3 });
  const again = await ben.rpc('qa.upvote', { channel: ch, question_id: q3 });
  assert.equal(again.data.votes, 2);
  await cat.rpc('qa.upvote', { channel: ch, question_id: q2 });
  await ann.rpc('qa.upvote', { channel: ch, question_id: q2 });
  const un = await ann.rpc('qa.unvote', { channel: ch, question_id: q2 });
  assert.equal(un.data.votes, 1);
  let list = (await ann.rpc('qa.list', { channel: ch })).data.questions;
  assert.deepEqual(list.map((q) => [q.question_id, q.votes]), [[q3, 2], [q2, 1], [q1, 0]]);
  assert.equal(list[2].user, 'ann');
  assert.equal(list[2].text, 'first?');
  // ties: oldest first
  await cat.rpc('qa.unvote', { channel: ch, question_id: q2 });
  await ann.rpc('qa.upvote', { channel: ch, question_id: q1 });
  list = (await ben.rpc('qa.list', { channel: ch })).data.questions;
  assert.deepEqual(list.map((q) => q.question_id), [q3, q1, q2]);
  // host actions; members may not
  for (const m of ['qa.answer', 'qa.pin', 'qa.dismiss']) {
    await assert.rejects(ann.rpc(m, { channel: ch, question_id: q3 }), (e) => e.code === 103, m);
  }
  await host.rpc('qa.answer', { channel: ch, question_id: q3 });
  await host.rpc('qa.pin', { channel: ch, question_id: q1 });
  await host.rpc('qa.dismiss', { channel: ch, question_id: q2 });
  list = (await ann.rpc('qa.list', { channel: ch })).data.questions;
  assert.deepEqual(list.map((q) => [q.question_id, q.answered, q.pinned]), [[q3, true, false], [q1, false, true]]);
  await waitFor(() => changes.some((x) => x.action === 'dismiss'), 5000, 'qa publications');
  assert.deepEqual(changes.map((x) => x.action).filter((a) => a === 'ask'), ['ask', 'ask', 'ask']);
  assert.ok(changes.some((x) => x.action === 'answer' && x.question.question_id === q3 && x.question.answered));
  // the HTTP API (a bot acting for a named member)
  const r = await api(h, 'qa.ask', { channel: ch, text: 'from the site', user: 'web-user' });
  assert.equal(r.status, 200, r.text);
  assert.equal((await api(h, 'qa.ask', { channel: ch, text: 'nameless' })).json.error.code, 107);
});

test('bad shapes are 107', async () => {
  const u = await user('dan');
  const bad = [
    ['qa.ask', { channel: 'live:qa.2' }], ['qa.ask', { channel: 'live:qa.2', text: '' }],
    ['qa.ask', { channel: 'live:qa.2', text: 'x'.repeat(1001) }], ['qa.ask', { channel: 'live:qa.2', text: 'a\u0007b' }],
    ['qa.ask', { channel: 'nope:x', text: 'hi' }], ['qa.upvote', { channel: 'live:qa.2' }],
    ['qa.upvote', { channel: 'live:qa.2', question_id: '12345678901234567' }], ['qa.list', {}],
  ];
  for (const [m, p] of bad) await assert.rejects(u.rpc(m, p), (e) => e.code === 107, `${m} ${JSON.stringify(p)}`);
});
