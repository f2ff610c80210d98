// tests/integration/durable-community.test.mjs — community state on the
// embedded default (memory engine + data_dir) survives a restart, with the
// official SDK: a community ban and a room mute made before a kill -9 still
// apply after it and still end on time; a ritual's schedule, its state, its
// poll, Q&A and reminders are all there; and a chat message's edit.
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { api, mintToken, once, sdk, sleep, startHearthd, waitFor } from './lib/hearthd.mjs';

const dirs = [];
const servers = [];
const clients = [];
after(async () => {
  for (const c of clients) c.disconnect();
  await sleep(100);
  for (const s of servers) await s.stop().catch(() => {});
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

const NS = [
  { name: 'live', chat: true, history_size: 100, history_ttl: 3600, allow_publish: true, presence: true },
  { name: 'announcements', history_size: 100, history_ttl: 3600 },
];
async function node(dataDir, port) {
  const h = await startHearthd({ data_dir: dataDir, namespaces: NS }, port ? { port } : {});
  servers.push(h);
  return h;
}
async function kill9(h) {
  h.proc.kill('SIGKILL');
  await h.exited;
}
function member(h, id) {
  const c = sdk(h, { token: mintToken({ sub: id, roles: ['member'] }) });
  clients.push(c);
  return c;
}

test('a ban and a mute outlive a kill -9 and still end on time', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'hearth-durable-community-'));
  dirs.push(dir);
  let h = await node(dir);
  const ch = 'live:room.1';
  assert.equal((await api(h, 'mod.ban', { user: 'troll', duration: 0, reason: 'spam' })).status, 200);
  assert.equal((await api(h, 'mod.mute', { channel: ch, user: 'loud', duration: 4, reason: 'shouting' })).status, 200);
  const t0 = Date.now();
  await kill9(h);
  h = await node(dir, h.port);
  // the banned user is refused at connect (terminal 3510)
  const troll = member(h, 'troll');
  const closed = new Promise((resolve) => troll.on('disconnected', resolve));
  troll.connect();
  assert.equal((await closed).code, 3510);
  // the muted member cannot speak in the room...
  const loud = member(h, 'loud');
  loud.connect();
  await loud.ready(5000);
  const s = loud.newSubscription(ch);
  s.subscribe();
  await once(s, 'subscribed');
  await assert.rejects(s.publish({ text: 'let me talk' }), (e) => e.code === 103);
  // ...until the mute, made 4 s before, ends by itself (from its stored deadline)
  await waitFor(async () => { try { await s.publish({ text: 'back' }); return true; } catch { return false; } }, 10000, 'the mute to end');
  assert.ok(Date.now() - t0 >= 3500, 'the mute lasted its duration across the restart');
  // the audit log remembers both
  const audit = (await api(h, 'mod.audit', {})).json.result.entries.map((e) => e.action);
  assert.ok(audit.includes('mod.ban') && audit.includes('mod.mute'), JSON.stringify(audit));
  await api(h, 'mod.unban', { user: 'troll' });
  const again = member(h, 'troll');
  again.connect();
  await again.ready(5000);
});

test('a ritual outlives a restart: schedule, state, poll, Q&A, edits, and a reminder due meanwhile fires once', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'hearth-durable-ritual-'));
  dirs.push(dir);
  let h = await node(dir);
  const now = Date.now();
  const startMs = Math.ceil((now + 30000) / 60000) * 60000;
  const ahead = Math.floor((startMs - now) / 1000);
  const id = (await api(h, 'event.create', { title: 'Kept', hosts: ['alice'], tz: 'UTC', duration: 600,
    start: new Date(startMs).toISOString().slice(0, 16), recurrence: { freq: 'weekly' },
    reminders: [ahead - 6], policies: { live: { slow_mode: 0 } } })).json.result.id;
  await api(h, 'event.transition', { id, state: 'live' });
  const ch = `live:${id}.1`;
  const poll = (await api(h, 'poll.create', { channel: ch, question: 'Q?', options: ['a', 'b'], kind: 'single' })).json.result.poll_id;
  await api(h, 'poll.vote', { poll_id: poll, choices: [1], user: 'ann' });
  const q = (await api(h, 'qa.ask', { channel: ch, text: 'still there?', user: 'ben' })).json.result.question_id;
  const pub = await api(h, 'publish', { channel: ch, data: { text: 'first words' }, user: 'cat' });
  await api(h, 'chat.edit', { channel: ch, offset: pub.json.result.offset, text: 'better words', user: 'cat' });
  const before = (await api(h, 'event.get', { id })).json.result;
  await h.stop(); // SIGTERM: a graceful restart, while the reminder comes due
  await sleep(7000 - (Date.now() - now) > 0 ? 7000 - (Date.now() - now) : 0);
  h = await node(dir, h.port);
  const after = (await api(h, 'event.get', { id })).json.result;
  assert.deepEqual(after, before);
  assert.equal(after.occurrences[0].state, 'live');
  assert.deepEqual((await api(h, 'poll.results', { poll_id: poll })).json.result.counts, [0, 1]);
  assert.equal((await api(h, 'qa.list', { channel: ch })).json.result.questions[0].question_id, q);
  const hist = (await api(h, 'history', { channel: ch, limit: 100 })).json.result.publications;
  const msg = hist.find((p) => p.offset === pub.json.result.offset);
  assert.equal(msg.data.text, 'better words');
  assert.ok(msg.data.edited_ts > 0);
  // the reminder that came due while the node was down fires once it is back
  await waitFor(async () => (await api(h, 'history', { channel: 'announcements:community', limit: 100 }))
    .json.result.publications.some((p) => p.data.type === 'reminder' && p.data.event === id), 8000, 'the late reminder');
  await sleep(2500);
  const reminders = (await api(h, 'history', { channel: 'announcements:community', limit: 100 }))
    .json.result.publications.filter((p) => p.data.type === 'reminder' && p.data.event === id);
  assert.equal(reminders.length, 1);
});
