// tests/integration/redis-faults.test.mjs — the Redis engine under faults,
// with real redis-server and hearthd processes: Redis killed and restarted
// mid-stream (append-only file, so it keeps its data), Redis down when a node
// starts, Redis frozen (SIGSTOP), and a node killed with clients on it.
// Nodes must stay up, answer temporary errors (code 100) while Redis is
// away, reconnect, resubscribe, and their clients must recover everything
// that was acknowledged.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  api, failoverClient, mintToken, once, redisNodeConfig, sdk, sleep, startHearthd, startRedis, waitFor,
} from './lib/hearthd.mjs';

/** Runs fn with fresh Redis + nodes; everything is stopped afterwards. */
async function cluster(nodes, fn, { persist = false } = {}) {
  const redis = await startRedis({ persist });
  const hs = [];
  const clients = [];
  try {
    for (const name of nodes) hs.push(await startHearthd(redisNodeConfig(redis, { node_name: name })));
    await fn({ redis, hs, clients });
  } finally {
    for (const c of clients) c.disconnect();
    await sleep(100);
    try {
      for (const h of hs) if (!h.killed) await h.stop();
    } finally {
      await redis.stop();
    }
  }
}

const health = async (h) => (await fetch(`${h.http}/health`)).status;

test('Redis killed and restarted mid-stream: temporary errors, then everything acknowledged is recovered', async () => {
  await cluster(['a', 'b'], async ({ redis, hs: [A, B], clients }) => {
    const reader = sdk(A);
    const writer = sdk(B);
    clients.push(reader, writer);
    const rs = reader.newSubscription('chat:mid');
    const got = [];
    const subscribed = [];
    rs.on('publication', (ctx) => got.push(ctx.data.i));
    rs.on('subscribed', (ctx) => subscribed.push(ctx));
    rs.subscribe(); reader.connect(); writer.connect();
    await rs.ready(5000); await writer.ready(5000);

    const acked = [];
    const errors = [];
    let i = 0;
    const publishOne = async () => {
      const n = i++;
      try { await writer.publish('chat:mid', { i: n }); acked.push(n); } catch (e) { errors.push(e); }
    };
    for (let k = 0; k < 5; k++) await publishOne();
    assert.equal(acked.length, 5);
    const before = (await api(A, 'history', { channel: 'chat:mid', limit: 0 })).json.result;
    assert.equal(before.offset, 5);

    await redis.kill('SIGKILL');
    for (let k = 0; k < 4; k++) { await publishOne(); await sleep(100); }
    assert.ok(errors.length >= 1, 'a publish while Redis is away must fail');
    for (const e of errors) {
      assert.equal(e.code, 100);
      assert.equal(e.temporary, true);
    }
    assert.equal(await health(A), 200);
    assert.equal(await health(B), 200);
    const apiErr = await api(A, 'publish', { channel: 'chat:mid', data: { x: 1 } });
    assert.equal(apiErr.json.error.code, 100);
    for (const call of [() => writer.history('chat:mid', { limit: 5 }), () => writer.presence('chat:mid'),
      () => writer.presenceStats('chat:mid')]) {
      await assert.rejects(call(), (e) => e.code === 100 && e.temporary === true);
    }
    // a new subscription meanwhile: refused with a temporary error, and the SDK keeps trying
    const late = sdk(B);
    clients.push(late);
    const ls = late.newSubscription('chat:mid');
    const lateErrors = [];
    ls.on('error', (ctx) => lateErrors.push(ctx.error));
    ls.subscribe(); late.connect();
    await waitFor(() => lateErrors.length >= 1, 5000, 'subscribe error while Redis is away');
    assert.equal(lateErrors[0].code, 100);
    assert.equal(lateErrors[0].temporary, true);

    await redis.launch(); // same port, same append-only file
    const deadline = Date.now() + 15000;
    while (acked.length < 12 && Date.now() < deadline) { await publishOne(); await sleep(50); }
    assert.equal(acked.length, 12, 'publishing works again');
    await waitFor(() => got.length === acked.length, 10000, 'the reader to have everything acknowledged');
    assert.deepEqual(got, acked, 'every acknowledged publication exactly once, in order');
    const last = subscribed[subscribed.length - 1];
    assert.ok(subscribed.length >= 2, 'the reader was told to recover');
    assert.equal(last.wasRecovering, true);
    assert.equal(last.recovered, true);
    const after = (await api(B, 'history', { channel: 'chat:mid', limit: 0 })).json.result;
    assert.equal(after.epoch, before.epoch, 'the epoch survives a restart that kept the data');
    assert.equal(after.offset, 12, 'offsets continue without a gap');
    await ls.ready(10000); // the late subscription made it once Redis was back
  }, { persist: true });
});

