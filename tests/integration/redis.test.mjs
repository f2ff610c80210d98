// tests/integration/redis.test.mjs — two hearthd nodes sharing one real
// redis-server (engine "redis"), driven with the official SDK: publications
// cross nodes, history and recovery are shared (a client that reconnects to
// the other node comes back recovered), presence and join/leave span nodes,
// /api/info lists both nodes, and /api/disconnect, /api/subscribe,
// /api/unsubscribe and /api/refresh reach the node that holds the user.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import WebSocket from 'ws';
import { decodeAll, encode } from './lib/msgpack.mjs';
import {
  api, dropTransport, failoverClient, mintToken, once, redisNodeConfig, sdk, sleep, startHearthd, startRedis, waitFor,
} from './lib/hearthd.mjs';

let redis;
let A;
let B;
const clients = [];
const client = (h, opts) => { const c = sdk(h, opts); clients.push(c); return c; };

before(async () => {
  redis = await startRedis();
  A = await startHearthd(redisNodeConfig(redis, { node_name: 'node-a' }));
  B = await startHearthd(redisNodeConfig(redis, { node_name: 'node-b' }));
});
after(async () => {
  for (const c of clients) c.disconnect();
  await sleep(100);
  try {
    await A.stop();
    await B.stop();
  } finally {
    await redis.stop();
  }
});

const failover = (target, opts) => { const c = failoverClient(target, opts); clients.push(c); return c; };

test('a publication on one node reaches subscribers on the other (SDK and msgpack)', async () => {
  const reader = client(A, { token: mintToken({ sub: 'ann', info: { nick: 'Ann' } }) });
  const writer = client(B, { token: mintToken({ sub: 'ben', info: { nick: 'Ben' } }) });
  const rs = reader.newSubscription('chat:xnode');
  const got = [];
  rs.on('publication', (ctx) => got.push(ctx));
  rs.subscribe(); reader.connect(); writer.connect();
  await rs.ready(5000); await writer.ready(5000);

  // a msgpack client on node B in the same room
  const mp = new WebSocket(B.ws, ['hearth-msgpack']);
  const mpMsgs = [];
  mp.on('message', (d) => { for (const m of decodeAll(Buffer.from(d))) mpMsgs.push(m); });
  await new Promise((resolve, reject) => { mp.once('open', resolve); mp.once('error', reject); });
  mp.send(Buffer.concat([encode({ id: 1, connect: {} }), encode({ id: 2, subscribe: { channel: 'chat:xnode' } })]));
  await waitFor(() => mpMsgs.some((m) => m.id === 2), 5000, 'msgpack subscribe reply');

  await writer.publish('chat:xnode', { text: 'hello from B' });
  const r = await api(A, 'publish', { channel: 'chat:xnode', data: { text: 'from the API on A' } });
  assert.equal(r.status, 200);
  assert.equal(r.json.result.offset, 2);
  await waitFor(() => got.length === 2, 5000, 'both publications on node A');
  assert.deepEqual(got[0].data, { text: 'hello from B' });
  assert.equal(got[0].info.user, 'ben');
  assert.deepEqual(got[0].info.connInfo, { nick: 'Ben' });
  assert.deepEqual([got[0].offset, got[1].offset], [1, 2]);
  assert.deepEqual(got[1].data, { text: 'from the API on A' });
  await waitFor(() => mpMsgs.filter((m) => m.push && m.push.pub).length === 2, 5000, 'msgpack pushes');
  const pubs = mpMsgs.filter((m) => m.push && m.push.pub).map((m) => m.push.pub);
  assert.deepEqual(JSON.parse(pubs[0].data.toString()), { text: 'hello from B' });
  assert.equal(pubs[0].info.user, 'ben');
  assert.deepEqual(pubs.map((p) => p.offset), [1, 2]);
  mp.close();
});

test('history is shared: same publications, offsets and epoch from either node', async () => {
  for (let i = 0; i < 5; i++) {
    const h = i % 2 ? A : B;
    const r = await api(h, 'publish', { channel: 'chat:shared', data: { i } });
    assert.equal(r.json.result.offset, i + 1);
  }
  const ha = (await api(A, 'history', { channel: 'chat:shared', limit: 10 })).json.result;
  const hb = (await api(B, 'history', { channel: 'chat:shared', limit: 10 })).json.result;
  assert.deepEqual(ha, hb);
  assert.equal(ha.offset, 5);
  assert.deepEqual(ha.publications.map((p) => [p.data.i, p.offset]), [[0, 1], [1, 2], [2, 3], [3, 4], [4, 5]]);

  const c = client(A);
  c.connect();
  await c.ready(5000);
  const rev = await c.history('chat:shared', { limit: 2, reverse: true });
  assert.deepEqual(rev.publications.map((p) => p.offset), [5, 4]);
  const since = await c.history('chat:shared', { limit: 10, since: { offset: 3, epoch: ha.epoch } });
  assert.deepEqual(since.publications.map((p) => p.offset), [4, 5]);
  await assert.rejects(c.history('chat:shared', { limit: 10, since: { offset: 3, epoch: 'nope' } }),
    (e) => e.code === 112);
});

