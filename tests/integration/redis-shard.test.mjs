// tests/integration/redis-shard.test.mjs — channels sharded over two real
// redis-server instances (redis_url as an array) with two hearthd nodes:
// each channel lives on the instance Centrifugo's hash picks (jump
// consistent hash over FNV-1a 64), pub/sub, history and presence work across
// nodes for channels on both instances, and losing one instance only affects
// the channels that live on it.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { api, redisNodeConfig, sdk, sleep, startHearthd, startRedis, waitFor } from './lib/hearthd.mjs';

let r0;
let r1;
let A;
let B;
const clients = [];

before(async () => {
  r0 = await startRedis({ persist: true });
  r1 = await startRedis({ persist: true });
  A = await startHearthd(redisNodeConfig([r0, r1], { node_name: 'a' }));
  B = await startHearthd(redisNodeConfig([r0, r1], { node_name: 'b' }));
});
after(async () => {
  for (const c of clients) c.disconnect();
  await sleep(100);
  try {
    await A.stop();
    await B.stop();
  } finally {
    await r0.stop();
    await r1.stop();
  }
});

// The shard choice, written independently of the C code.
function fnv1a64(s) {
  let h = 0xcbf29ce484222325n;
  for (const b of Buffer.from(s)) { h ^= BigInt(b); h = (h * 0x100000001b3n) & 0xffffffffffffffffn; }
  return h;
}
function jump(key, buckets) {
  let b = -1n;
  let j = 0n;
  while (j < BigInt(buckets)) {
    b = j;
    key = (key * 2862933555777941757n + 1n) & 0xffffffffffffffffn;
    j = BigInt(Math.floor(Number(b + 1n) * (2 ** 31 / Number((key >> 33n) + 1n))));
  }
  return Number(b);
}
const shardOf = (ch) => jump(fnv1a64(ch), 2);
const channels = Array.from({ length: 16 }, (_, i) => `chat:room${i}`);

const keys = async (r, pattern) => (await r.command('KEYS', pattern)).map((b) => b.toString()).sort();

test('channels spread over both instances, each on the one the hash picks', async () => {
  const want = [[], []];
  for (const ch of channels) want[shardOf(ch)].push(`hearth.stream.${ch}`);
  assert.ok(want[0].length && want[1].length, 'the test channels must cover both shards');
  const reader = sdk(B);
  clients.push(reader);
  const got = new Map();
  for (const ch of channels) {
    const s = reader.newSubscription(ch);
    s.on('publication', (ctx) => got.set(ch, ctx.data));
    s.subscribe();
  }
  reader.connect();
  for (const ch of channels) await reader.getSubscription(ch).ready(5000);
  for (const ch of channels) {
    const r = await api(A, 'publish', { channel: ch, data: { ch } });
    assert.equal(r.json.result.offset, 1, ch);
  }
  await waitFor(() => got.size === channels.length, 5000, 'a publication in every channel');
  for (const ch of channels) assert.deepEqual(got.get(ch), { ch });
  assert.deepEqual(await keys(r0, 'hearth.stream.*'), want[0].sort());
  assert.deepEqual(await keys(r1, 'hearth.stream.*'), want[1].sort());
  for (const ch of channels) {
    const h = (await api(B, 'history', { channel: ch, limit: 5 })).json.result;
    assert.equal(h.offset, 1);
    assert.deepEqual(h.publications[0].data, { ch });
  }
  // presence for a channel on each shard, seen from the other node
  for (const ch of [channels.find((c) => shardOf(c) === 0), channels.find((c) => shardOf(c) === 1)]) {
    const p = (await api(A, 'presence', { channel: ch })).json.result.presence;
    assert.equal(Object.keys(p).length, 1, ch);
  }
});

test('losing one instance fails only its channels (temporarily); they recover when it is back', async () => {
  const on0 = channels.filter((c) => shardOf(c) === 0).slice(0, 2);
  const on1 = channels.filter((c) => shardOf(c) === 1).slice(0, 2);
  const reader = sdk(A);
  clients.push(reader);
  const got = new Map();
  const subscribed = new Map();
  for (const ch of [...on0, ...on1]) {
    const s = reader.newSubscription(ch);
    got.set(ch, []);
    subscribed.set(ch, []);
    s.on('publication', (ctx) => got.get(ch).push(ctx.data.n));
    s.on('subscribed', (ctx) => subscribed.get(ch).push(ctx));
    s.subscribe();
  }
  reader.connect();
  for (const ch of [...on0, ...on1]) await reader.getSubscription(ch).ready(5000);

  await r1.kill('SIGKILL');
  for (const ch of on0) {
    const r = await api(B, 'publish', { channel: ch, data: { n: 1 } });
    assert.ok(r.json.result, `${ch} lives on the healthy instance`);
  }
  for (const ch of on1) {
    const r = await api(B, 'publish', { channel: ch, data: { n: 1 } });
    assert.equal(r.json.error && r.json.error.code, 100, `${ch} lives on the dead instance`);
  }
  await waitFor(() => on0.every((ch) => got.get(ch).includes(1)), 5000, 'healthy shard still delivers');
  await r1.launch();
  const acked = new Map(on1.map((ch) => [ch, []]));
  await waitFor(async () => {
    for (const ch of on1) {
      const n = acked.get(ch).length + 1;
      const r = await api(B, 'publish', { channel: ch, data: { n } });
      if (r.json.result) acked.get(ch).push(n);
    }
    return on1.every((ch) => acked.get(ch).length >= 2);
  }, 15000, 'the channels of the restarted instance to take publications again');
  await waitFor(() => on1.every((ch) => got.get(ch).length === acked.get(ch).length), 10000,
    'readers of the restarted instance\'s channels to catch up');
  for (const ch of on1) {
    assert.deepEqual(got.get(ch), acked.get(ch), ch);
    const subs = subscribed.get(ch);
    assert.equal(subs[subs.length - 1].recovered, true, `${ch} recovered`);
  }
  for (const ch of on0) assert.equal(subscribed.get(ch).length, 1, `${ch} was never disturbed`);
});
