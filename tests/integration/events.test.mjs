// tests/integration/events.test.mjs — ritual events (community/events.c):
// event.create / get / list / update / cancel / transition over the HTTP API
// and over rpc with the official SDK (who may call what), the lifecycle
// publications on the event channel and the announcements channel, and
// reminders firing once, on time (real short durations).
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { api, mintToken, once, sdk, sleep, startHearthd, waitFor } from './lib/hearthd.mjs';

const CONFIG = {
  namespaces: [
    { name: 'live', chat: true, history_size: 100, history_ttl: 3600, allow_publish: true },
    { name: 'announcements', history_size: 100, history_ttl: 3600, permissions: { publish: ['bot'] } },
  ],
};

let h;
const clients = [];
const client = (user, roles) => {
  const c = sdk(h, user ? { token: mintToken({ sub: user, roles }) } : {});
  clients.push(c);
  c.connect();
  return c;
};
before(async () => { h = await startHearthd(CONFIG); });
after(async () => { for (const c of clients) c.disconnect(); await sleep(100); await h.stop(); });

const weekly = (extra = {}) => ({ title: 'Weekly ritual', hosts: ['alice'], start: '2026-12-10T19:00',
  tz: 'Europe/Paris', duration: 3600, recurrence: { freq: 'weekly' }, ...extra });

async function create(body) {
  const r = await api(h, 'event.create', body);
  assert.equal(r.status, 200, r.text);
  assert.ok(r.json.result && r.json.result.id, r.text);
  return r.json.result.id;
}

test('create and get: occurrences in UTC across the DST change, channels, current', async () => {
  const id = await create(weekly({ start: '2027-03-18T19:00', stream_url: 'https://video.example/x' }));
  const r = await api(h, 'event.get', { id });
  const ev = r.json.result;
  assert.equal(ev.id, id);
  assert.equal(ev.title, 'Weekly ritual');
  assert.equal(ev.current, 1);
  assert.equal(ev.occurrences.length, 5);
  assert.deepEqual(ev.occurrences.slice(0, 3).map((o) => o.start),
    ['2027-03-18T18:00:00Z', '2027-03-25T18:00:00Z', '2027-04-01T17:00:00Z']); // 19:00 Paris, CET then CEST
  assert.deepEqual(ev.occurrences[0], { n: 1, start: '2027-03-18T18:00:00Z', end: '2027-03-18T19:00:00Z',
    state: 'scheduled', channel: `live:${id}.1` });
  const once1 = await create({ title: 'One-off', hosts: ['alice'], start: '2026-12-24T18:00', tz: 'UTC', duration: 600 });
  const one = (await api(h, 'event.get', { id: once1 })).json.result;
  assert.equal(one.occurrences.length, 1);
  assert.equal(one.occurrences[0].start, '2026-12-24T18:00:00Z');
});

test('bad schedules and fields are 107 with a sentence', async () => {
  const bad = [
    weekly({ tz: 'Mars/Olympus' }), weekly({ start: '2026-12-10 19:00' }), weekly({ start: '2026-02-30T19:00' }),
    weekly({ duration: 0 }), weekly({ recurrence: { freq: 'hourly' } }), weekly({ recurrence: { freq: 'weekly', days: ['mo'] } }),
    weekly({ hosts: [] }), weekly({ title: '' }), weekly({ namespace: 'announcements' }), weekly({ namespace: 'nope' }),
    weekly({ stream_url: 'javascript:alert(1)' }), weekly({ reminders: [-5] }), weekly({ extra: 1 }),
    weekly({ policies: { live: { slow_mode: -1 } } }), weekly({ policies: { party: {} } }),
  ];
  for (const b of bad) {
    const r = await api(h, 'event.create', b);
    assert.equal(r.json?.error?.code, 107, `${JSON.stringify(b)} -> ${r.text}`);
    assert.ok(r.json.error.message.length > 5);
  }
  assert.equal((await api(h, 'event.get', { id: 'nope' })).json.error.code, 107);
});

