// tests/integration/limits.test.mjs — every configurable limit against a real
// hearthd: connections total and per address, command rate (111, then 3013),
// publication size, channel name length and charset, channels per client,
// HTTP API body size, handshake timeout (slow headers), and the Origin check
// on the WebSocket upgrade. (Message size, outbound queue, stale and pong
// timeouts are in badinput.test.mjs.)
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { api, once, rawTcp, rawWs, sdk, sleep, startHearthd, waitFor, WebSocket } from './lib/hearthd.mjs';

/** Tries a WebSocket upgrade; resolves 'open' (and closes it) or the HTTP status. */
function upgrade(h, headers = {}) {
  return new Promise((resolve) => {
    const ws = new WebSocket(h.ws, { headers });
    ws.on('open', () => resolve({ result: 'open', ws }));
    ws.on('unexpected-response', (_req, res) => resolve({ result: res.statusCode }));
    ws.on('error', (e) => resolve({ result: `error ${e.message}` }));
  });
}

async function metric(h, re) {
  const text = await (await fetch(`${h.http}/metrics`)).text();
  const m = text.match(re);
  return m ? Number(m[1]) : NaN;
}

describe('connection limits', () => {
  test('max_connections: the next upgrade gets 503 until one leaves', async () => {
    const h = await startHearthd({ max_connections: 3 });
    try {
      const open = [];
      for (let i = 0; i < 3; i++) open.push(await upgrade(h));
      assert.deepEqual(open.map((o) => o.result), ['open', 'open', 'open']);
      assert.equal((await upgrade(h)).result, 503);
      open[0].ws.close();
      await waitFor(async () => (await upgrade(h)).result === 'open', 3000, 'a free slot');
      assert.ok(await metric(h, /refused_connections_total\{reason="max_connections"\} (\d+)/) >= 1);
      for (const o of open) o.ws.close();
    } finally { await h.stop(); }
  });

  test('max_connections_per_ip: one address cannot take the node', async () => {
    const h = await startHearthd({ max_connections_per_ip: 2 });
    try {
      const a = await upgrade(h);
      const b = await upgrade(h);
      assert.equal((await upgrade(h)).result, 503);
      assert.ok(await metric(h, /refused_connections_total\{reason="max_connections_per_ip"\} (\d+)/) >= 1);
      a.ws.close(); b.ws.close();
    } finally { await h.stop(); }
  });
});

