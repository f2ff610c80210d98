// tests/integration/msgpack.test.mjs — the hearth-msgpack subprotocol: a raw
// binary client connects, subscribes, publishes and is pinged; it shares a
// channel with a JSON SDK client and each sees the other's publications.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import WebSocket from 'ws';
import { decodeAll, encode } from './lib/msgpack.mjs';
import { sdk, sleep, startHearthd, waitFor } from './lib/hearthd.mjs';

let h;
before(async () => { h = await startHearthd({ ping_interval: 2, pong_timeout: 1 }); });
after(async () => { await sleep(100); await h.stop(); });

async function mpClient() {
  const ws = new WebSocket(h.ws, ['hearth-msgpack']);
  const msgs = [];
  ws.on('message', (data, isBinary) => {
    assert.equal(isBinary, true, 'msgpack replies must be binary frames');
    for (const m of decodeAll(Buffer.from(data))) msgs.push(m);
  });
  const closed = new Promise((r) => ws.on('close', (code, reason) => r({ code, reason: reason.toString() })));
  await new Promise((resolve, reject) => { ws.once('open', resolve); ws.once('error', reject); });
  assert.equal(ws.protocol, 'hearth-msgpack');
  return { ws, msgs, closed, send: (...objs) => ws.send(Buffer.concat(objs.map(encode))) };
}

test('msgpack client round trip with a JSON SDK client in the same channel', async () => {
  const m = await mpClient();
  m.send({ id: 1, connect: { name: 'mp' } }, { id: 2, subscribe: { channel: 'chat:mixed' } });
  await waitFor(() => m.msgs.some((x) => x.id === 2), 3000, 'subscribe reply');
  const conn = m.msgs.find((x) => x.id === 1).connect;
  assert.match(conn.client, /^[0-9a-f-]{36}$/);
  assert.equal(conn.ping, 2);
  const sub = m.msgs.find((x) => x.id === 2).subscribe;
  assert.equal(sub.recoverable, true);

  const j = sdk(h);
  const js = j.newSubscription('chat:mixed');
  const got = [];
  js.on('publication', (ctx) => got.push(ctx));
  js.subscribe(); j.connect();
  await js.ready(5000);

  await js.publish({ text: 'from json' });
  await waitFor(() => m.msgs.some((x) => x.push && x.push.pub), 3000, 'pub push on msgpack');
  const push = m.msgs.find((x) => x.push && x.push.pub).push;
  assert.equal(push.channel, 'chat:mixed');
  assert.ok(Buffer.isBuffer(push.pub.data), 'payload must be bin');
  assert.deepEqual(JSON.parse(push.pub.data.toString()), { text: 'from json' });
  assert.equal(push.pub.offset, 1);

  m.send({ id: 3, publish: { channel: 'chat:mixed', data: Buffer.from('{"text":"from msgpack"}') } });
  await waitFor(() => got.length === 2, 3000, 'msgpack publication on the SDK');
  assert.deepEqual(got[1].data, { text: 'from msgpack' });
  assert.equal(got[1].info.client, conn.client);
  assert.ok(m.msgs.some((x) => x.id === 3 && x.publish), 'publish reply');

  m.send({ id: 4, history: { channel: 'chat:mixed', limit: 10 } });
  await waitFor(() => m.msgs.some((x) => x.id === 4), 3000, 'history reply');
  const hist = m.msgs.find((x) => x.id === 4).history;
  assert.equal(hist.publications.length, 2);
  assert.equal(hist.offset, 2);
  j.disconnect();
  m.ws.close();
});

test('msgpack ping is an empty map; answering keeps the connection, silence gets 3012', async () => {
  const m = await mpClient();
  m.send({ id: 1, connect: {} });
  const pings = () => m.msgs.filter((x) => x && typeof x === 'object' && Object.keys(x).length === 0).length;
  await waitFor(() => pings() >= 1, 4000, 'first ping');
  m.send({});
  await waitFor(() => pings() >= 2, 4000, 'second ping');
  // now stay silent: after the next ping the server gives up
  const c = await m.closed;
  assert.equal(c.code, 3012);
  assert.equal(c.reason, 'no pong');
});

test('a binary msgpack payload that is not JSON is refused (107) outside a binary namespace', async () => {
  const j = sdk(h);
  const js = j.newSubscription('nohist:bin');
  const got = [];
  js.on('publication', (ctx) => got.push(ctx.data));
  js.subscribe(); j.connect();
  await js.ready(5000);
  let disconnected = null;
  j.on('disconnected', (d) => { disconnected = d; });
  const m = await mpClient();
  m.send({ id: 1, connect: {} }, { id: 2, subscribe: { channel: 'nohist:bin' } },
    { id: 3, publish: { channel: 'nohist:bin', data: Buffer.from([0, 1, 2, 255]) } },
    { id: 4, publish: { channel: 'nohist:bin', data: Buffer.from('{"after":1}') } });
  await waitFor(() => m.msgs.some((x) => x.id === 4), 3000, 'publish replies');
  assert.equal(m.msgs.find((x) => x.id === 3).error.code, 107);
  await waitFor(() => got.length === 1, 3000, 'the JSON publication on the SDK');
  assert.deepEqual(got, [{ after: 1 }]);
  assert.equal(disconnected, null);
  assert.equal(j.state, 'connected');
  j.disconnect();
  m.ws.close();
});

test('garbage and hostile msgpack close with 3501', async () => {
  for (const bytes of [[0xc1], [0xdd, 0xff, 0xff, 0xff, 0xff], [0x91, 0x01], []]) {
    const m = await mpClient();
    m.ws.send(Buffer.from(bytes));
    const c = await m.closed;
    assert.equal(c.code, 3501, `input ${bytes}`);
  }
  const m = await mpClient();
  m.ws.send('{"id":1,"connect":{}}'); // a text frame on the binary protocol
  assert.equal((await m.closed).code, 3501);
});
