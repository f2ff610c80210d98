// tests/integration/badinput.test.mjs — hostile and broken input over raw
// WebSockets and raw TCP: every case ends in the protocol's error or close
// code, never a crash, hang or unbounded memory, and a normal SDK client
// still round-trips afterwards.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { rawTcp, rawWs, rssKiB, sdk, sleep, startHearthd, waitFor } from './lib/hearthd.mjs';

let h;
before(async () => {
  // the flood below publishes as fast as it can: command rate limits have
  // their own tests (limits.test.mjs)
  h = await startHearthd({ ping_interval: 2, pong_timeout: 1, stale_close_delay: 1,
    max_message_size: 65536, client_queue_max_size: 65536, client_command_rate: 0 });
});
after(async () => { await sleep(100); await h.stop(); });

async function roundTrip() {
  const c = sdk(h);
  const s = c.newSubscription('chat:alive');
  const got = [];
  s.on('publication', (ctx) => got.push(ctx.data));
  s.subscribe(); c.connect();
  await s.ready(5000);
  await s.publish({ alive: true });
  await waitFor(() => got.length === 1, 3000, 'round trip');
  c.disconnect();
}

async function closesWith(frames, code, opts) {
  const r = await rawWs(h, opts);
  for (const f of frames) r.send(f);
  const c = await r.closed;
  assert.equal(c.code, code, `frames ${JSON.stringify(frames).slice(0, 80)} closed with ${c.code} ${c.reason}`);
  return c;
}

test('commands before connect, unknown commands and malformed JSON close with 3501', async () => {
  await closesWith(['{"id":1,"subscribe":{"channel":"chat:x"}}'], 3501);
  await closesWith(['{"id":1,"connect":{}}\n{"id":2,"connect":{}}'], 3501); // second connect
  await closesWith(['{"id":1,"connect":{}}\n{"id":2}'], 3501); // no request field
  await closesWith(['{"id":1,"connect":{}}\n{"id":2,"ping":{}}'], 3501); // v1 ping
  await closesWith(['{"id":1,"connect":'], 3501);
  await closesWith(['not json at all'], 3501);
  await closesWith(['{"id":1,"connect":{}}\n\n'], 3501); // blank line
  await closesWith([''], 3501); // empty frame
  await closesWith(['{"id":1,"connect":{}}\n{"id":2,"subscribe":{"channel":""}}'], 3501);
  await closesWith([Buffer.from('{"id":1,"connect":{}}')], 3501); // binary frame on JSON
  const c = await closesWith(['[1,2,3]'], 3501);
  assert.equal(c.reason, 'bad request');
});

test('replies before a bad command in the same frame are still delivered', async () => {
  const r = await rawWs(h);
  r.send('{"id":1,"connect":{}}\n{"id":2,"subscribe":{"channel":"chat:a"}}\n{"id":3,"bogus":1}');
  const first = await r.reply(1);
  assert.ok(first.connect.client);
  const second = await r.reply(2);
  assert.ok(second.subscribe);
  assert.equal((await r.closed).code, 3501);
});

test('duplicate subscribe is 105; bad channel names are 107; unknown namespace 102', async () => {
  const r = await rawWs(h);
  r.send('{"id":1,"connect":{}}\n{"id":2,"subscribe":{"channel":"chat:d"}}\n{"id":3,"subscribe":{"channel":"chat:d"}}');
  assert.equal((await r.reply(3)).error.code, 105);
  r.send(JSON.stringify({ id: 4, subscribe: { channel: 'chat:' + 'x'.repeat(300) } }));
  assert.equal((await r.reply(4)).error.code, 107);
  r.send(JSON.stringify({ id: 5, subscribe: { channel: 'chat:sp ace' } }));
  assert.equal((await r.reply(5)).error.code, 107);
  r.send(JSON.stringify({ id: 6, subscribe: { channel: 'chat:ünï' } }));
  assert.equal((await r.reply(6)).error.code, 107);
  r.send(JSON.stringify({ id: 7, subscribe: { channel: 'zzz:room' } }));
  assert.equal((await r.reply(7)).error.code, 102);
  r.send(JSON.stringify({ id: 8, history: { channel: 'chat:d', since: { offset: 0 }, reverse: true } }));
  assert.equal((await r.reply(8)).error.code, 107);
  r.ws.close();
});

test('invalid UTF-8 in a text frame is refused (1007), never processed', async () => {
  const r = await rawWs(h);
  // ws refuses to send invalid UTF-8 as text; write the frame by hand
  const payload = Buffer.from([0x7b, 0x22, 0xff, 0xfe, 0x22, 0x7d]);
  const mask = Buffer.from([1, 2, 3, 4]);
  const masked = Buffer.from(payload.map((b, i) => b ^ mask[i % 4]));
  r.ws._socket.write(Buffer.concat([Buffer.from([0x81, 0x80 | payload.length]), mask, masked]));
  const c = await r.closed;
  assert.ok(c.code === 1007 || c.code === 3501, `closed with ${c.code}`);
});

test('a message above max_message_size closes with 1009; a 10 MB frame is refused', async () => {
  const r = await rawWs(h);
  r.send('{"id":1,"connect":{}}');
  await r.reply(1);
  r.send(JSON.stringify({ id: 2, publish: { channel: 'chat:big', data: 'x'.repeat(70000) } }));
  assert.equal((await r.closed).code, 1009);
  const before = await rssKiB(h.proc.pid);
  const big = await rawWs(h);
  big.send(Buffer.alloc(10 * 1024 * 1024, 0x61).toString());
  const c = await big.closed;
  assert.ok([1009, 1006].includes(c.code), `closed with ${c.code}`);
  const afterRss = await rssKiB(h.proc.pid);
  assert.ok(afterRss - before < 8 * 1024, `RSS grew ${afterRss - before} KiB on a 10 MB frame`);
  await roundTrip();
});