test('who may call what over rpc', async () => {
  const member = client('mia', ['member']);
  const host = client('bob', ['host']);
  const alice = client('alice', ['member']);
  await Promise.all([member.ready(5000), host.ready(5000), alice.ready(5000)]);
  await assert.rejects(member.rpc('event.create', weekly()), (e) => e.code === 103);
  const { data } = await host.rpc('event.create', weekly({ hosts: ['alice'] }));
  const id = data.id;
  // bob has the host role but is not one of this event's hosts
  await assert.rejects(host.rpc('event.transition', { id, state: 'live' }), (e) => e.code === 103);
  await assert.rejects(member.rpc('event.update', { id, title: 'x' }), (e) => e.code === 103);
  await assert.rejects(member.rpc('event.cancel', { id }), (e) => e.code === 103);
  // alice is listed in hosts (her token's role is only member)
  const t = await alice.rpc('event.transition', { id, state: 'green_room' });
  assert.deepEqual(t.data, { occurrence: 1, state: 'green_room' });
  const got = await member.rpc('event.get', { id });
  assert.equal(got.data.occurrences[0].state, 'green_room');
  const upd = await alice.rpc('event.update', { id, title: 'Renamed' });
  assert.deepEqual(upd.data, {});
  assert.equal((await member.rpc('event.get', { id })).data.title, 'Renamed');
});

test('the lifecycle moves forward only and is published on both channels', async () => {
  const id = await create(weekly());
  const c = client();
  await c.ready(5000);
  const evSub = c.newSubscription(`live:${id}`);
  const annSub = c.newSubscription('announcements:community');
  const evMsgs = [], annMsgs = [];
  evSub.on('publication', (p) => evMsgs.push(p.data));
  annSub.on('publication', (p) => annMsgs.push(p.data));
  evSub.subscribe(); annSub.subscribe();
  await Promise.all([once(evSub, 'subscribed'), once(annSub, 'subscribed')]);
  for (const st of ['green_room', 'live']) {
    const r = await api(h, 'event.transition', { id, state: st });
    assert.deepEqual(r.json.result, { occurrence: 1, state: st });
  }
  for (const st of ['green_room', 'scheduled', 'cancelled', 'bogus']) {
    assert.equal((await api(h, 'event.transition', { id, state: st })).json.error.code, 107, st);
  }
  await api(h, 'event.transition', { id, state: 'ended' }); // after_party skipped
  await waitFor(() => evMsgs.length >= 3, 5000, 'event_state publications');
  assert.deepEqual(evMsgs.map((m) => [m.type, m.event, m.state, m.occurrence]),
    [['event_state', id, 'green_room', 1], ['event_state', id, 'live', 1], ['event_state', id, 'ended', 1]]);
  await waitFor(() => annMsgs.filter((m) => m.event === id).length >= 4, 5000, 'announcements');
  const mine = annMsgs.filter((m) => m.event === id);
  assert.deepEqual(mine.map((m) => m.type), ['event_state', 'event_state', 'live_now', 'event_state']);
  assert.equal(mine[2].channel, `live:${id}.1`);
  // after ended, the next occurrence is current and starts over
  const ev = (await api(h, 'event.get', { id })).json.result;
  assert.equal(ev.current, 2);
  assert.equal(ev.occurrences[0].n, 2);
  assert.deepEqual((await api(h, 'event.transition', { id, state: 'live' })).json.result, { occurrence: 2, state: 'live' });
});

test('cancel one occurrence, then the series', async () => {
  const id = await create(weekly());
  assert.deepEqual((await api(h, 'event.cancel', { id, occurrence: 1 })).json.result, {});
  let ev = (await api(h, 'event.get', { id })).json.result;
  assert.equal(ev.current, 2);
  assert.equal((await api(h, 'event.cancel', { id, occurrence: 0 })).json.error.code, 107);
  assert.deepEqual((await api(h, 'event.cancel', { id, occurrence: 3 })).json.result, {});
  ev = (await api(h, 'event.get', { id })).json.result;
  assert.deepEqual(ev.occurrences.slice(0, 2).map((o) => [o.n, o.state]), [[2, 'scheduled'], [3, 'cancelled']]);
  assert.deepEqual((await api(h, 'event.cancel', { id })).json.result, {});
  ev = (await api(h, 'event.get', { id })).json.result;
  assert.equal(ev.current, null);
  assert.equal(ev.cancelled, true);
  assert.equal((await api(h, 'event.transition', { id, state: 'live' })).json.error.code, 107);
});

