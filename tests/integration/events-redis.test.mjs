// tests/integration/events-redis.test.mjs — rituals on three hearthd nodes
// sharing one redis-server, with the official SDK: each reminder fires once
// although three nodes look for it, and still once after one node is killed
// mid-way; a transition made on one node applies its room policy on another;
// polls, Q&A and the figures are the same from every node.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { api, mintToken, once, redisNodeConfig, sdk, sleep, startHearthd, startRedis, waitFor } from './lib/hearthd.mjs';

const NS = [
  { name: 'live', chat: true, history_size: 100, history_ttl: 3600, allow_publish: true },
  { name: 'announcements', history_size: 100, history_ttl: 3600 },
];
let redis;
let nodes;
const clients = [];
function user(h, id, roles = ['member']) {
  const c = sdk(h, { token: mintToken({ sub: id, roles }) });
  clients.push(c);
  c.connect();
  return c;
}
before(async () => {
  redis = await startRedis();
  nodes = [];
  for (const name of ['a', 'b', 'c']) nodes.push(await startHearthd(redisNodeConfig(redis, { node_name: name, namespaces: NS })));
});
after(async () => {
  for (const c of clients) c.disconnect();
  await sleep(100);
  try {
    for (const n of nodes) await n.stop();
  } finally {
    await redis.stop();
  }
});

test('each reminder fires once on three nodes, and once more after one is killed', async () => {
  const [A, B, C] = nodes;
  const watcher = user(B, 'watcher');
  await watcher.ready(5000);
  const ann = watcher.newSubscription('announcements:community');
  const got = [];
  ann.on('publication', (p) => { if (p.data.type === 'reminder') got.push(p.data); });
  ann.subscribe();
  await once(ann, 'subscribed');
  // start on a minute boundary at least 25 s ahead; reminders due in ~3 s and ~8 s
  const now = Date.now();
  const startMs = Math.ceil((now + 25000) / 60000) * 60000;
  const ahead = Math.floor((startMs - now) / 1000);
  const first = ahead - 3, second = ahead - 8;
  const r = await api(A, 'event.create', { title: 'Three nodes', hosts: ['alice'], tz: 'UTC', duration: 600,
    start: new Date(startMs).toISOString().slice(0, 16), reminders: [first, second] });
  const id = r.json.result.id;
  await waitFor(() => got.some((m) => m.event === id && m.starts_in === first), 10000, 'the first reminder');
  await C.proc.kill('SIGKILL'); // a node dies between the two reminders
  await C.exited;
  await waitFor(() => got.some((m) => m.event === id && m.starts_in === second), 12000, 'the second reminder');
  await sleep(2500); // every surviving node has looked again since
  const mine = got.filter((m) => m.event === id).map((m) => m.starts_in);
  assert.deepEqual(mine.sort((x, y) => y - x), [first, second]);
  nodes.pop(); // C is gone
});

test('a transition on one node applies the room policy on the others', async () => {
  const [A, B] = nodes;
  const id = (await api(A, 'event.create', { title: 'Policy', hosts: ['alice'], start: '2026-12-10T19:00', tz: 'UTC',
    duration: 600, recurrence: { freq: 'weekly' } })).json.result.id;
  const ch = `live:${id}.1`;
  await api(A, 'event.transition', { id, state: 'green_room' });
  const bob = user(B, 'bob');
  await bob.ready(5000);
  // B learns of the transition within about a second (its scan of the events)
  await waitFor(async () => {
    try { await bob.publish(ch, { text: 'early' }); return false; } catch (e) { return e.code === 103; }
  }, 5000, 'the green room on node B');
  await api(A, 'event.transition', { id, state: 'live' });
  await waitFor(async () => {
    try { await bob.publish(ch, { text: 'now' }); return true; } catch { return false; }
  }, 5000, 'the live room on node B');
  // a poll made on A, voted on B, read on A
  const poll = (await api(A, 'poll.create', { channel: ch, question: 'Q?', options: ['x', 'y'], kind: 'single' })).json.result.poll_id;
  await bob.rpc('poll.vote', { poll_id: poll, choices: [1] });
  assert.deepEqual((await api(A, 'poll.results', { poll_id: poll })).json.result.counts, [0, 1]);
  const q = (await bob.rpc('qa.ask', { channel: ch, text: 'from B' })).data.question_id;
  assert.equal((await api(A, 'qa.list', { channel: ch })).json.result.questions[0].question_id, q);
  // attendance counted on B is seen from A
  const s = bob.newSubscription(ch);
  s.subscribe();
  await once(s, 'subscribed');
  await waitFor(async () => (await api(A, 'stats.event', { id })).json.result.unique_attendees === 1, 5000, 'attendance');
});
