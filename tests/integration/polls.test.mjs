// tests/integration/polls.test.mjs — polls and NPS pulses (community/polls.c)
// with the official SDK: single/multi/NPS arithmetic, changing a vote, bad
// votes (107), closed polls and the audience rule (103, attendance counted
// from the room's subscriptions), live results coalesced (a vote flood gives
// a bounded number of poll_results publications: counted, not timed), and
// hostile polls (10,000 options).
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { api, mintToken, once, sdk, sleep, startHearthd, waitFor, signedIn } from './lib/hearthd.mjs';

const CONFIG = {
  namespaces: [
    { name: 'live', chat: true, history_size: 100, history_ttl: 3600, allow_publish: true },
  ],
};

let h;
const clients = [];
const member = (id, roles) => signedIn(h, clients, id, roles);
before(async () => { h = await startHearthd(CONFIG); });
after(async () => { for (const c of clients) c.disconnect(); await sleep(100); await h.stop(); });

async function results(id) {
  const r = await api(h, 'poll.results', { poll_id: id });
  assert.equal(r.status, 200, r.text);
  return r.json.result;
}

test('single and multi choice: counts, voters, changing a vote, bad votes', async () => {
  const host = await member('hal', ['host']);
  const { data } = await host.rpc('poll.create', { channel: 'live:p1.1', question: 'Best?', options: ['a', 'b', 'c'], kind: 'single' });
  const id = data.poll_id;
  const voters = await Promise.all(['u1', 'u2', 'u3'].map((u) => member(u)));
  await voters[0].rpc('poll.vote', { poll_id: id, choices: [0] });
  await voters[1].rpc('poll.vote', { poll_id: id, choices: [2] });
  await voters[2].rpc('poll.vote', { poll_id: id, choices: [2] });
  await voters[2].rpc('poll.vote', { poll_id: id, choices: [1] }); // changed
  let r = await results(id);
  assert.deepEqual(r.counts, [1, 1, 1]);
  assert.equal(r.voters, 3);
  for (const bad of [{ choices: [3] }, { choices: [0, 1] }, { choices: [] }, { choices: ['a'] }, { score: 5 }, {}]) {
    await assert.rejects(voters[0].rpc('poll.vote', { poll_id: id, ...bad }), (e) => e.code === 107, JSON.stringify(bad));
  }
  await assert.rejects(voters[0].rpc('poll.vote', { poll_id: 'nope', choices: [0] }), (e) => e.code === 107);
  const m = (await host.rpc('poll.create', { channel: 'live:p1.1', question: 'Which?', options: ['x', 'y', 'z'], kind: 'multi' })).data.poll_id;
  await voters[0].rpc('poll.vote', { poll_id: m, choices: [0, 2] });
  await voters[1].rpc('poll.vote', { poll_id: m, choices: [2] });
  await assert.rejects(voters[1].rpc('poll.vote', { poll_id: m, choices: [1, 1] }), (e) => e.code === 107);
  r = await results(m);
  assert.deepEqual(r.counts, [1, 0, 2]);
  assert.equal(r.voters, 2);
  // closing: 103 afterwards, results kept
  await assert.rejects(voters[0].rpc('poll.close', { poll_id: m }), (e) => e.code === 103);
  await host.rpc('poll.close', { poll_id: m });
  await assert.rejects(voters[2].rpc('poll.vote', { poll_id: m, choices: [1] }), (e) => e.code === 103);
  r = await results(m);
  assert.equal(r.closed, true);
  assert.deepEqual(r.counts, [1, 0, 2]);
  // a member may not create polls
  await assert.rejects(voters[0].rpc('poll.create', { channel: 'live:p1.1', question: 'q', options: ['a', 'b'], kind: 'single' }), (e) => e.code === 103);
});

test('NPS arithmetic: promoters, passives, detractors, rounded score', async () => {
  const r0 = await api(h, 'poll.create', { channel: 'live:nps.1', question: 'Recommend us?', kind: 'nps' });
  const id = r0.json.result.poll_id;
  const scores = [10, 9, 9, 8, 7, 6, 0]; // 3 promoters, 2 passives, 2 detractors: (3-2)/7 = 14.29 -> 14
  for (const [i, s] of scores.entries()) {
    const r = await api(h, 'poll.vote', { poll_id: id, score: s, user: `n${i}` });
    assert.equal(r.status, 200, r.text);
  }
  assert.equal((await api(h, 'poll.vote', { poll_id: id, score: 11, user: 'n9' })).json.error.code, 107);
  assert.equal((await api(h, 'poll.vote', { poll_id: id, choices: [1], user: 'n9' })).json.error.code, 107);
  assert.equal((await api(h, 'poll.vote', { poll_id: id, score: 3 })).json.error.code, 107); // no user
  let r = await results(id);
  assert.deepEqual([r.promoters, r.passives, r.detractors, r.nps, r.voters], [3, 2, 2, 14, 7]);
  await api(h, 'poll.vote', { poll_id: id, score: 10, user: 'n6' }); // a detractor becomes a promoter
  r = await results(id);
  assert.deepEqual([r.promoters, r.passives, r.detractors, r.nps, r.voters], [4, 2, 1, 43, 7]);
  assert.equal(r.counts.length, 11);
});

