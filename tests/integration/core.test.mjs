// tests/integration/core.test.mjs — the official centrifuge SDK against a
// real hearthd: anonymous and JWT connects, publish/subscribe round trips with
// publisher info, history, presence and presence stats, join/leave, and the
// channel errors 102/103/108/112.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mintToken, once, sdk, sleep, startHearthd, waitFor } from './lib/hearthd.mjs';

let h;
const clients = [];
const client = (opts) => { const c = sdk(h, opts); clients.push(c); return c; };

before(async () => { h = await startHearthd(); });
after(async () => { for (const c of clients) c.disconnect(); await sleep(100); await h.stop(); });

test('anonymous connect gets a client id and ping interval', async () => {
  const c = client();
  c.connect();
  const ctx = await once(c, 'connected');
  assert.match(ctx.client, /^[0-9a-f-]{36}$/);
  assert.equal(ctx.transport, 'websocket');
});

test('publish/subscribe round trip carries info.user and conn_info from the JWT', async () => {
  const a = client({ token: mintToken({ sub: 'alice', info: { name: 'Alice' } }) });
  const b = client({ token: mintToken({ sub: 'bob' }) });
  const sa = a.newSubscription('chat:roundtrip');
  const sb = b.newSubscription('chat:roundtrip');
  const got = [];
  sb.on('publication', (ctx) => got.push(ctx));
  sa.subscribe(); sb.subscribe(); a.connect(); b.connect();
  await sa.ready(5000); await sb.ready(5000);
  await sa.publish({ text: 'hello', n: 1 });
  await waitFor(() => got.length === 1, 3000, 'publication');
  assert.deepEqual(got[0].data, { text: 'hello', n: 1 });
  assert.equal(got[0].info.user, 'alice');
  assert.deepEqual(got[0].info.connInfo, { name: 'Alice' });
  assert.equal(got[0].offset, 1);
});

test('anonymous publication has empty user; messages arrive in order', async () => {
  const a = client();
  const s = a.newSubscription('chat:order');
  const got = [];
  s.on('publication', (ctx) => got.push(ctx));
  s.subscribe(); a.connect();
  await s.ready(5000);
  for (let i = 0; i < 50; i++) s.publish({ i });
  await waitFor(() => got.length === 50, 5000, '50 publications');
  assert.deepEqual(got.map((p) => p.data.i), [...Array(50).keys()]);
  assert.deepEqual(got.map((p) => p.offset), [...Array(50).keys()].map((i) => i + 1));
  assert.equal(got[0].info.user, '');
});

test('history: limit, reverse, since, stream top, wrong epoch', async () => {
  const c = client();
  const s = c.newSubscription('chat:hist');
  s.subscribe(); c.connect();
  await s.ready(5000);
  for (let i = 1; i <= 5; i++) await s.publish({ i });
  const all = await s.history({ limit: 10 });
  assert.equal(all.publications.length, 5);
  assert.equal(all.offset, 5);
  assert.match(all.epoch, /^[a-zA-Z]{8}$/);
  assert.deepEqual(all.publications.map((p) => p.data.i), [1, 2, 3, 4, 5]);
  const top = await s.history({ limit: 0 });
  assert.equal(top.publications.length, 0);
  assert.equal(top.offset, 5);
  const rev = await s.history({ limit: 2, reverse: true });
  assert.deepEqual(rev.publications.map((p) => p.offset), [5, 4]);
  const since = await s.history({ limit: 10, since: { offset: 3, epoch: all.epoch } });
  assert.deepEqual(since.publications.map((p) => p.offset), [4, 5]);
  await assert.rejects(s.history({ limit: 10, since: { offset: 3, epoch: 'XXXXXXXX' } }),
    (e) => e.code === 112);
  const plain = c.newSubscription('nohist:x');
  plain.subscribe();
  await plain.ready(5000);
  await assert.rejects(plain.history({ limit: 1 }), (e) => e.code === 108);
});

test('history of a channel the client is not subscribed to (anonymous read)', async () => {
  const c = client();
  c.connect();
  await c.ready(5000);
  await c.publish('chat:unsub-hist', { x: 1 });
  const r = await c.history('chat:unsub-hist', { limit: 5 });
  assert.equal(r.publications.length, 1);
});

test('presence and presence stats count clients and distinct users', async () => {
  const mk = (sub) => client(sub === undefined ? {} : { token: mintToken({ sub, info: { n: sub } }) });
  const cs = [mk('u1'), mk('u1'), mk('u2'), mk()];
  const subs = cs.map((c) => c.newSubscription('chat:presence'));
  subs.forEach((s) => s.subscribe());
  cs.forEach((c) => c.connect());
  await Promise.all(subs.map((s) => s.ready(5000)));
  const p = await subs[0].presence();
  const infos = Object.values(p.clients);
  assert.equal(infos.length, 4);
  assert.deepEqual(infos.map((i) => i.user).sort(), ['', 'u1', 'u1', 'u2']);
  assert.deepEqual(infos.find((i) => i.user === 'u2').connInfo, { n: 'u2' });
  const st = await subs[0].presenceStats();
  assert.deepEqual(st, { numClients: 4, numUsers: 3 });
  subs[3].unsubscribe();
  await waitFor(async () => (await subs[0].presenceStats()).numClients === 3, 3000, 'presence drop');
});

test('join and leave pushes go to subscribers that asked for them', async () => {
  const watcher = client();
  const quiet = client();
  const ws = watcher.newSubscription('chat:jl', { joinLeave: true });
  const qs = quiet.newSubscription('chat:jl');
  const joins = [];
  const leaves = [];
  const quietEvents = [];
  ws.on('join', (ctx) => joins.push(ctx.info));
  ws.on('leave', (ctx) => leaves.push(ctx.info));
  qs.on('join', (ctx) => quietEvents.push(ctx));
  qs.on('leave', (ctx) => quietEvents.push(ctx));
  ws.subscribe(); qs.subscribe(); watcher.connect(); quiet.connect();
  await ws.ready(5000); await qs.ready(5000);
  const joiner = client({ token: mintToken({ sub: 'carol', info: { role: 'member' } }) });
  const js = joiner.newSubscription('chat:jl');
  js.subscribe(); joiner.connect();
  await js.ready(5000);
  await waitFor(() => joins.some((i) => i.user === 'carol'), 3000, 'join of carol');
  assert.deepEqual(joins.find((i) => i.user === 'carol').connInfo, { role: 'member' });
  joiner.disconnect();
  await waitFor(() => leaves.some((i) => i.user === 'carol'), 3000, 'leave of carol');
  await sleep(100);
  assert.equal(quietEvents.length, 0, 'a subscriber without joinLeave got join/leave');
});

test('unknown namespace is 102, publish without allow_publish is 103', async () => {
  const c = client();
  c.connect();
  await c.ready(5000);
  const s = c.newSubscription('nope:room');
  const unsub = once(s, 'unsubscribed');
  s.subscribe();
  const ctx = await unsub;
  assert.equal(ctx.code, 102);
  await assert.rejects(c.publish('ro:room', { x: 1 }), (e) => e.code === 103);
  await assert.rejects(c.publish('nope:room', { x: 1 }), (e) => e.code === 102);
  await assert.rejects(c.rpc('anything', {}), (e) => e.code === 104);
});

test('presence is 108 where the namespace has none; presence of ro namespace works', async () => {
  const c = client();
  c.connect();
  await c.ready(5000);
  await assert.rejects(c.presence('nohist:x'), (e) => e.code === 108);
  const r = await c.presence('ro:x');
  assert.deepEqual(r.clients, {});
});
