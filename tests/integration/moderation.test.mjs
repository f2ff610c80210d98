// tests/integration/moderation.test.mjs — moderation through the official
// SDK (rpc) and the HTTP API on one node (memory engine): the permission
// boundary (a member's mod.* is 103 whatever the body; wrong shapes from
// staff 107), mutes (per room, everywhere, expiring by themselves, unmute),
// kicks (unsubscribe 2010, resubscribe 103 inside the window), room and
// community bans (unsubscribe 2011; disconnect 3510, reconnect refused;
// unban), slow mode (remaining seconds, staff exempt, per-room override),
// filters (block 103, hold 1001 into the queue, approve / reject with the
// author's review push), reports and resolve, mod.queue order, the live
// mod:<namespace> channel (members refused), and the audit log (actor "api"
// over the HTTP API). Every test runs on the memory engine and again on the
// Redis engine (one node); the two-node half is moderation-redis.test.mjs.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { api, BASE_CONFIG, mintToken, once, redisNodeConfig, sdk, sleep, startHearthd, startRedis, waitFor } from './lib/hearthd.mjs';
import { MOD_CONFIG } from './lib/moderation.mjs';

const MOD_METHODS = ['mod.slow_mode', 'mod.mute', 'mod.unmute', 'mod.kick', 'mod.ban', 'mod.unban',
  'mod.approve', 'mod.reject', 'mod.resolve', 'mod.queue', 'mod.audit'];

let h;
const clients = [];
const client = (user, roles) => {
  const c = sdk(h, user === null ? {} : { token: mintToken(roles ? { sub: user, roles } : { sub: user }) });
  clients.push(c);
  return c;
};
async function connected(user, roles) {
  const c = client(user, roles);
  c.connect();
  await c.ready(5000);
  return c;
}
async function subscribed(c, ch) {
  const s = c.getSubscription(ch) || c.newSubscription(ch);
  const pubs = [];
  s.on('publication', (ctx) => pubs.push(ctx));
  s.subscribe();
  await s.ready(5000);
  return { s, pubs };
}
const rejects = (p, code, what) => assert.rejects(p, (e) => {
  assert.equal(e.code, code, `${what}: ${JSON.stringify(e)}`);
  return true;
});