describe('per-client limits', () => {
  let h;
  before(async () => {
    h = await startHearthd({ client_command_rate: 5, client_command_burst: 5, client_rate_limit_strikes: 3,
      max_publication_size: 100, channel_max_length: 16, max_channels_per_client: 2, api_max_body_size: 2000 });
  });
  after(() => h.stop());

  test('command rate: the burst passes, then 111 (temporary), then 3013', async () => {
    const r = await rawWs(h);
    const cmds = ['{"id":1,"connect":{}}'];
    for (let i = 2; i <= 9; i++) cmds.push(`{"id":${i},"presence_stats":{"channel":"chat:r"}}`);
    r.send(cmds.join('\n'));
    const replies = [];
    for (let i = 0; i < 7; i++) replies.push(await r.next());
    assert.ok(replies[0].connect);
    for (let i = 1; i < 5; i++) assert.ok(replies[i].presence_stats, `command ${i + 1} within the burst`);
    for (let i = 5; i < 7; i++) {
      assert.equal(replies[i].error.code, 111);
      assert.equal(replies[i].error.temporary, true);
    }
    const closed = await r.closed; // the third refused command in a row
    assert.equal(closed.code, 3013);
    assert.ok(await metric(h, /hearth_rate_limited_total (\d+)/) >= 3);
  });

  test('the bucket refills: a client pacing itself is never refused', async () => {
    const r = await rawWs(h);
    r.send('{"id":1,"connect":{}}');
    await r.reply(1);
    for (let i = 2; i < 12; i++) {
      r.send(`{"id":${i},"presence_stats":{"channel":"chat:r"}}`);
      assert.ok((await r.reply(i)).presence_stats);
      await sleep(250); // 4/s under a 5/s limit
    }
    r.ws.close();
  });

  test('publication data above max_publication_size: 106 (client and API)', async () => {
    const c = sdk(h);
    c.connect();
    await c.ready(5000);
    await c.publish('chat:size', { t: 'x'.repeat(50) });
    await assert.rejects(c.publish('chat:size', { t: 'x'.repeat(200) }), (e) => e.code === 106);
    const r = await api(h, 'publish', { channel: 'chat:size', data: { t: 'x'.repeat(200) } });
    assert.equal(r.json.error.code, 106);
    c.disconnect();
  });

  test('channel names: too long or outside printable ASCII is 107', async () => {
    const r = await rawWs(h);
    r.send('{"id":1,"connect":{}}');
    await r.reply(1);
    const bad = ['chat:' + 'x'.repeat(12), 'chat:a b', 'chat:\u00e9t\u00e9', 'chat:tab\t'];
    let id = 2;
    for (const ch of bad) {
      r.send({ id, subscribe: { channel: ch } });
      assert.equal((await r.reply(id)).error.code, 107, `channel ${JSON.stringify(ch)}`);
      id++;
    }
    assert.equal((await api(h, 'publish', { channel: 'chat:' + 'y'.repeat(20), data: 1 })).json.error.code, 107);
    r.ws.close();
  });

  test('channels per client: the third subscription is 106', async () => {
    const c = sdk(h);
    c.connect();
    const subs = ['chat:c1', 'chat:c2', 'chat:c3'].map((ch) => c.newSubscription(ch));
    subs[0].subscribe(); subs[1].subscribe();
    await subs[0].ready(5000); await subs[1].ready(5000);
    const un = once(subs[2], 'unsubscribed');
    subs[2].subscribe();
    assert.equal((await un).code, 106);
    c.disconnect();
  });

  test('HTTP API body above api_max_body_size: 413', async () => {
    const r = await api(h, 'publish', { channel: 'chat:big', data: 'z'.repeat(5000) });
    assert.equal(r.status, 413);
    assert.equal((await api(h, 'info', {})).status, 200); // the server is fine
  });
});

describe('handshake timeout and origins', () => {
  let h;
  before(async () => {
    h = await startHearthd({ handshake_timeout: 1, allowed_origins: ['https://chat.example', 'http://localhost:*'] });
  });
  after(() => h.stop());

  test('a client that sends headers slowly (slowloris) is cut off', async () => {
    const s = await rawTcp(h);
    const closed = new Promise((resolve) => s.on('close', resolve));
    s.write('GET /connection/websocket HTTP/1.1\r\nHost: 127.0.0.1\r\n');
    const drip = setInterval(() => { if (!s.destroyed) s.write('X-Drip: 1\r\n'); }, 300);
    const t0 = Date.now();
    await Promise.race([closed, sleep(15000)]);
    clearInterval(drip);
    assert.ok(s.destroyed || s.readyState === 'closed', 'the server closed the slow handshake');
    assert.ok(Date.now() - t0 < 15000);
    s.destroy();
    // and a normal client is served
    const c = sdk(h);
    c.connect();
    await c.ready(5000);
    c.disconnect();
  });

  test('Origin: foreign sites get 403; listed, same-origin and non-browser clients get in', async () => {
    assert.equal((await upgrade(h, { Origin: 'https://evil.example' })).result, 403);
    assert.equal((await upgrade(h, { Origin: 'https://chat.example.evil' })).result, 403);
    for (const origin of ['https://chat.example', 'http://localhost:3000', `http://127.0.0.1:${h.port}`, null]) {
      const o = await upgrade(h, origin ? { Origin: origin } : {});
      assert.equal(o.result, 'open', `origin ${origin}`);
      o.ws.close();
    }
    assert.ok(await metric(h, /refused_connections_total\{reason="origin"\} (\d+)/) >= 2);
  });
});