test('huge length headers and truncated frames are dropped without buffering', async () => {
  const s = await rawTcp(h);
  s.write('GET /connection/websocket HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n' +
    'Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n');
  await new Promise((r) => s.once('data', r));
  // a text frame claiming 2^62 bytes, then a few bytes of it
  s.write(Buffer.from([0x81, 0xff, 0x40, 0, 0, 0, 0, 0, 0, 0, 1, 2, 3, 4, 0x61, 0x62]));
  const closed = await new Promise((resolve) => { s.on('close', () => resolve(true)); setTimeout(() => resolve(false), 5000); });
  assert.ok(closed, 'server kept a connection that announced a 2^62-byte frame');
  await roundTrip();
});

test('no connect within stale_close_delay closes with 3502', async () => {
  const r = await rawWs(h);
  const c = await r.closed;
  assert.equal(c.code, 3502);
});

test('a client that does not answer pings is closed with 3012; the SDK stays connected', async () => {
  const r = await rawWs(h);
  r.send('{"id":1,"connect":{}}');
  const conn = await r.reply(1);
  assert.equal(conn.connect.ping, 2);
  assert.equal(conn.connect.pong, true);
  const c = await r.closed;
  assert.equal(c.code, 3012);
  const s = sdk(h);
  const events = [];
  s.on('disconnected', (e) => events.push(e));
  s.on('connecting', (e) => events.push(e));
  s.connect();
  await s.ready(5000);
  await sleep(5000); // two ping intervals
  assert.equal(s.state, 'connected');
  assert.deepEqual(events.filter((e) => e.code !== 0), []);
  s.disconnect();
});

test('hundreds of half-open connections do not starve a real client', async () => {
  const socks = [];
  for (let i = 0; i < 300; i++) {
    const s = await rawTcp(h, '127.0.0.2'); // another peer: one address has a socket quota
    if (i % 2) s.write('GET /connection/websocket HTTP/1.1\r\nHost: x\r\n'); // half a request
    socks.push(s);
  }
  await roundTrip();
  for (const s of socks) s.destroy();
});

test('thousands of half-open and garbage connections: the server stays up and memory returns', async () => {
  await roundTrip();
  const base = await rssKiB(h.proc.pid);
  const socks = [];
  for (let i = 0; i < 2000; i++) {
    const s = await rawTcp(h, `127.0.1.${1 + (i % 16)}`); // 16 peers: one address has a socket quota
    s.on('error', () => {});
    switch (i % 4) {
      case 0: break; // connects and says nothing
      case 1: s.write('GET /connection/websocket HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\n'); break;
      case 2: s.write(Buffer.from(Array.from({ length: 300 }, (_, j) => (i * 31 + j * 7) & 255))); break;
      default: s.write('POST /api/publish HTTP/1.1\r\nHost: x\r\nContent-Length: 999999\r\n\r\n{"chan');
    }
    socks.push(s);
  }
  await roundTrip(); // a real client is served while they hang
  for (const s of socks) s.destroy();
  await waitFor(async () => {
    await roundTrip();
    return (await rssKiB(h.proc.pid)) - base < 24 * 1024;
  }, 15000, 'memory to come back near its baseline');
});

test('rapid connect/disconnect churn leaves memory near baseline', async () => {
  await roundTrip();
  const base = await rssKiB(h.proc.pid);
  for (let round = 0; round < 5; round++) {
    const rs = await Promise.all(Array.from({ length: 100 }, () => rawWs(h)));
    for (const r of rs) r.send('{"id":1,"connect":{}}\n{"id":2,"subscribe":{"channel":"chat:churn"}}');
    await Promise.all(rs.map((r) => r.reply(2)));
    for (const r of rs) r.ws.terminate();
  }
  await waitFor(async () => {
    const res = await fetch(`${h.http}/metrics`);
    return /hearth_connections 0\n/.test(await res.text());
  }, 5000, 'all connections closed');
  const grown = (await rssKiB(h.proc.pid)) - base;
  assert.ok(grown < 16 * 1024, `RSS grew ${grown} KiB after 500 connections came and went`);
  await roundTrip();
});

test('a consumer that stops reading is cut off (3008) while the publisher keeps going', async () => {
  // a raw client that subscribes and then never reads its socket
  const slow = await rawWs(h);
  slow.send('{"id":1,"connect":{}}\n{"id":2,"subscribe":{"channel":"nohist:flood"}}');
  await slow.reply(2);
  slow.ws._socket.pause();
  const pub = sdk(h);
  pub.connect();
  await pub.ready(5000);
  const chunk = 'y'.repeat(16000);
  let replies = 0;
  for (let i = 0; i < 400; i++) { await pub.publish('nohist:flood', { i, chunk }); replies++; }
  assert.equal(replies, 400);
  await waitFor(async () => {
    const m = await (await fetch(`${h.http}/metrics`)).text();
    return /hearth_queue_overflows_total [1-9]/.test(m);
  }, 10000, 'the slow consumer to be cut off');
  slow.ws._socket.resume();
  const c = await slow.closed;
  assert.ok([3008, 1006].includes(c.code), `slow consumer closed with ${c.code}`);
  pub.disconnect();
  await roundTrip();
});