test('a client that loses node A and reconnects to node B comes back recovered', async () => {
  let target = A.ws;
  const reader = failover(() => target, { minReconnectDelay: 1500, maxReconnectDelay: 2000 });
  const rs = reader.newSubscription('chat:failover');
  const got = [];
  const subscribed = [];
  rs.on('publication', (ctx) => got.push(ctx.data.i));
  rs.on('subscribed', (ctx) => subscribed.push(ctx));
  rs.subscribe(); reader.connect();
  await rs.ready(5000);
  for (let i = 0; i < 3; i++) await api(B, 'publish', { channel: 'chat:failover', data: { i } });
  await waitFor(() => got.length === 3, 5000, 'first three');

  target = B.ws; // the next connect goes to the other node
  const reconnecting = once(reader, 'connecting');
  dropTransport(reader);
  await reconnecting;
  for (let i = 3; i < 8; i++) await api(A, 'publish', { channel: 'chat:failover', data: { i } });
  await waitFor(() => subscribed.length === 2, 8000, 'resubscribed on node B');
  await waitFor(() => got.length === 8, 5000, 'the missed ones');
  assert.equal(subscribed[1].wasRecovering, true);
  assert.equal(subscribed[1].recovered, true);
  assert.deepEqual(got, [0, 1, 2, 3, 4, 5, 6, 7]);
  const info = (await api(B, 'info', {})).json.result.nodes;
  assert.equal(info.find((n) => n.name === 'node-b').num_clients >= 1, true);
  await api(A, 'publish', { channel: 'chat:failover', data: { i: 8 } });
  await waitFor(() => got.length === 9, 5000, 'live again, through node B');
});

test('presence, presence stats and join/leave span nodes', async () => {
  const bob = client(B, { token: mintToken({ sub: 'bob' }) });
  const bs = bob.newSubscription('chat:pres', { joinLeave: true });
  const joins = [];
  const leaves = [];
  // (bob also sees his own join; only alice's events matter here)
  bs.on('join', (ctx) => { if (ctx.info.user === 'alice') joins.push(ctx.info); });
  bs.on('leave', (ctx) => { if (ctx.info.user === 'alice') leaves.push(ctx.info); });
  bs.subscribe(); bob.connect();
  await bs.ready(5000);

  const alice = client(A, { token: mintToken({ sub: 'alice', info: { nick: 'Al' } }) });
  const as = alice.newSubscription('chat:pres');
  as.subscribe(); alice.connect();
  await as.ready(5000);
  await waitFor(() => joins.length === 1, 5000, 'join of alice seen on node B');
  assert.equal(joins[0].user, 'alice');
  assert.deepEqual(joins[0].connInfo, { nick: 'Al' });

  const p = await bs.presence();
  const users = Object.values(p.clients).map((ci) => ci.user).sort();
  assert.deepEqual(users, ['alice', 'bob']);
  assert.deepEqual(await bs.presenceStats(), { numClients: 2, numUsers: 2 });
  const ap = (await api(A, 'presence_stats', { channel: 'chat:pres' })).json.result;
  assert.deepEqual(ap, { num_clients: 2, num_users: 2 });

  as.unsubscribe();
  await waitFor(() => leaves.length === 1, 5000, 'leave of alice seen on node B');
  assert.equal(leaves[0].user, 'alice');
  const p2 = await bs.presence();
  assert.deepEqual(Object.values(p2.clients).map((ci) => ci.user), ['bob']);
});

test('/api/info lists both nodes with their connection counts', async () => {
  const c = client(B);
  c.connect();
  await c.ready(5000);
  await waitFor(async () => {
    const nodes = (await api(A, 'info', {})).json.result.nodes;
    const b = nodes.find((n) => n.name === 'node-b');
    return nodes.length === 2 && b && b.num_clients >= 1;
  }, 8000, 'node A to learn node B and its clients');
  await waitFor(async () => (await api(B, 'info', {})).json.result.nodes.length === 2, 8000,
    'node B to learn node A');
  const nodes = (await api(B, 'info', {})).json.result.nodes;
  assert.deepEqual(nodes.map((n) => n.name).sort(), ['node-a', 'node-b']);
  assert.notEqual(nodes[0].uid, nodes[1].uid);
  for (const n of nodes) {
    assert.match(n.uid, /^[0-9a-f-]{36}$/);
    assert.equal(typeof n.num_clients, 'number');
    assert.equal(typeof n.uptime, 'number');
  }
});