test('a dropped pub/sub link (CLIENT KILL TYPE pubsub): subscribers are told to recover (2500) and miss nothing', async () => {
  await cluster(['a', 'b'], async ({ redis, hs: [A, B], clients }) => {
    const reader = sdk(A);
    clients.push(reader);
    const rs = reader.newSubscription('chat:linkdrop');
    const got = [];
    const subscribed = [];
    const subscribing = [];
    rs.on('publication', (ctx) => got.push(ctx.data.i));
    rs.on('subscribed', (ctx) => subscribed.push(ctx));
    rs.on('subscribing', (ctx) => subscribing.push(ctx.code));
    rs.subscribe(); reader.connect();
    await rs.ready(5000);
    await api(B, 'publish', { channel: 'chat:linkdrop', data: { i: 0 } });
    await waitFor(() => got.length === 1, 5000, 'first');
    const killed = await redis.command('CLIENT', 'KILL', 'TYPE', 'pubsub');
    assert.ok(killed >= 2, 'both nodes had a pub/sub connection');
    for (let i = 1; i < 6; i++) {
      const r = await api(B, 'publish', { channel: 'chat:linkdrop', data: { i } });
      assert.ok(r.json.result, 'commands still work: only the pub/sub link dropped');
    }
    await waitFor(() => got.length === 6, 10000, 'every publication, live or recovered');
    assert.deepEqual(got, [0, 1, 2, 3, 4, 5]);
    assert.ok(subscribing.includes(2500), 'told: insufficient state');
    assert.equal(subscribed[subscribed.length - 1].recovered, true);
    await api(B, 'publish', { channel: 'chat:linkdrop', data: { i: 6 } });
    await waitFor(() => got.length === 7, 5000, 'live again after the resubscribe');
  });
});

test('a node started while Redis is down serves, then connects when Redis comes up', async () => {
  const redis = await startRedis();
  await redis.kill('SIGKILL');
  let h;
  try {
    h = await startHearthd(redisNodeConfig(redis, { node_name: 'early' }));
    assert.equal(await health(h), 200);
    const r = await api(h, 'publish', { channel: 'chat:early', data: { a: 1 } });
    assert.equal(r.json.error.code, 100);
    await sleep(700); // a few refused connects: each must fail fast, not hang
    await redis.launch();
    await waitFor(async () => {
      const x = await api(h, 'publish', { channel: 'chat:early', data: { a: 2 } });
      return x.json.result && x.json.result.offset >= 1;
    }, 10000, 'publish to work once Redis is up');
    const c = sdk(h);
    const s = c.newSubscription('chat:early');
    s.subscribe(); c.connect();
    await s.ready(5000);
    c.disconnect();
  } finally {
    if (h) await h.stop();
    await redis.stop();
  }
});

test('a frozen Redis (SIGSTOP): commands time out into temporary errors; it carries on after SIGCONT', async () => {
  await cluster(['a', 'b'], async ({ redis, hs: [A, B], clients }) => {
    const reader = sdk(B);
    clients.push(reader);
    const rs = reader.newSubscription('chat:frozen');
    const got = [];
    rs.on('publication', (ctx) => got.push(ctx.data.n));
    rs.subscribe(); reader.connect();
    await rs.ready(5000);
    assert.equal((await api(A, 'publish', { channel: 'chat:frozen', data: { n: 1 } })).json.result.offset, 1);
    redis.proc.kill('SIGSTOP');
    try {
      const r = await api(A, 'publish', { channel: 'chat:frozen', data: { n: 2 } });
      assert.equal(r.json.error.code, 100, 'a publish to a frozen Redis times out');
      // the answer may reach us before the log line that says why
      await waitFor(() => /command timeout/.test(A.logs()), 5000, 'the timeout logged');
      assert.equal(await health(A), 200);
    } finally {
      redis.proc.kill('SIGCONT');
    }
    await waitFor(async () => {
      const x = await api(A, 'publish', { channel: 'chat:frozen', data: { n: 3 } });
      return !!x.json.result;
    }, 15000, 'publishing to work after SIGCONT');
    await waitFor(() => got.includes(3), 10000, 'live delivery after SIGCONT');
  });
});

