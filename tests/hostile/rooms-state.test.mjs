// tests/hostile/rooms-state.test.mjs — channel state that anonymous peers
// could grow: history reads (API and client protocol) and positioned /
// recovering subscribes on 20,000 distinct never-published channels leave
// the engine with no state (hearth_engine_channels back to where it was),
// and a subscriber that got the empty position (epoch "", offset 0) of a
// channel still recovers what is published there while it is away. The
// Redis engine's history read writes no keys either.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { api, assertServing, dropTransport, once, rawWs, redisNodeConfig, sdk, startHearthd, startRedis, waitFor } from './lib.mjs';

async function metric(h, name) {
  const text = await (await fetch(`${h.http}/metrics`)).text();
  const m = text.match(new RegExp(`^${name} (\\S+)$`, 'm'));
  return m ? Number(m[1]) : NaN;
}

const N = 5000; // per kind of read: 4 kinds = 20,000 distinct unused channels

test('reads on 20,000 unused channels leave no engine state', async () => {
  const h = await startHearthd({ client_command_rate: 1000000, client_command_burst: 1000000 });
  try {
    assert.equal(await metric(h, 'hearth_engine_channels'), 0);
    // API history, limit 0 and with a position (refused: 112), in batches
    const hist = Array.from({ length: N }, (_, i) => ({ history: { channel: `chat:h${i}`, limit: 0 } }));
    const r1 = await api(h, 'batch', { commands: hist });
    assert.equal(r1.json.replies.length, N);
    assert.deepEqual(r1.json.replies[0].history.offset ?? 0, 0);
    assert.equal(r1.json.replies[0].history.epoch, '');
    const since = Array.from({ length: N }, (_, i) => ({ history: { channel: `chat:s${i}`, limit: 10, since: { offset: 5, epoch: 'abcdefgh' } } }));
    const r2 = await api(h, 'batch', { commands: since });
    assert.equal(r2.json.replies[N - 1].error.code, 112);

    // positioned subscribes (chat: forces recovery) and recovering ones,
    // each followed by its unsubscribe, over a few connections
    const conns = await Promise.all([0, 1, 2, 3].map(() => rawWs(h)));
    for (const [k, c] of conns.entries()) {
      c.send('{"id":1,"connect":{}}');
      assert.ok((await c.reply(1)).connect);
      const recover = k >= 2;
      const per = N / 2;
      for (let off = 0; off < per; off += 200) {
        const cmds = [];
        let id = 2;
        for (let i = off; i < off + 200; i++) {
          const ch = `chat:${recover ? 'r' : 'p'}${k}-${i}`;
          cmds.push(JSON.stringify({ id: id++, subscribe: recover ? { channel: ch, recover: true, offset: 3, epoch: 'abcdefgh' } : { channel: ch } }));
          cmds.push(JSON.stringify({ id: id++, unsubscribe: { channel: ch } }));
        }
        c.send(cmds.join('\n'));
        const last = await c.reply(id - 1, 10000);
        assert.ok(last.unsubscribe, 'the last unsubscribe of the frame answered');
      }
    }
    for (const c of conns) c.ws.close();
    await waitFor(async () => (await metric(h, 'hearth_subscriptions')) === 0, 5000, 'subscriptions gone');
    assert.equal(await metric(h, 'hearth_engine_channels'), 0, 'no engine state made by reads');

    // a publish does make state, and it is counted
    await api(h, 'publish', { channel: 'chat:real', data: 1 });
    assert.equal(await metric(h, 'hearth_engine_channels'), 1);
    await assertServing(h);
  } finally { await h.stop(); }
});

test('a subscriber at the empty position recovers what was published while it was away', async () => {
  const h = await startHearthd();
  const c = sdk(h);
  try {
    const s = c.newSubscription('chat:fresh');
    const got = [];
    const subscribed = [];
    s.on('publication', (ctx) => got.push(ctx.data.i));
    s.on('subscribed', (ctx) => subscribed.push(ctx));
    s.subscribe(); c.connect();
    await s.ready(5000);
    assert.equal(subscribed[0].recoverable, true);
    assert.equal(subscribed[0].streamPosition.offset, 0);
    assert.equal(await metric(h, 'hearth_engine_channels'), 1, 'presence only');
    const reconnecting = once(c, 'connecting');
    dropTransport(c);
    await reconnecting;
    for (let i = 0; i < 3; i++) await api(h, 'publish', { channel: 'chat:fresh', data: { i } }); // the first creates the epoch
    await waitFor(() => subscribed.length === 2, 5000, 'resubscribe');
    await waitFor(() => got.length === 3, 3000, 'missed publications');
    assert.equal(subscribed[1].wasRecovering, true);
    assert.equal(subscribed[1].recovered, true);
    assert.deepEqual(got, [0, 1, 2]);
    assert.match(subscribed[1].streamPosition.epoch, /^[a-zA-Z]{8}$/);
  } finally { c.disconnect(); await h.stop(); }
});

test('Redis engine: history reads on unused channels create no keys', async () => {
  const redis = await startRedis();
  let h;
  try {
    h = await startHearthd(redisNodeConfig(redis));
    const keys0 = await redis.command('DBSIZE');
    const hist = Array.from({ length: 2000 }, (_, i) => ({ history: { channel: `chat:rh${i}`, limit: 0 } }));
    const r = await api(h, 'batch', { commands: hist });
    assert.equal(r.json.replies.length, 2000);
    assert.equal(r.json.replies[0].history.epoch, '');
    const c = await rawWs(h);
    c.send('{"id":1,"connect":{}}');
    await c.reply(1);
    c.send('{"id":2,"subscribe":{"channel":"chat:rsub"}}');
    assert.equal((await c.reply(2)).subscribe.recoverable, true);
    c.ws.close();
    await waitFor(async () => (await metric(h, 'hearth_subscriptions')) === 0, 5000, 'unsubscribed');
    const keys = await redis.command('KEYS', '*meta*');
    assert.deepEqual(keys, [], 'no stream meta written by reads');
    assert.ok((await redis.command('DBSIZE')) <= keys0 + 2, 'no per-channel keys (presence of the subscriber aside)');
    const p = await api(h, 'publish', { channel: 'chat:rh1', data: 1 });
    assert.match(p.json.result.epoch, /^[a-zA-Z]{8}$/);
    const again = await api(h, 'history', { channel: 'chat:rh1', limit: 5 });
    assert.equal(again.json.result.offset, 1);
    await assertServing(h);
  } finally { if (h) await h.stop(); await redis.stop(); }
});