test('/api/disconnect on one node closes the user on every node, terminally (3503)', async () => {
  const onB = client(B, { token: mintToken({ sub: 'carol' }) });
  const onA = client(A, { token: mintToken({ sub: 'carol' }) });
  const other = client(B, { token: mintToken({ sub: 'dan' }) });
  const codes = [];
  onB.on('disconnected', (ctx) => codes.push(['B', ctx.code]));
  onA.on('disconnected', (ctx) => codes.push(['A', ctx.code]));
  onB.connect(); onA.connect(); other.connect();
  await onB.ready(5000); await onA.ready(5000); await other.ready(5000);
  const r = await api(A, 'disconnect', { user: 'carol' });
  assert.deepEqual(r.json, { result: {} });
  await waitFor(() => codes.length === 2, 5000, 'both of carol\'s connections closed');
  assert.deepEqual(codes.sort(), [['A', 3503], ['B', 3503]]);
  await sleep(700); // terminal: the SDK must not reconnect
  assert.equal(onB.state, 'disconnected');
  assert.equal(onA.state, 'disconnected');
  assert.equal(other.state, 'connected');
});

test('/api/unsubscribe on one node unsubscribes the user on the other (2000)', async () => {
  const c = client(B, { token: mintToken({ sub: 'erin' }) });
  const s = c.newSubscription('chat:unsub');
  const un = once(s, 'unsubscribed', 5000);
  s.subscribe(); c.connect();
  await s.ready(5000);
  const r = await api(A, 'unsubscribe', { user: 'erin', channel: 'chat:unsub' });
  assert.deepEqual(r.json, { result: {} });
  const ctx = await un;
  assert.equal(ctx.code, 2000);
  assert.equal(c.state, 'connected');
});

test('/api/subscribe on one node gives the user\'s connection on the other a server-side subscription', async () => {
  const c = client(B, { token: mintToken({ sub: 'gil' }) });
  const subscribed = [];
  const pubs = [];
  c.on('subscribed', (ctx) => subscribed.push(ctx.channel));
  c.on('publication', (ctx) => pubs.push([ctx.channel, ctx.data]));
  c.connect();
  await c.ready(5000);
  const r = await api(A, 'subscribe', { user: 'gil', channel: 'chat:srvside' });
  assert.deepEqual(r.json, { result: {} });
  await waitFor(() => subscribed.includes('chat:srvside'), 5000, 'server-side subscribe on node B');
  await api(A, 'publish', { channel: 'chat:srvside', data: { hi: 'gil' } });
  await waitFor(() => pubs.length === 1, 5000, 'publication through the server-side subscription');
  assert.deepEqual(pubs[0], ['chat:srvside', { hi: 'gil' }]);
});

test('/api/refresh with expired:true on one node expires the user\'s connection on the other (3005)', async () => {
  const c = client(B, { token: mintToken({ sub: 'fay' }) });
  const codes = [];
  c.on('connecting', (ctx) => codes.push(ctx.code));
  c.connect();
  await c.ready(5000);
  const r = await api(A, 'refresh', { user: 'fay', expired: true });
  assert.deepEqual(r.json, { result: {} });
  await waitFor(() => codes.includes(3005), 5000, 'connection expired on node B');
});

test('one Redis subscription per node and channel: taken with the first local subscriber, dropped after the last', async () => {
  const numsub = async () => (await redis.command('PUBSUB', 'NUMSUB', 'hearth.client.chat:tmp'))[1];
  const a1 = client(A);
  const a2 = client(A);
  const b1 = client(B);
  for (const c of [a1, a2, b1]) c.connect();
  const subs = [];
  for (const c of [a1, a2, b1]) {
    const s = c.newSubscription('chat:tmp');
    s.subscribe();
    await s.ready(5000);
    subs.push(s);
    if (c === a1) assert.equal(await numsub(), 1);
  }
  assert.equal(await numsub(), 2, 'two nodes, two subscriptions, however many local subscribers');
  subs[0].unsubscribe();
  await sleep(200);
  assert.equal(await numsub(), 2, 'node A still has a subscriber');
  subs[1].unsubscribe();
  subs[2].unsubscribe();
  await waitFor(async () => (await numsub()) === 0, 3000, 'both nodes to unsubscribe');
});