test('a node that shuts down says goodbye: the others drop it at once', async () => {
  await cluster(['stays', 'leaves'], async ({ hs: [A, B] }) => {
    await waitFor(async () => (await api(A, 'info', {})).json.result.nodes.length === 2, 8000, 'both known');
    await B.stop();
    B.killed = true; // stopped already
    await waitFor(async () => (await api(A, 'info', {})).json.result.nodes.length === 1, 8000,
      'the leaving node to be dropped');
    assert.match(A.logs(), /\(leaves\) left/, 'dropped on its goodbye, not after the silence timeout');
    assert.doesNotMatch(A.logs(), /\(leaves\) is silent/);
  });
});

test('a node killed with clients on it: presence expires, /api/info drops it, its clients recover elsewhere', async () => {
  await cluster(['victim', 'survivor'], async ({ hs: [A, B], clients }) => {
    let target = A.ws;
    const x = failoverClient(() => target,
      { token: mintToken({ sub: 'xavier' }), minReconnectDelay: 1500, maxReconnectDelay: 2000 });
    clients.push(x);
    const xs = x.newSubscription('chat:kill');
    const got = [];
    const subscribed = [];
    xs.on('publication', (ctx) => got.push(ctx.data.i));
    xs.on('subscribed', (ctx) => subscribed.push(ctx));
    xs.subscribe(); x.connect();
    await xs.ready(5000);
    const oldId = x._client;
    const y = sdk(B, { token: mintToken({ sub: 'yara' }) });
    clients.push(y);
    const ys = y.newSubscription('chat:kill');
    ys.subscribe(); y.connect();
    await ys.ready(5000);
    await waitFor(async () => (await api(B, 'info', {})).json.result.nodes.length === 2, 8000, 'both nodes known');
    for (let i = 0; i < 2; i++) await api(B, 'publish', { channel: 'chat:kill', data: { i } });
    await waitFor(() => got.length === 2, 5000, 'first two');
    const p0 = (await api(B, 'presence', { channel: 'chat:kill' })).json.result.presence;
    assert.ok(p0[oldId], 'xavier\'s connection on the victim is present');

    target = B.ws;
    const reconnecting = once(x, 'connecting', 5000);
    A.killed = true;
    A.proc.kill('SIGKILL');
    await A.exited;
    await reconnecting;
    for (let i = 2; i < 5; i++) await api(B, 'publish', { channel: 'chat:kill', data: { i } });
    await waitFor(() => subscribed.length === 2, 10000, 'xavier back, on the survivor');
    await waitFor(() => got.length === 5, 5000, 'the missed ones');
    assert.deepEqual(got, [0, 1, 2, 3, 4]);
    assert.equal(subscribed[1].recovered, true);

    // the victim cannot refresh its presence entries: they expire (TTL 3 s)
    await waitFor(async () => {
      const p = (await api(B, 'presence', { channel: 'chat:kill' })).json.result.presence;
      return !p[oldId] && Object.values(p).filter((ci) => ci.user === 'xavier').length === 1;
    }, 10000, 'the dead node\'s presence to expire');
    const stats = (await api(B, 'presence_stats', { channel: 'chat:kill' })).json.result;
    assert.deepEqual(stats, { num_clients: 2, num_users: 2 });
    // and the node registry forgets it
    await waitFor(async () => {
      const nodes = (await api(B, 'info', {})).json.result.nodes;
      return nodes.length === 1 && nodes[0].name === 'survivor';
    }, 15000, 'the killed node to be dropped from /api/info');
  });
});