test('event.list filters by UTC instants', async () => {
  const a = await create({ title: 'A', hosts: ['x'], start: '2031-05-01T10:00', tz: 'UTC', duration: 600 });
  const b = await create({ title: 'B', hosts: ['x'], start: '2031-06-01T10:00', tz: 'UTC', duration: 600 });
  const ids = (r) => r.json.result.events.map((e) => e.id);
  const may = await api(h, 'event.list', { from: '2031-05-01T00:00:00Z', to: '2031-05-31T00:00:00Z' });
  assert.ok(ids(may).includes(a));
  assert.ok(!ids(may).includes(b));
  const all = await api(h, 'event.list', {});
  assert.ok(ids(all).includes(a) && ids(all).includes(b));
  assert.equal((await api(h, 'event.list', { from: 'tomorrow' })).json.error.code, 107);
});

test('a reminder fires once when it comes due, not for occurrences already over', async () => {
  // start on a minute boundary at least 20 s ahead; a reminder due in ~2 s
  const now = Date.now();
  const startMs = Math.ceil((now + 20000) / 60000) * 60000;
  const iso = new Date(startMs).toISOString().slice(0, 16);
  const before = Math.floor((startMs - now) / 1000) - 2;
  const c = client();
  await c.ready(5000);
  const ann = c.newSubscription('announcements:community');
  const got = [];
  ann.on('publication', (p) => { if (p.data.type === 'reminder') got.push(p.data); });
  ann.subscribe();
  await once(ann, 'subscribed');
  const id = await create({ title: 'Soon', hosts: ['alice'], start: iso, tz: 'UTC', duration: 600,
    reminders: [before, 86400] });
  await waitFor(() => got.some((m) => m.event === id), 8000, 'the reminder');
  await sleep(2500); // a second tick must not fire it again
  const mine = got.filter((m) => m.event === id);
  // the 86400 s reminder was due before the event existed: not sent late
  assert.deepEqual(mine.map((m) => [m.occurrence, m.starts_in, m.start, m.channel]),
    [[1, before, new Date(startMs).toISOString().replace('.000', ''), `live:${id}.1`]]);
});

test('room policy by state: green room for hosts, read-only once ended, overrides', async () => {
  const id = await create(weekly({ hosts: ['alice'] }));
  const ch = `live:${id}.1`;
  const alice = client('alice', ['member']);
  const bob = client('bob', ['member']);
  await Promise.all([alice.ready(5000), bob.ready(5000)]);
  await api(h, 'event.transition', { id, state: 'green_room' });
  const bs = bob.newSubscription(ch);
  const denied = once(bs, 'unsubscribed', 5000);
  bs.subscribe();
  assert.equal((await denied).code, 103);
  bob.removeSubscription(bs);
  const as = alice.newSubscription(ch);
  as.subscribe();
  await once(as, 'subscribed');
  await as.publish({ text: 'hosts warming up' });
  await assert.rejects(bob.publish(ch, { text: 'let me in' }), (e) => e.code === 103);
  await api(h, 'event.transition', { id, state: 'live' });
  const bs2 = bob.newSubscription(ch);
  bs2.subscribe();
  await once(bs2, 'subscribed');
  await bs2.publish({ text: 'hello' });
  // live: slow mode 3 s by default (enforced by moderation)
  await assert.rejects(bs2.publish({ text: 'again at once' }), (e) => e.code === 111 && /slow mode: wait [1-3] s/.test(e.message));
  // a moderator's per-room override wins over the event's policy
  await api(h, 'mod.slow_mode', { channel: ch, seconds: 0 });
  await waitFor(async () => { try { await bs2.publish({ text: 'no wait' }); return true; } catch { return false; } }, 3000, 'the override');
  await bs2.publish({ text: 'still no wait' });
  await api(h, 'event.transition', { id, state: 'ended' });
  await assert.rejects(bs2.publish({ text: 'after the end' }), (e) => e.code === 103 && /read-only/.test(e.message));
  // the API (bots) is not held to the room policy
  assert.equal((await api(h, 'publish', { channel: ch, data: { text: 'bot recap' } })).status, 200);
  // an event whose policy keeps ended rooms open
  const open = await create(weekly({ hosts: ['alice'], policies: { ended: { read_only: false } } }));
  await api(h, 'event.transition', { id: open, state: 'ended' });
  await bob.publish(`live:${open}.1`, { text: 'still chatting' });
});