test('rapid subscribe/unsubscribe churn leaves Redis subscribed exactly when someone listens', async () => {
  const numsub = async () => (await redis.command('PUBSUB', 'NUMSUB', 'hearth.client.chat:churn'))[1];
  const ws = new WebSocket(A.ws);
  const replies = new Map();
  const pubs = [];
  ws.on('message', (d) => {
    for (const line of d.toString().split('\n')) {
      const m = JSON.parse(line);
      if (m.id) replies.set(m.id, m);
      else if (m.push && m.push.pub) pubs.push(m.push.pub.data);
    }
  });
  await new Promise((resolve, reject) => { ws.once('open', resolve); ws.once('error', reject); });
  ws.send('{"id":1,"connect":{}}');
  let id = 2;
  // sub/unsub pairs in one frame each: the batching sees both in one loop turn,
  // or across turns, with SUBSCRIBE confirmations in between
  for (let k = 0; k < 30; k++) {
    const a = id++;
    const b = id++;
    ws.send(`{"id":${a},"subscribe":{"channel":"chat:churn"}}\n{"id":${b},"unsubscribe":{"channel":"chat:churn"}}`);
    if (k % 3 === 0) await sleep(5);
  }
  const last = id++;
  ws.send(`{"id":${last},"subscribe":{"channel":"chat:churn"}}`);
  await waitFor(() => replies.has(last), 5000, 'the last subscribe reply');
  // every command is answered; a subscribe whose subscription was already
  // unsubscribed again when its history read came back answers error 100
  for (let k = 2; k <= last; k++) {
    const r = replies.get(k);
    assert.ok(r, `command ${k} answered`);
    assert.ok(!r.error || (k % 2 === 0 && r.error.code === 100), `command ${k}: ${JSON.stringify(r)}`);
  }
  assert.ok(!replies.get(last).error);
  await waitFor(async () => (await numsub()) === 1, 3000, 'one subscription left');
  await api(B, 'publish', { channel: 'chat:churn', data: { ok: 1 } });
  await waitFor(() => pubs.length === 1, 5000, 'delivery after the churn');
  const unsub = id++;
  ws.send(`{"id":${unsub},"unsubscribe":{"channel":"chat:churn"}}`);
  await waitFor(async () => (await numsub()) === 0, 3000, 'no subscription left');
  ws.close();
});

test('publishes from both nodes at once get one gap-free order everywhere', async () => {
  const ra = client(A);
  const rb = client(B);
  const sa = ra.newSubscription('chat:order');
  const sb = rb.newSubscription('chat:order');
  const ga = [];
  const gb = [];
  sa.on('publication', (ctx) => ga.push([ctx.offset, ctx.data.n]));
  sb.on('publication', (ctx) => gb.push([ctx.offset, ctx.data.n]));
  sa.subscribe(); sb.subscribe(); ra.connect(); rb.connect();
  await sa.ready(5000); await sb.ready(5000);
  const N = 60;
  await Promise.all(Array.from({ length: N }, (_, n) =>
    api(n % 2 ? A : B, 'publish', { channel: 'chat:order', data: { n } })));
  await waitFor(() => ga.length === N && gb.length === N, 8000, 'all publications on both nodes');
  assert.deepEqual(ga, gb);
  assert.deepEqual(ga.map(([o]) => o), Array.from({ length: N }, (_, i) => i + 1));
  assert.deepEqual(ga.map(([, n]) => n).sort((x, y) => x - y), Array.from({ length: N }, (_, i) => i));
});

test('a SIGHUP reload keeps the Redis settings bound at startup and the node in the cluster', async () => {
  const cfg = JSON.parse(readFileSync(A.cfgFile, 'utf8'));
  writeFileSync(A.cfgFile, JSON.stringify({ ...cfg, redis_prefix: 'other', node_name: 'renamed' }));
  A.proc.kill('SIGHUP');
  await waitFor(() => /redis_prefix changed: takes effect after a restart/.test(A.logs()), 5000, 'reload');
  const reader = client(B);
  const rs = reader.newSubscription('chat:afterreload');
  const got = [];
  rs.on('publication', (ctx) => got.push(ctx.data));
  rs.subscribe(); reader.connect();
  await rs.ready(5000);
  const r = await api(A, 'publish', { channel: 'chat:afterreload', data: { still: 'here' } });
  assert.equal(r.json.result.offset, 1);
  await waitFor(() => got.length === 1, 5000, 'cross-node delivery after the reload');
  const names = (await api(A, 'info', {})).json.result.nodes.map((n) => n.name).sort();
  assert.deepEqual(names, ['node-a', 'node-b']);
});
