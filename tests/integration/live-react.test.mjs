// tests/integration/live-react.test.mjs — live reactions (community/live_react.c)
// with the official SDK: a burst of taps from many members becomes a few
// reaction_totals publications whose counts add up exactly to the accepted
// taps (counted, not timed), at most 5 per user per second count, bad emoji
// and too many distinct emoji are refused.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { once, signedIn, sleep, startHearthd } from './lib/hearthd.mjs';

const CONFIG = {
  namespaces: [{ name: 'live', chat: true, history_size: 100, history_ttl: 3600, allow_publish: true }],
};

let h;
const clients = [];
const user = (id) => signedIn(h, clients, id);
before(async () => { h = await startHearthd(CONFIG); });
after(async () => { for (const c of clients) c.disconnect(); await sleep(100); await h.stop(); });

test('a burst of taps: exact totals, few publications, 5 per user per second', async () => {
  const ch = 'live:burst.1';
  const watcher = await user('watcher');
  const sub = watcher.newSubscription(ch);
  const totals = [];
  sub.on('publication', (p) => { if (p.data.type === 'reaction_totals') totals.push(p.data); });
  sub.subscribe();
  await once(sub, 'subscribed');
  const members = await Promise.all(Array.from({ length: 10 }, (_, i) => user(`m${i}`)));
  const t0 = Date.now();
  const answers = await Promise.all(members.flatMap((m, i) =>
    Array.from({ length: 8 }, (_, k) => m.rpc('live.react', { channel: ch, emoji: k % 2 ? '🔥' : '👏' }))));
  const elapsed = Date.now() - t0;
  const accepted = answers.filter((a) => a.data.accepted).length;
  // 8 taps each within well under a second: 5 count per user (a second boundary may let a few more in)
  assert.ok(accepted >= 50 && accepted <= 80, `accepted ${accepted}`);
  await sleep(600);
  const sum = totals.reduce((s, t) => s + Object.values(t.counts).reduce((a, b) => a + b, 0), 0);
  assert.equal(sum, accepted);
  assert.ok(totals.every((t) => t.window_ms === 250));
  assert.ok(totals.length <= Math.ceil((elapsed + 600) / 250) + 1, `${totals.length} publications`);
  assert.ok(totals.length < accepted / 5);
  // nothing of it went into history
  const hist = await sub.history({ limit: 10 });
  assert.equal(hist.publications.filter((p) => p.data.type === 'reaction_totals').length, 0);
});

test('bad emoji, too many different emoji, non-chat channels', async () => {
  const u = await user('bad');
  for (const emoji of ['', ' ', 'a b', 'x'.repeat(33), '"', '\\', '\n', 42]) {
    await assert.rejects(u.rpc('live.react', { channel: 'live:e.1', emoji }), (e) => e.code === 107, JSON.stringify(emoji));
  }
  await assert.rejects(u.rpc('live.react', { channel: 'nochat:x', emoji: '👍' }), (e) => e.code === 107);
  await assert.rejects(u.rpc('live.react', { channel: 'live:e.1', emoji: '👍', extra: 1 }), (e) => e.code === 107);
  const many = await Promise.all(Array.from({ length: 80 }, (_, i) => user(`d${i}`)));
  const res = await Promise.allSettled(many.map((m, i) => m.rpc("live.react", { channel: "live:many.1", emoji: String.fromCodePoint(0x1F600 + i) })));
  const refused = res.filter((r) => r.status === 'rejected');
  assert.ok(refused.length >= 8 && refused.every((r) => r.reason.code === 106), `${refused.length} refused`);
});
