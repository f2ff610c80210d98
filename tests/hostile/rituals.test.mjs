// tests/hostile/rituals.test.mjs — hostile input to the ritual methods
// (community/): every method fed wrong shapes answers an error code (never a
// crash), vote, tap and question floods from one member stay bounded (one
// vote counted, taps capped, questions rate limited) and the server's memory
// does not grow with the flood.
import { readFileSync } from 'node:fs';
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { api, assertServing, BASE_CONFIG, mintToken, rssKiB, sdk, sleep, startHearthd, signedIn } from './lib.mjs';

// AddressSanitizer keeps freed memory in quarantine: RSS says nothing there
// (as in rooms-api.test.mjs), so the memory bound is asserted on the normal build.
const sanitized = (pid) => /libasan|libclang_rt\.asan/.test(readFileSync(`/proc/${pid}/maps`, 'utf8'));

let h;
const clients = [];
const user = (id, roles) => signedIn(h, clients, id, roles);
before(async () => {
  h = await startHearthd({ client_command_rate: 0, namespaces: [...BASE_CONFIG.namespaces,
    { name: 'live', chat: true, history_size: 100, history_ttl: 3600, allow_publish: true }] });
});
after(async () => { for (const c of clients) c.disconnect(); await sleep(100); await h.stop(); });

const METHODS = ['event.create', 'event.update', 'event.cancel', 'event.get', 'event.list', 'event.transition',
  'poll.create', 'poll.vote', 'poll.close', 'poll.results', 'qa.ask', 'qa.upvote', 'qa.unvote', 'qa.answer',
  'qa.pin', 'qa.dismiss', 'qa.list', 'live.react', 'stage.raise_hand', 'stage.lower_hand', 'stage.accept',
  'stage.dismiss', 'stage.get', 'stats.event', 'stats.community', 'stats.series'];
const JUNK = [{}, { id: 5 }, { id: 'x'.repeat(5000) }, { channel: 7 }, { channel: 'live:a.1', text: { a: 1 } },
  { poll_id: ['a'] }, { channel: 'live:a.1', question_id: null }, { start: '9999-99-99T99:99', tz: 'X' },
  { metric: 'dau', from: 'x', to: [] }, { channel: 'live:\u0001.1', emoji: '\u0001' }];

test('wrong shapes: an error code from every ritual method, over rpc and the API', async () => {
  const admin = await user('root', ['admin']);
  for (const m of METHODS) {
    for (const j of JUNK) {
      const r = await api(h, m, j);
      assert.equal(r.status, 200, `${m} ${r.text}`);
      assert.ok(r.json.error || r.json.result, `${m} ${JSON.stringify(j)} -> ${r.text}`);
      if (r.json.error) assert.ok([100, 103, 106, 107, 111].includes(r.json.error.code), `${m}: ${r.text}`);
      try { await admin.rpc(m, j); } catch (e) { assert.ok([103, 106, 107, 111].includes(e.code), `${m}: ${e.code}`); }
    }
  }
  await assertServing(h, 'after junk calls');
});

test('floods from one member stay bounded', async (t) => {
  const poll = (await api(h, 'poll.create', { channel: 'live:flood.1', question: 'q', options: ['a', 'b'], kind: 'single' })).json.result.poll_id;
  const u = await user('flooder');
  const round = () => Promise.all(Array.from({ length: 300 }, (_, i) => Promise.allSettled([
    u.rpc('poll.vote', { poll_id: poll, choices: [i % 2] }),
    u.rpc('live.react', { channel: 'live:flood.1', emoji: '🔥' }),
    u.rpc('qa.ask', { channel: 'live:flood.1', text: `q${i}` }),
  ])));
  for (let i = 0; i < 3; i++) await round(); // warm up: allocator arenas, ASan's quarantine
  const rss0 = await rssKiB(h.proc.pid);
  for (let i = 0; i < 10; i++) await round();
  const grown = (await rssKiB(h.proc.pid)) - rss0;
  t.diagnostic(`RSS ${rss0} KiB -> +${grown} KiB over 9,000 more calls`);
  const r = (await api(h, 'poll.results', { poll_id: poll })).json.result;
  assert.equal(r.voters, 1);
  assert.equal(r.counts[0] + r.counts[1], 1);
  const qs = (await api(h, 'qa.list', { channel: 'live:flood.1' })).json.result.questions;
  assert.equal(qs.length, 1); // one question per 30 s
  // steady state: a flood of the same calls must not keep growing the server
  if (!sanitized(h.proc.pid)) assert.ok(grown < 8 * 1024, `RSS grew ${grown} KiB over 9,000 flood calls`);
  await assertServing(h, 'after the flood');
});