test('audience: only members present long enough may vote in an NPS pulse', async () => {
  const id = (await api(h, 'poll.create', { channel: 'live:aud.1', question: 'NPS?', kind: 'nps',
    audience: { min_attended: 1 } })).json.result.poll_id;
  const stayer = await member('stay');
  const s = stayer.newSubscription('live:aud.1');
  s.subscribe();
  await once(s, 'subscribed');
  const outsider = await member('out');
  await assert.rejects(outsider.rpc('poll.vote', { poll_id: id, score: 9 }), (e) => e.code === 103);
  await assert.rejects(stayer.rpc('poll.vote', { poll_id: id, score: 9 }), (e) => e.code === 103); // just arrived
  await sleep(1300);
  await stayer.rpc('poll.vote', { poll_id: id, score: 9 });
  // leaving resets it
  s.unsubscribe();
  await sleep(200);
  await assert.rejects(stayer.rpc('poll.vote', { poll_id: id, score: 8 }), (e) => e.code === 103);
  assert.equal((await results(id)).promoters, 1);
});

test('live results are coalesced: a vote flood gives few poll_results publications', async () => {
  const watcher = await member('watch');
  const s = watcher.newSubscription('live:flood.1');
  const updates = [];
  s.on('publication', (p) => { if (p.data.type === 'poll_results') updates.push(p.data); });
  s.subscribe();
  await once(s, 'subscribed');
  const id = (await api(h, 'poll.create', { channel: 'live:flood.1', question: 'Go?', options: ['y', 'n'], kind: 'single' })).json.result.poll_id;
  const N = 200;
  const t0 = Date.now();
  await Promise.all(Array.from({ length: N }, (_, i) => api(h, 'poll.vote', { poll_id: id, choices: [i % 2], user: `f${i}` })));
  const elapsed = Date.now() - t0;
  await waitFor(() => updates.length && updates.at(-1).voters === N, 5000, 'final results');
  // at most one update per 500 ms window while votes arrived (+2 for window edges)
  assert.ok(updates.length <= Math.ceil(elapsed / 500) + 2, `${updates.length} updates in ${elapsed} ms`);
  assert.ok(updates.length < N / 4, `${updates.length} updates for ${N} votes`);
  assert.deepEqual(updates.at(-1).counts, [N / 2, N / 2]);
});

test('hostile polls: 10,000 options, huge question, unknown keys, non-chat channel', async () => {
  const many = Array.from({ length: 10000 }, (_, i) => `o${i}`);
  const bad = [
    { channel: 'live:x.1', question: 'q', options: many, kind: 'single' },
    { channel: 'live:x.1', question: 'q'.repeat(501), options: ['a', 'b'], kind: 'single' },
    { channel: 'live:x.1', question: 'q', options: ['a'], kind: 'single' },
    { channel: 'live:x.1', question: 'q', options: ['a', 'b'], kind: 'ranked' },
    { channel: 'live:x.1', question: 'q', options: ['a', 'b'], kind: 'nps' },
    { channel: 'live:x.1', question: 'q', options: ['a', 'b'], kind: 'single', extra: true },
    { channel: 'live:x.1', question: 'q', kind: 'nps', audience: { min_attended: -1 } },
    { channel: 'other:x', question: 'q', options: ['a', 'b'], kind: 'single' },
  ];
  for (const b of bad) {
    const r = await api(h, 'poll.create', b);
    assert.equal(r.json?.error?.code, 107, r.text.slice(0, 200));
  }
});

test('an NPS pulse with an audience invites, personally, the members present long enough', async () => {
  const ch = 'live:invite.1';
  const inbox = {};
  const watch = (c, name) => { inbox[name] = []; c.on('message', (ctx) => inbox[name].push(ctx.data)); };
  const stayer = await member('inv-stay');
  watch(stayer, 'stay');
  const s1 = stayer.newSubscription(ch);
  s1.subscribe();
  await once(s1, 'subscribed');
  await sleep(1200);
  const newcomer = await member('inv-new');
  watch(newcomer, 'new');
  const s2 = newcomer.newSubscription(ch);
  s2.subscribe();
  await once(s2, 'subscribed');
  const outsider = await member('inv-out');
  watch(outsider, 'out');
  const id = (await api(h, 'poll.create', { channel: ch, question: 'Recommend us?', kind: 'nps',
    audience: { min_attended: 1 } })).json.result.poll_id;
  await waitFor(() => inbox.stay.length === 1, 5000, 'the invitation');
  assert.deepEqual([inbox.stay[0].type, inbox.stay[0].poll_id, inbox.stay[0].channel], ['poll_invite', id, ch]);
  await sleep(500);
  assert.deepEqual([inbox.new.length, inbox.out.length], [0, 0]);
});