for (const engine of ['memory', 'redis']) {
describe(`engine ${engine}`, () => {
let redis;
before(async () => {
  if (engine === 'redis') redis = await startRedis();
  h = await startHearthd(engine === 'redis' ? redisNodeConfig(redis, MOD_CONFIG) : MOD_CONFIG);
});
after(async () => {
  for (const c of clients.splice(0)) c.disconnect();
  await sleep(100);
  try { await h.stop(); } finally { if (redis) await redis.stop(); }
});

test('a member calling any mod.* method gets 103 whatever the body; staff wrong shapes get 107', async () => {
  const ann = await connected('perm-ann');
  for (const m of MOD_METHODS) {
    for (const body of [{}, { channel: 'chat:x', user: 'u', duration: 1, reason: 'r' }, 'junk', 7, null, { id: 'x' }]) {
      await rejects(ann.rpc(m, body), 103, `${m} ${JSON.stringify(body)}`);
    }
  }
  const anon = await connected(null);
  await rejects(anon.rpc('chat.report', { channel: 'chat:p', offset: 1, reason: 'x' }), 103, 'anonymous report');
  await rejects(anon.rpc('mod.ban', {}), 103, 'anonymous mod.ban');

  const mod = await connected('perm-mod', ['moderator']);
  const bad = {
    'mod.mute': [{}, { user: 'u', duration: 1 }, { user: 5, duration: 1, reason: 'r' }, { user: 'u', duration: -1, reason: 'r' },
      { user: 'u', duration: '1', reason: 'r' }, { user: 'u', duration: 1, reason: 'r', extra: 1 },
      { user: '', duration: 1, reason: 'r' }, { user: 'u', duration: 1, reason: 'x'.repeat(501) },
      { channel: 'plain', user: 'u', duration: 1, reason: 'r' }, { channel: 'bad channel', user: 'u', duration: 1, reason: 'r' },
      'junk', 42],
    'mod.unmute': [{}, { user: 1 }, { user: 'u', reason: 'no such field' }],
    'mod.kick': [{}, { user: 'u' }, { channel: 'chat:x' }, { channel: 7, user: 'u' }],
    'mod.ban': [{ user: 'u', duration: 1.5, reason: 'r' }, { user: 'u', reason: 'r' }, { user: 'u', duration: 1e12, reason: 'r' }],
    'mod.unban': [{ channel: 'chat:x' }],
    'mod.slow_mode': [{}, { channel: 'chat:x' }, { channel: 'chat:x', seconds: -1 }, { channel: 'chat:x', seconds: 86401 }],
    'mod.approve': [{}, { id: 5 }, { id: '' }],
    'mod.reject': [{ id: 'x' }, { reason: 'r' }],
    'mod.resolve': [{}, { id: ['x'] }],
    'mod.queue': [{ namespace: 5 }, { nope: 1 }],
    'mod.audit': [{ limit: 0 }, { limit: 1001 }, { user: 5 }],
    'chat.report': [{}, { channel: 'chat:x', offset: 0, reason: 'r' }, { channel: 'chat:x', offset: 1 }],
  };
  for (const [m, bodies] of Object.entries(bad)) {
    for (const body of bodies) await rejects(mod.rpc(m, body), 107, `${m} ${JSON.stringify(body)}`);
  }
  await rejects(mod.rpc('mod.mute', { channel: 'nope:x', user: 'u', duration: 1, reason: 'r' }), 102, 'unknown namespace');
  await rejects(mod.rpc('mod.approve', { id: 'no-such-item' }), 107, 'unknown id');
  // still connected and usable after all of that
  assert.equal(mod.state, 'connected');
  const r = await mod.rpc('mod.queue', {});
  assert.ok(Array.isArray(r.data.items));
});

test('mute in one room: 103 there until it expires by itself, other rooms unaffected; unmute', async () => {
  const mod = await connected('mute-mod', ['moderator']);
  const bob = await connected('mute-bob');
  const r = await mod.rpc('mod.mute', { channel: 'chat:mute-a', user: 'mute-bob', duration: 1, reason: 'cool off' });
  assert.ok(r.data.expires > Date.now());
  await rejects(bob.publish('chat:mute-a', { text: 'muted?' }), 103, 'muted publish');
  await bob.publish('chat:mute-b', { text: 'other room is fine' });
  await waitFor(async () => { try { await bob.publish('chat:mute-a', { text: 'back' }); return true; } catch { return false; } },
    4000, 'the mute to expire');

  await mod.rpc('mod.mute', { channel: 'chat:mute-a', user: 'mute-bob', duration: 600, reason: 'again' });
  await rejects(bob.publish('chat:mute-a', { text: 'x' }), 103, 'muted again');
  const u = await mod.rpc('mod.unmute', { channel: 'chat:mute-a', user: 'mute-bob' });
  assert.equal(u.data.removed, true);
  await bob.publish('chat:mute-a', { text: 'unmuted' });
  assert.equal((await mod.rpc('mod.unmute', { channel: 'chat:mute-a', user: 'mute-bob' })).data.removed, false);
});

test('mute everywhere (no channel) covers every chat room; non-chat namespaces are not moderated', async () => {
  const mod = await connected('mutall-mod', ['host']);
  const cat = await connected('mutall-cat');
  await mod.rpc('mod.mute', { user: 'mutall-cat', duration: 2, reason: 'spam' });
  await rejects(cat.publish('chat:mutall-1', { text: 'x' }), 103, 'room 1');
  await rejects(cat.publish('slow:mutall-2', { text: 'x' }), 103, 'room 2');
  await cat.publish('nohist:mutall', { any: 'thing' }); // not a chat namespace
  await mod.rpc('mod.unmute', { user: 'mutall-cat' });
  await cat.publish('chat:mutall-1', { text: 'free' });
});

test('kick: unsubscribe push 2010 "kicked", connection stays, resubscribe 103 within the window', async () => {
  const mod = await connected('kick-mod', ['moderator']);
  const dan = await connected('kick-dan');
  const { s } = await subscribed(dan, 'chat:kick');
  const gone = once(s, 'unsubscribed');
  await mod.rpc('mod.kick', { channel: 'chat:kick', user: 'kick-dan' });
  const ev = await gone;
  assert.equal(ev.code, 2010);
  assert.equal(ev.reason, 'kicked');
  assert.equal(dan.state, 'connected');
  await sleep(300);
  assert.equal(s.state, 'unsubscribed'); // the SDK did not resubscribe by itself
  const again = once(s, 'unsubscribed');
  s.subscribe();
  assert.equal((await again).code, 103);
  // another room is fine
  await subscribed(dan, 'chat:kick-other');
});

test('room ban: subscriptions end with 2011 "banned", new ones 103, publishes 103; unban', async () => {
  const mod = await connected('rban-mod', ['moderator']);
  const eve = await connected('rban-eve');
  const { s } = await subscribed(eve, 'chat:rban');
  const gone = once(s, 'unsubscribed');
  await mod.rpc('mod.ban', { channel: 'chat:rban', user: 'rban-eve', duration: 0, reason: 'abuse' });
  const ev = await gone;
  assert.deepEqual([ev.code, ev.reason], [2011, 'banned']);
  const again = once(s, 'unsubscribed');
  s.subscribe();
  assert.equal((await again).code, 103);
  await rejects(eve.publish('chat:rban', { text: 'x' }), 103, 'banned publish');
  await eve.publish('chat:rban-other', { text: 'elsewhere ok' });
  assert.equal((await mod.rpc('mod.unban', { channel: 'chat:rban', user: 'rban-eve' })).data.removed, true);
  await subscribed(eve, 'chat:rban');
  await eve.publish('chat:rban', { text: 'back' });
});

test('community ban: every connection disconnected with 3510 "banned", reconnect refused; unban lets them in', async () => {
  const mod = await connected('cban-mod', ['admin']);
  const f1 = await connected('cban-fay');
  const f2 = await connected('cban-fay');
  const d1 = once(f1, 'disconnected');
  const d2 = once(f2, 'disconnected');
  const r = await mod.rpc('mod.ban', { user: 'cban-fay', duration: 0, reason: 'raid' });
  assert.equal(r.data.expires, null);
  for (const ev of [await d1, await d2]) assert.deepEqual([ev.code, ev.reason], [3510, 'banned']);
  await sleep(300);
  assert.equal(f1.state, 'disconnected'); // terminal: the SDK does not reconnect
  const f3 = client('cban-fay');
  const d3 = once(f3, 'disconnected');
  f3.connect();
  assert.equal((await d3).code, 3510);
  await mod.rpc('mod.unban', { user: 'cban-fay' });
  await connected('cban-fay');
});

test('a timed community ban ends by itself', async () => {
  const mod = await connected('tban-mod', ['moderator']);
  await mod.rpc('mod.ban', { user: 'tban-gus', duration: 1, reason: 'short' });
  const g = client('tban-gus');
  const d = once(g, 'disconnected');
  g.connect();
  assert.equal((await d).code, 3510);
  await sleep(1200);
  await connected('tban-gus');
});

test('slow mode: 111 with the seconds remaining, staff exempt, per-room override and off', async () => {
  const mod = await connected('slow-mod', ['moderator']);
  const hal = await connected('slow-hal');
  await hal.publish('slow:room', { text: 'one' });
  await rejects(hal.publish('slow:room', { text: 'two' }), 111, 'too soon');
  try { await hal.publish('slow:room', { text: 'two' }); assert.fail('published'); } catch (e) {
    assert.match(e.message, /^slow mode: wait [12] s$/);
  }
  await hal.publish('slow:other', { text: 'another room has its own clock' });
  await mod.publish('slow:room', { text: 'staff 1' });
  await mod.publish('slow:room', { text: 'staff 2' });
  await sleep(2100);
  await hal.publish('slow:room', { text: 'three' });
  // override: off for this room
  await mod.rpc('mod.slow_mode', { channel: 'slow:room', seconds: 0 });
  await hal.publish('slow:room', { text: 'four' });
  await hal.publish('slow:room', { text: 'five' });
  // override: on in a namespace without slow mode
  await mod.rpc('mod.slow_mode', { channel: 'chat:slowed', seconds: 1 });
  await hal.publish('chat:slowed', { text: 'a' });
  try { await hal.publish('chat:slowed', { text: 'b' }); assert.fail('published'); } catch (e) {
    assert.equal(e.code, 111);
    assert.equal(e.message, 'slow mode: wait 1 s');
  }
});

test('filters: block is 103; hold is 1001, queued, approved with the author info, review push', async () => {
  const mod = await connected('flt-mod', ['moderator']);
  const ivy = await connected('flt-ivy');
  const reviews = [];
  ivy.on('message', (ctx) => reviews.push(ctx.data));
  const reader = await connected('flt-reader');
  const { pubs } = await subscribed(reader, 'chat:flt');
  const live = await subscribed(mod, 'mod:chat');
  for (const text of ['BADWORD!', 'a badword here', 'this is a Very  Bad\tphrase']) {
    await rejects(ivy.publish('chat:flt', { text }), 103, text);
  }
  // word boundaries: no match inside another word
  await ivy.publish('chat:flt', { text: 'badwords and subadword are fine' });
  for (const text of ['please HOLDME', 'see https://x.test/a', 'visit www.example.org', 'go to spam.com now']) {
    await rejects(ivy.publish('chat:flt', { text }), 1001, text);
  }
  await ivy.publish('chat:flt', { text: 'e.g. version 1.2 is fine' });
  const q = (await mod.rpc('mod.queue', { namespace: 'chat' })).data.items.filter((i) => i.channel === 'chat:flt');
  assert.equal(q.length, 4);
  assert.deepEqual(q.map((i) => i.text), ['please HOLDME', 'see https://x.test/a', 'visit www.example.org', 'go to spam.com now']);
  for (const i of q) {
    assert.equal(i.kind, 'held');
    assert.equal(i.user, 'flt-ivy');
    assert.ok(i.id && i.ts > 0);
    assert.equal(i.data, undefined);
  }
  await waitFor(() => live.pubs.filter((p) => p.data.type === 'item').length >= 4, 3000, 'live items');
  assert.deepEqual(live.pubs.filter((p) => p.data.type === 'item').map((p) => p.data.id), q.map((i) => i.id));

  const a = await mod.rpc('mod.approve', { id: q[0].id });
  assert.ok(a.data.offset > 0);
  await waitFor(() => pubs.some((p) => p.data.text === 'please HOLDME'), 3000, 'approved publication');
  const p = pubs.find((x) => x.data.text === 'please HOLDME');
  assert.equal(p.info.user, 'flt-ivy');
  assert.equal(p.offset, a.data.offset);
  await mod.rpc('mod.reject', { id: q[1].id, reason: 'no links' });
  await waitFor(() => reviews.length >= 2, 3000, 'review pushes');
  assert.deepEqual(reviews, [{ type: 'review', id: q[0].id, approved: true }, { type: 'review', id: q[1].id, approved: false }]);
  await rejects(mod.rpc('mod.approve', { id: q[0].id }), 107, 'approved twice');
  const left = (await mod.rpc('mod.queue', {})).data.items.filter((i) => i.channel === 'chat:flt').map((i) => i.id);
  assert.deepEqual(left, [q[2].id, q[3].id]);
  await waitFor(() => live.pubs.filter((x) => x.data.type === 'removed').length >= 2, 3000, 'live removals');
  // the HTTP API can approve too
  const r = await api(h, 'mod.approve', { id: q[2].id });
  assert.equal(r.status, 200, r.text);
  assert.ok(r.json.result.offset > 0);
});

test('an anonymous author held for review: no review push goes to other anonymous connections', async () => {
  const mod = await connected('anon-mod', ['moderator']);
  const a1 = await connected(null);
  const a2 = await connected(null);
  const pushes = [];
  a1.on('message', (ctx) => pushes.push(ctx.data));
  a2.on('message', (ctx) => pushes.push(ctx.data));
  await rejects(a1.publish('chat:anon', { text: 'holdme anon' }), 1001, 'held');
  const item = (await mod.rpc('mod.queue', {})).data.items.find((i) => i.channel === 'chat:anon');
  assert.equal(item.user, '');
  await mod.rpc('mod.approve', { id: item.id });
  await sleep(300);
  assert.deepEqual(pushes, []);
});

test('reports: any member reports, the queue keeps order, resolve removes; duplicates are not queued twice', async () => {
  const mod = await connected('rep-mod', ['moderator']);
  const jo = await connected('rep-jo');
  const kim = await connected('rep-kim');
  const pub = await jo.publish('chat:rep', { text: 'report me' });
  assert.ok(pub);
  const r1 = await kim.rpc('chat.report', { channel: 'chat:rep', offset: 1, reason: 'rude' });
  const r2 = await jo.rpc('chat.report', { channel: 'chat:rep', offset: 1, reason: 'me too' });
  const dup = await kim.rpc('chat.report', { channel: 'chat:rep', offset: 1, reason: 'again' });
  assert.equal(dup.data.duplicate, true);
  await rejects(kim.rpc('chat.report', { channel: 'nohist:x', offset: 1, reason: 'r' }), 107, 'not a chat channel');
  await rejects(kim.rpc('chat.report', { channel: 'chat:rep', offset: 2, reason: 'r' }), 107, 'no such message');
  await rejects(kim.rpc('chat.report', { channel: 'chat:rep-empty', offset: 1, reason: 'r' }), 107, 'empty room');
  const items = (await mod.rpc('mod.queue', {})).data.items.filter((i) => i.channel === 'chat:rep');
  assert.deepEqual(items.map((i) => [i.id, i.kind, i.user, i.offset, i.reason, i.author, i.text]),
    [[r1.data.id, 'report', 'rep-kim', 1, 'rude', 'rep-jo', 'report me'],
      [r2.data.id, 'report', 'rep-jo', 1, 'me too', 'rep-jo', 'report me']]);
  await rejects(mod.rpc('mod.approve', { id: r1.data.id }), 107, 'approve a report');
  await mod.rpc('mod.resolve', { id: r1.data.id });
  const [last] = (await mod.rpc('mod.audit', { channel: 'chat:rep', limit: 1 })).data.entries;
  assert.deepEqual([last.action, last.actor, last.target_user, last.target], ['mod.resolve', 'rep-mod', 'rep-jo', 1]);
  const after1 = (await mod.rpc('mod.queue', {})).data.items.filter((i) => i.channel === 'chat:rep');
  assert.deepEqual(after1.map((i) => i.id), [r2.data.id]);
  assert.equal((await mod.rpc('mod.queue', { namespace: 'slow' })).data.items.filter((i) => i.channel === 'chat:rep').length, 0);
});

test('quotas: a member holds at most 20 messages and files at most 30 reports an hour (then 111)', async () => {
  const mod = await connected('quota-mod', ['moderator']);
  const lou = await connected('quota-lou');
  for (let i = 0; i < 20; i++) await rejects(lou.publish('chat:quota', { text: `holdme ${i}` }), 1001, `held ${i}`);
  await rejects(lou.publish('chat:quota', { text: 'holdme again' }), 111, 'over the held quota');
  await lou.publish('chat:quota', { text: 'a clean message still goes' });
  for (let i = 0; i < 31; i++) await mod.publish('chat:quota-r', { text: `m${i}` });
  const rep = await connected('quota-rep');
  for (let i = 1; i <= 30; i++) {
    await rep.rpc('chat.report', { channel: 'chat:quota-r', offset: i, reason: 'r' });
    if (i % 10 === 0) await sleep(500); // stay inside the command rate
  }
  await rejects(rep.rpc('chat.report', { channel: 'chat:quota-r', offset: 31, reason: 'r' }), 111, 'over the report quota');
  const r = await api(h, 'chat.report', { channel: 'chat:quota-r', offset: 31, reason: 'the API has no quota' });
  assert.equal(r.status, 200, r.text);
  assert.ok(r.json.result.id);
});

test('a reload that makes a namespace a chat namespace with filters brings moderation there', async () => {
  const h2 = await startHearthd({ namespaces: [{ name: 'room', history_size: 10, history_ttl: 60, allow_publish: true }] });
  const c = sdk(h2, { token: mintToken({ sub: 'reload-ann' }) });
  try {
    c.connect();
    await c.ready(5000);
    await c.publish('room:x', { text: 'holdme' }); // not a chat namespace: not moderated
    writeFileSync(h2.cfgFile, JSON.stringify({ ...BASE_CONFIG, namespaces: [{ name: 'room', history_size: 10,
      history_ttl: 60, allow_publish: true, chat: true, filters: { hold: ['holdme'] } }] }));
    h2.proc.kill('SIGHUP');
    await waitFor(async () => { try { await c.publish('room:x', { text: 'holdme' }); return false; } catch (e) { return e.code === 1001; } },
      3000, 'the reloaded filter');
    const q = await api(h2, 'mod.queue', { namespace: 'room' });
    assert.ok(q.json.result.items.length >= 1);
  } finally {
    c.disconnect();
    await sleep(100);
    await h2.stop();
  }
});

test('the mod namespace refuses members whatever the config says', async () => {
  const h2 = await startHearthd({ namespaces: [...MOD_CONFIG.namespaces,
    { name: 'mod', history_size: 10, history_ttl: 60, allow_publish: true }] });
  try {
    const m = sdk(h2, { token: mintToken({ sub: 'modns-member' }) });
    const s = m.newSubscription('mod:chat');
    const ev = once(s, 'unsubscribed');
    s.subscribe(); m.connect();
    assert.equal((await ev).code, 103);
    await assert.rejects(m.publish('mod:chat', { x: 1 }), (e) => e.code === 103);
    const staff = sdk(h2, { token: mintToken({ sub: 'modns-mod', roles: ['moderator'] }) });
    const ss = staff.newSubscription('mod:chat');
    ss.subscribe(); staff.connect();
    await ss.ready(5000);
    m.disconnect(); staff.disconnect();
  } finally {
    await sleep(100);
    await h2.stop();
  }
  // with the implicit namespace (MOD_CONFIG has none) members are refused too
  const m = await connected('modns-member2');
  const s = m.newSubscription('mod:chat');
  const ev = once(s, 'unsubscribed');
  s.subscribe();
  assert.equal((await ev).code, 103);
});

test('audit: every action is recorded newest first, filtered by channel and user; the API records "api"', async () => {
  const mod = await connected('aud-mod', ['moderator']);
  await mod.rpc('mod.mute', { channel: 'chat:aud', user: 'aud-x', duration: 5, reason: 'r1' });
  await mod.rpc('mod.kick', { channel: 'chat:aud', user: 'aud-y' });
  const r = await api(h, 'mod.ban', { channel: 'chat:aud', user: 'aud-x', duration: 3, reason: 'bot says' });
  assert.equal(r.status, 200, r.text);
  const all = (await mod.rpc('mod.audit', { channel: 'chat:aud' })).data.entries;
  assert.deepEqual(all.map((e) => [e.action, e.actor, e.target_user]),
    [['mod.ban', 'api', 'aud-x'], ['mod.kick', 'aud-mod', 'aud-y'], ['mod.mute', 'aud-mod', 'aud-x']]);
  assert.equal(all[0].reason, 'bot says');
  assert.equal(all[0].duration, 3);
  assert.equal(all[2].duration, 5);
  assert.ok(all[0].ts >= all[1].ts && all[1].ts >= all[2].ts);
  const byUser = (await mod.rpc('mod.audit', { user: 'aud-x' })).data.entries;
  assert.deepEqual(byUser.map((e) => e.action), ['mod.ban', 'mod.mute']);
  const byActor = (await mod.rpc('mod.audit', { user: 'api', limit: 1 })).data.entries;
  assert.equal(byActor.length, 1);
  assert.equal(byActor[0].actor, 'api');
  const viaApi = await api(h, 'mod.audit', { channel: 'chat:aud', limit: 2 });
  assert.equal(viaApi.json.result.entries.length, 2);
  await api(h, 'mod.unban', { channel: 'chat:aud', user: 'aud-x' });
});

test('hostile: floods of rpc, huge bodies and reasons answer errors and leave the server well', async () => {
  const mod = await connected('host-mod', ['moderator']);
  const big = 'x'.repeat(20000);
  await rejects(mod.rpc('mod.ban', { user: 'u', duration: 1, reason: big }), 107, 'huge reason');
  await rejects(mod.rpc('mod.ban', { user: big, duration: 1, reason: 'r' }), 107, 'huge user');
  const all = await Promise.allSettled(Array.from({ length: 150 }, (_, i) =>
    mod.rpc('mod.mute', { channel: 'chat:flood', user: `flood-${i % 10}`, duration: 1, reason: 'flood' })));
  assert.ok(all.every((x) => x.status === 'fulfilled' || [107, 111].includes(x.reason.code)));
  const member = await connected('host-member');
  for (let i = 0; i < 3; i++) await member.publish('chat:flood', { text: `m${i}` });
  const reps = await Promise.allSettled(Array.from({ length: 45 }, (_, i) =>
    member.rpc('chat.report', { channel: 'chat:flood', offset: (i % 3) + 1, reason: 'x'.repeat(500) })));
  assert.ok(reps.some((x) => x.status === 'rejected' && x.reason.code === 111), 'reports are rate limited');
  const r = await api(h, 'info', {});
  assert.equal(r.status, 200);
});
});
}
