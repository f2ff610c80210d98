// tests/integration/community-stats.test.mjs — stats.community and
// stats.series (community/members_stats.c) with the official SDK and the
// injectable clock (debug.clock, "test_clock": true): members, new members,
// DAU/WAU/MAU, stickiness, churn after 31 days away, the latest NPS, series
// by day and week; only admins (and the API) may read them.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { api, mintToken, once, sdk, sleep, startHearthd, waitFor } from './lib/hearthd.mjs';

const DAY = 86400000;
const T0 = Date.UTC(2027, 0, 4, 12, 0, 0); // a Monday, noon UTC

let h;
const clients = [];
async function visit(id, roles = ['member'], ch = 'live:lobby') {
  const c = sdk(h, { token: mintToken({ sub: id, roles }) });
  clients.push(c);
  c.connect();
  await c.ready(5000);
  const s = c.newSubscription(ch);
  s.subscribe();
  await once(s, 'subscribed');
  return { c, s };
}
const clock = (body) => api(h, 'debug.clock', body);
const community = async () => {
  const r = await api(h, 'stats.community', {});
  assert.equal(r.status, 200, r.text);
  return r.json.result;
};
before(async () => {
  h = await startHearthd({ test_clock: true, namespaces: [
    { name: 'live', chat: true, history_size: 100, history_ttl: 3600 * 24 * 60, allow_publish: true }] });
  await clock({ set_ms: T0 });
});
after(async () => { for (const c of clients) c.disconnect(); await sleep(100); await h.stop(); });

test('members, actives, churn, NPS and series over a scripted month', async () => {
  // day 0: four members visit, u1 says two things
  const u1 = await visit('u1');
  for (const u of ['u2', 'u3', 'u4']) await visit(u);
  await u1.s.publish({ text: 'hello' });
  await u1.s.publish({ text: 'again' });
  await waitFor(async () => (await community()).dau === 4, 5000, 'day 0 actives');
  let st = await community();
  assert.deepEqual([st.members, st.new_members_7d, st.dau, st.wau, st.mau, st.stickiness, st.churned_30d, st.nps_last],
    [4, 4, 4, 4, 4, 1, 0, null]);
  // day 3: u1 and u2 again (the same user joining twice a day counts once)
  await clock({ set_ms: T0 + 3 * DAY });
  await visit('u1', ['member'], 'live:other');
  await visit('u1', ['member'], 'live:third');
  await visit('u2');
  await waitFor(async () => (await community()).dau === 2, 5000, 'day 3 actives');
  st = await community();
  assert.deepEqual([st.members, st.dau, st.wau, st.mau], [4, 2, 4, 4]);
  assert.equal(st.stickiness, 0.5);
  // day 34: only u1 and a newcomer; u2..u4 have been away over 30 days
  await clock({ set_ms: T0 + 34 * DAY });
  await visit('u1', ['member'], 'live:later');
  await visit('u5');
  await waitFor(async () => (await community()).dau === 2, 5000, 'day 34 actives');
  st = await community();
  assert.deepEqual([st.members, st.new_members_7d, st.dau, st.wau, st.mau, st.churned_30d], [5, 1, 2, 2, 2, 3]);
  // an NPS pulse closes: nps_last
  const poll = (await api(h, 'poll.create', { channel: 'live:lobby', question: 'NPS?', kind: 'nps' })).json.result.poll_id;
  await api(h, 'poll.vote', { poll_id: poll, score: 10, user: 'u1' });
  await api(h, 'poll.close', { poll_id: poll });
  await waitFor(async () => (await community()).nps_last === 100, 5000, 'nps_last');
  // series
  const day = (n) => new Date(T0 + n * DAY).toISOString().slice(0, 10);
  let s = (await api(h, 'stats.series', { metric: 'dau', from: day(0), to: day(4), step: 'day' })).json.result;
  assert.deepEqual(s.points.map((p) => [p.t, p.value]), [[day(0), 4], [day(1), 0], [day(2), 0], [day(3), 2], [day(4), 0]]);
  s = (await api(h, 'stats.series', { metric: 'new_members', from: day(0), to: day(34), step: 'week' })).json.result;
  assert.equal(s.points.length, 5);
  assert.deepEqual(s.points.map((p) => p.value), [4, 0, 0, 0, 1]);
  // message counts reach the store once a second (community/activity.c)
  await waitFor(async () => (await api(h, 'stats.series', { metric: 'messages', from: day(0), to: day(0), step: 'day' }))
    .json.result.points[0].value === 2, 5000, 'the day-0 message count');
  for (const bad of [{}, { metric: 'dau', from: day(0), to: day(1), step: 'month' }, { metric: 'x', from: day(0), to: day(1), step: 'day' },
    { metric: 'dau', from: day(5), to: day(1), step: 'day' }, { metric: 'dau', from: '2020-01-01', to: '2022-01-01', step: 'day' }]) {
    assert.equal((await api(h, 'stats.series', bad)).json.error.code, 107, JSON.stringify(bad));
  }
});

test('only admins read community figures over rpc', async () => {
  const m = await visit('plain');
  const a = await visit('boss', ['admin']);
  await assert.rejects(m.c.rpc('stats.community', {}), (e) => e.code === 103);
  assert.ok((await a.c.rpc('stats.community', {})).data.members >= 1);
});
