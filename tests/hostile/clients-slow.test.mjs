// tests/hostile/clients-slow.test.mjs — clients that ask for a lot and never
// read. A connection's outbound memory (its queue plus what libwebsockets
// still holds of a partial write) is bounded by client_queue_max_size: a
// reply larger than that is refused with error 106 (never built whole, never
// buffered), and a client whose replies pile up unread is disconnected with
// 3008 "slow". The server's RSS stays bounded and it keeps serving.
import { afterEach, beforeEach, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { api, assertServing, BASE_CONFIG, rawWs, rssKiB, sleep, startHearthd } from './lib.mjs';

const PUB = 'x'.repeat(60000);   // one publication: ~60 KB
const NPUBS = 100;               // full history: ~6 MB
const QUEUE = 1048576;           // client_queue_max_size (the default)

/** A raw JSON client, connected, that then stops reading its socket. */
async function deafClient(h) {
  const c = await rawWs(h);
  c.send({ id: 1, connect: {} });
  const r = await c.reply(1);
  assert.ok(r.connect, JSON.stringify(r));
  c.ws._socket.pause();
  return c;
}

/** A fresh hearthd (a clean RSS baseline) with NPUBS x 60 KB in big:h's history. */
async function bigServer() {
  const h = await startHearthd({
    ping_interval: 10, pong_timeout: 5,
    namespaces: [...BASE_CONFIG.namespaces, { name: 'big', history_size: NPUBS, history_ttl: 300, allow_publish: true }],
  });
  for (let i = 0; i < NPUBS; i++) {
    const r = await api(h, 'publish', { channel: 'big:h', data: { i, pad: PUB } });
    assert.equal(r.status, 200, r.text);
  }
  return h;
}

describe('clients that request big replies and never read', () => {
  let h;
  beforeEach(async () => { h = await bigServer(); });
  afterEach(() => h.stop());

  test('50 non-reading clients asking for a 6 MB history: RSS stays bounded, each gets 106', async (t) => {
    const N = 50;
    const rss0 = await rssKiB(h.proc.pid);
    const clients = [];
    for (let i = 0; i < N; i++) {
      const c = await deafClient(h);
      c.send({ id: 2, history: { channel: 'big:h', limit: NPUBS } });
      clients.push(c);
    }
    await sleep(1500);
    const grown = (await rssKiB(h.proc.pid)) - rss0;
    t.diagnostic(`RSS ${rss0} KiB -> +${grown} KiB`);
    // before the fix every connection held its whole ~6 MB reply (kernel
    // buffers took a little, lws's partial buffer the rest): ~240 MB for 50
    assert.ok(grown < 64 * 1024, `RSS grew ${grown} KiB for ${N} non-reading clients`);
    for (const c of clients) c.ws._socket.resume();
    for (const c of clients) {
      const r = await c.reply(2);
      assert.deepEqual(r.error && r.error.code, 106, JSON.stringify(r).slice(0, 200));
      c.ws.close();
    }
    await assertServing(h);
  });

  test('a reply that fits is delivered; replies piling up unread end in 3008', async (t) => {
    // a reading client gets a reply just under the limit
    const ok = await rawWs(h);
    ok.send({ id: 1, connect: {} });
    await ok.reply(1);
    const limit = Math.floor((QUEUE * 0.9) / (PUB.length + 100));
    ok.send({ id: 2, history: { channel: 'big:h', limit } });
    const r = await ok.reply(2, 10000);
    assert.equal(r.history.publications.length, limit);
    ok.ws.close();

    // non-reading clients ask for it again and again: what the server holds
    // for each (queue + lws's partial-send buffer) stays under the limit
    const N = 20;
    const rss0 = await rssKiB(h.proc.pid);
    const clients = [];
    for (let i = 0; i < N; i++) {
      const c = await deafClient(h);
      for (let k = 0; k < 12; k++) c.send({ id: 10 + k, history: { channel: 'big:h', limit } });
      clients.push(c);
    }
    await sleep(1500);
    const grown = (await rssKiB(h.proc.pid)) - rss0;
    t.diagnostic(`RSS ${rss0} KiB -> +${grown} KiB`);
    // 12 x 0.9 MB each unbounded would be ~215 MB; bounded: ~1 MB each
    assert.ok(grown < 80 * 1024, `RSS grew ${grown} KiB for ${N} clients`);
    for (const c of clients) c.ws._socket.resume();
    const closes = await Promise.all(clients.map((c) => Promise.race([c.closed, sleep(15000).then(() => ({ code: 'none' }))])));
    for (const cl of closes) assert.equal(cl.code, 3008, JSON.stringify(cl));
    await assertServing(h);
  });

  test('a recovery too large for the queue is answered not recovered (no 6 MB reply built)', async () => {
    const top = await api(h, 'history', { channel: 'big:h', limit: 0 });
    assert.equal(top.status, 200, top.text);
    const { epoch, offset } = top.json.result;
    const c = await rawWs(h);
    c.send({ id: 1, connect: {} });
    await c.reply(1);
    // 50 missed publications (~3 MB) do not fit client_queue_max_size
    c.send({ id: 2, subscribe: { channel: 'big:h', recoverable: true, recover: true, offset: offset - 50, epoch } });
    const r = await c.reply(2, 10000);
    assert.ok(r.subscribe, JSON.stringify(r).slice(0, 200));
    assert.equal(r.subscribe.recovered ?? false, false);
    assert.equal((r.subscribe.publications || []).length, 0);
    assert.equal(Number(r.subscribe.offset), offset);
    // 5 missed publications fit and are recovered
    c.send({ id: 3, unsubscribe: { channel: 'big:h' } });
    await c.reply(3);
    c.send({ id: 4, subscribe: { channel: 'big:h', recoverable: true, recover: true, offset: offset - 5, epoch } });
    const r2 = await c.reply(4, 10000);
    assert.equal(r2.subscribe.recovered, true);
    assert.equal(r2.subscribe.publications.length, 5);
    c.ws.close();
    await assertServing(h);
  });
});

