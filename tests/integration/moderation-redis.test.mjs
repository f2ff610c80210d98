// tests/integration/moderation-redis.test.mjs — moderation state shared by
// two hearthd nodes on one redis-server (engine "redis"): a community ban
// made on node A disconnects the user on node B and refuses them there; a
// node started after the ban refuses them too (its cache is loaded from the
// store); a mute made on A applies on B; a room ban made on B ends a
// subscription on A; slow mode counts a member's messages across nodes; a
// message held on A is approved on B and the author on A gets the review
// push; the audit log reads the same from both nodes.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mintToken, once, redisNodeConfig, sdk, sleep, startHearthd, startRedis, waitFor } from './lib/hearthd.mjs';
import { MOD_CONFIG } from './lib/moderation.mjs';

let redis;
let A;
let B;
const clients = [];
const nodes = [];
async function connected(h, user, roles) {
  const c = sdk(h, { token: mintToken(roles ? { sub: user, roles } : { sub: user }) });
  clients.push(c);
  c.connect();
  await c.ready(5000);
  return c;
}
const rejects = (p, code, what) => assert.rejects(p, (e) => {
  assert.equal(e.code, code, `${what}: ${JSON.stringify(e)}`);
  return true;
});

before(async () => {
  redis = await startRedis();
  A = await startHearthd(redisNodeConfig(redis, { ...MOD_CONFIG, node_name: 'mod-a' }));
  B = await startHearthd(redisNodeConfig(redis, { ...MOD_CONFIG, node_name: 'mod-b' }));
  nodes.push(A, B);
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

test('a community ban made on node A disconnects the user on node B and refuses them on both', async () => {
  const mod = await connected(A, 'x-mod', ['moderator']);
  const onB = await connected(B, 'x-banned');
  const gone = once(onB, 'disconnected');
  await mod.rpc('mod.ban', { user: 'x-banned', duration: 0, reason: 'raid' });
  assert.deepEqual(Object.values(await gone).slice(0, 2), [3510, 'banned']);
  for (const h of [A, B]) {
    const c = sdk(h, { token: mintToken({ sub: 'x-banned' }) });
    clients.push(c);
    const d = once(c, 'disconnected');
    c.connect();
    assert.equal((await d).code, 3510);
  }
  // a node that starts after the ban loads it from the store
  const C = await startHearthd(redisNodeConfig(redis, { ...MOD_CONFIG, node_name: 'mod-c' }));
  nodes.push(C);
  const c = sdk(C, { token: mintToken({ sub: 'x-banned' }) });
  clients.push(c);
  const d = once(c, 'disconnected');
  c.connect();
  assert.equal((await d).code, 3510);
  // unban on B lets them in on A
  const modB = await connected(B, 'x-mod-b', ['admin']);
  await modB.rpc('mod.unban', { user: 'x-banned' });
  await connected(A, 'x-banned');
});

test('a mute made on node A applies on node B, and expires there by itself', async () => {
  const mod = await connected(A, 'xm-mod', ['moderator']);
  const onB = await connected(B, 'xm-user');
  await mod.rpc('mod.mute', { channel: 'chat:xm', user: 'xm-user', duration: 2, reason: 'calm' });
  // B learns of it from the control message A sent before answering: within
  // moments (the reply to the moderator may overtake it)
  let refused = null;
  await waitFor(async () => {
    try { await onB.publish('chat:xm', { text: 'x' }); return false; } catch (e) { refused = e; return true; }
  }, 1000, 'the mute to reach node B');
  assert.equal(refused.code, 103);
  await rejects(onB.publish('chat:xm', { text: 'x' }), 103, 'still muted on B');
  await waitFor(async () => { try { await onB.publish('chat:xm', { text: 'back' }); return true; } catch { return false; } },
    5000, 'the mute to expire on B');
});

test('a room ban made on node B ends the subscription on node A (2011); kick blocks resubscribe on A', async () => {
  const modB = await connected(B, 'xr-mod', ['moderator']);
  const onA = await connected(A, 'xr-user');
  const s = onA.newSubscription('chat:xr');
  s.subscribe();
  await s.ready(5000);
  const gone = once(s, 'unsubscribed');
  await modB.rpc('mod.ban', { channel: 'chat:xr', user: 'xr-user', duration: 60, reason: 'r' });
  assert.equal((await gone).code, 2011);
  const again = once(s, 'unsubscribed');
  s.subscribe();
  assert.equal((await again).code, 103);

  const k = onA.newSubscription('chat:xk');
  k.subscribe();
  await k.ready(5000);
  const kicked = once(k, 'unsubscribed');
  await modB.rpc('mod.kick', { channel: 'chat:xk', user: 'xr-user' });
  assert.equal((await kicked).code, 2010);
  const k2 = once(k, 'unsubscribed');
  k.subscribe();
  assert.equal((await k2).code, 103);
});

test('slow mode counts a member across nodes', async () => {
  const onA = await connected(A, 'xs-user');
  const onB = await connected(B, 'xs-user');
  await onA.publish('slow:xs', { text: 'first' });
  await assert.rejects(onB.publish('slow:xs', { text: 'second' }),
    (e) => e.code === 111 && /^slow mode: wait [12] s$/.test(e.message));
});

test('a message held on node A is approved on node B; the author on A gets the review push', async () => {
  const author = await connected(A, 'xh-author');
  const reviews = [];
  author.on('message', (ctx) => reviews.push(ctx.data));
  const modB = await connected(B, 'xh-mod', ['moderator']);
  const reader = await connected(B, 'xh-reader');
  const s = reader.newSubscription('chat:xh');
  const pubs = [];
  s.on('publication', (ctx) => pubs.push(ctx));
  s.subscribe();
  await s.ready(5000);
  await rejects(author.publish('chat:xh', { text: 'holdme please' }), 1001, 'held');
  const item = (await modB.rpc('mod.queue', { namespace: 'chat' })).data.items.find((i) => i.channel === 'chat:xh');
  assert.ok(item);
  await modB.rpc('mod.approve', { id: item.id });
  await waitFor(() => pubs.length === 1 && reviews.length === 1, 5000, 'publication and review');
  assert.equal(pubs[0].info.user, 'xh-author');
  assert.deepEqual(reviews[0], { type: 'review', id: item.id, approved: true });
  const modA = await connected(A, 'xh-mod-a', ['moderator']);
  const onA = (await modA.rpc('mod.audit', { channel: 'chat:xh' })).data.entries;
  const onB = (await modB.rpc('mod.audit', { channel: 'chat:xh' })).data.entries;
  assert.deepEqual(onA, onB);
  assert.equal(onA[0].action, 'mod.approve');
});
