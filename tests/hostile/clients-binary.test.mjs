// tests/hostile/clients-binary.test.mjs — "one anonymous msgpack client
// empties a JSON room" (issue 8 item 3). A msgpack client's data is raw
// bytes; bytes that are not JSON once reached JSON subscribers as 3506 (which
// the SDK treats as terminal) and stayed in history to throw out every
// newcomer. Now: outside a namespace declared "binary", non-JSON data is
// refused at publish (107) and JSON subscribers, history readers and
// recovering clients are untouched; in a binary namespace msgpack clients
// exchange raw bytes and a JSON client gets 108 for subscribe and history;
// and a publication JSON cannot carry that is already stored (here: kept
// from while its namespace was binary, as old history or another node's
// data would be) is skipped for JSON readers instead of disconnecting them.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { decodeAll, encode } from '../integration/lib/msgpack.mjs';
import {
  BASE_CONFIG, WebSocket, api, assertServing, dropTransport, mintToken, once, rawWs, sdk, sleep, startHearthd,
  waitFor,
} from './lib.mjs';

const BIN = { name: 'bin', binary: true, history_size: 20, history_ttl: 300, allow_publish: true,
  force_recovery: true, presence: true };
const FLIP = { name: 'flip', history_size: 20, history_ttl: 300, allow_publish: true, force_recovery: true };
const config = (flipBinary) => ({ namespaces: [...BASE_CONFIG.namespaces, BIN, { ...FLIP, binary: flipBinary }] });
const RAW = Buffer.from([0, 1, 2, 0xff, 0xfe, 0x0a]); // not JSON, not even UTF-8

let h;
const clients = [];
before(async () => { h = await startHearthd(config(false)); });
after(async () => { for (const c of clients) c.disconnect(); await sleep(100); await h.stop(); });

function client(opts) { const c = sdk(h, opts); clients.push(c); return c; }

/** A raw hearth-msgpack client, connected (anonymous unless token). */
async function mp(token) {
  const ws = new WebSocket(h.ws, ['hearth-msgpack']);
  const msgs = [];
  ws.on('message', (data) => { for (const m of decodeAll(Buffer.from(data))) msgs.push(m); });
  const closed = new Promise((r) => ws.on('close', (code) => r(code)));
  await new Promise((resolve, reject) => { ws.once('open', resolve); ws.once('error', reject); });
  let id = 0;
  const m = {
    ws, msgs, closed,
    async call(cmd) {
      const my = ++id;
      ws.send(encode({ id: my, ...cmd }));
      await waitFor(() => msgs.some((x) => x.id === my), 3000, `reply ${my}`);
      return msgs.find((x) => x.id === my);
    },
    pubs: (ch) => msgs.filter((x) => x.push && x.push.pub && x.push.channel === ch).map((x) => x.push.pub),
  };
  assert.ok((await m.call({ connect: token ? { token } : {} })).connect);
  return m;
}

/** A JSON SDK client subscribed to ch, collecting data and noting any disconnect. */
async function jsonSubscriber(ch) {
  const c = client();
  const s = c.newSubscription(ch);
  const got = [];
  const subscribed = [];
  const d = { disconnected: null };
  s.on('publication', (ctx) => got.push(ctx.data));
  s.on('subscribed', (ctx) => subscribed.push(ctx));
  c.on('disconnected', (ctx) => { d.disconnected = ctx; });
  s.subscribe(); c.connect();
  await s.ready(5000);
  return { c, s, got, subscribed, d };
}

test('non-JSON bytes into a JSON namespace: 107, and the JSON room keeps working', async () => {
  const a = await jsonSubscriber('chat:room');
  const m = await mp();
  assert.ok((await m.call({ subscribe: { channel: 'chat:room' } })).subscribe);
  for (let i = 0; i < 3; i++) { // bounded: a few tries, each refused
    const r = await m.call({ publish: { channel: 'chat:room', data: RAW } });
    assert.equal(r.error && r.error.code, 107, 'non-JSON data is a bad request here');
  }
  // JSON-valid bytes from the msgpack client are still fine
  assert.ok((await m.call({ publish: { channel: 'chat:room', data: Buffer.from('{"from":"mp"}') } })).publish);
  await a.s.publish({ from: 'json' });
  await waitFor(() => a.got.length === 2, 3000, 'later publications on the JSON subscriber');
  assert.deepEqual(a.got, [{ from: 'mp' }, { from: 'json' }]);
  assert.equal(a.d.disconnected, null);
  assert.equal(a.c.state, 'connected');
  await waitFor(() => m.pubs('chat:room').length === 2, 3000, 'msgpack subscriber saw both');

  // a newcomer reads history and recovers: nothing there to throw it out
  const b = await jsonSubscriber('chat:room');
  const hist = await b.s.history({ limit: 10 });
  assert.deepEqual(hist.publications.map((p) => p.data), [{ from: 'mp' }, { from: 'json' }]);
  const reconnecting = once(b.c, 'connecting');
  dropTransport(b.c);
  await reconnecting;
  await a.s.publish({ missed: true });
  await waitFor(() => b.subscribed.length === 2, 5000, 'resubscribe');
  assert.equal(b.subscribed[1].recovered, true);
  await waitFor(() => b.got.length === 1, 3000, 'the missed publication');
  assert.deepEqual(b.got, [{ missed: true }]);
  assert.equal(b.d.disconnected, null, 'a dropped transport reconnects; nothing disconnected it');
  assert.equal(b.c.state, 'connected');
  m.ws.close();
  await assertServing(h);
});

test('a binary namespace carries raw bytes between msgpack clients', async () => {
  const sub = await mp();
  const pub = await mp();
  const r = (await sub.call({ subscribe: { channel: 'bin:room' } })).subscribe;
  assert.equal(r.recoverable, true);
  assert.ok((await pub.call({ publish: { channel: 'bin:room', data: RAW } })).publish);
  await waitFor(() => sub.pubs('bin:room').length === 1, 3000, 'raw pub on the msgpack subscriber');
  assert.deepEqual([...sub.pubs('bin:room')[0].data], [...RAW]);
  const hist = (await pub.call({ history: { channel: 'bin:room', limit: 10 } })).history;
  assert.equal(hist.publications.length, 1);
  assert.deepEqual([...hist.publications[0].data], [...RAW]);
  // the server API reads it back as base64
  const api1 = await api(h, 'history', { channel: 'bin:room', limit: 10 });
  assert.equal(api1.json.result.publications[0].b64data, RAW.toString('base64'));
  sub.ws.close(); pub.ws.close();
  await assertServing(h);
});

test('a JSON client is refused subscribe and history in a binary namespace (108)', async () => {
  const c = client();
  c.connect();
  await c.ready(5000);
  const s = c.newSubscription('bin:room');
  const un = once(s, 'unsubscribed');
  s.subscribe();
  assert.equal((await un).code, 108);
  await assert.rejects(c.history('bin:room', { limit: 10 }), (e) => e.code === 108);
  assert.equal(c.state, 'connected');
  // presence carries no payloads: still available
  assert.ok(await c.presenceStats('bin:room'));

  // server-side subscriptions from a token: the binary channel is left out
  // for the JSON client, kept for the msgpack one
  const token = mintToken({ sub: 'srv', channels: ['bin:srv', 'chat:srv'] });
  const j = await rawWs(h);
  j.send({ id: 1, connect: { token } });
  const jc = (await j.reply(1)).connect;
  assert.deepEqual(Object.keys(jc.subs || {}), ['chat:srv']);
  const m = await mp(token);
  assert.deepEqual(Object.keys(m.msgs.find((x) => x.id === 1).connect.subs).sort(), ['bin:srv', 'chat:srv']);
  j.ws.close(); m.ws.close();
  await assertServing(h);
});

test('stored publications JSON cannot carry are skipped for JSON readers, never 3506', async () => {
  // a JSON subscriber in "flip" while it is an ordinary namespace
  const a = await jsonSubscriber('flip:room');
  await a.s.publish({ n: 1 });
  // a JSON probe without side effects tells when a reload took effect:
  // history in "flip" answers 108 while it is binary
  const probe = await rawWs(h);
  probe.send({ id: 1, connect: {} });
  await probe.reply(1);
  let pid = 1;
  const flipBinary = async () => {
    probe.send({ id: ++pid, history: { channel: 'flip:room', limit: 0 } });
    const r = await probe.reply(pid);
    return !!(r.error && r.error.code === 108);
  };
  // the namespace becomes binary: raw bytes are accepted and stored
  writeFileSync(h.cfgFile, JSON.stringify({ ...BASE_CONFIG, ...config(true) }));
  h.proc.kill('SIGHUP');
  await waitFor(flipBinary, 3000, 'the reload');
  const m = await mp();
  assert.ok((await m.call({ publish: { channel: 'flip:room', data: RAW } })).publish);
  assert.ok((await m.call({ publish: { channel: 'flip:room', data: Buffer.from('{"n":2}') } })).publish);
  // the JSON subscriber still there skips the raw one live
  await waitFor(() => a.got.length === 2, 3000, 'live delivery around the raw publication');
  assert.deepEqual(a.got, [{ n: 1 }, { n: 2 }]);
  // back to a JSON namespace: the raw bytes stay in history, as old history would
  writeFileSync(h.cfgFile, JSON.stringify({ ...BASE_CONFIG, ...config(false) }));
  h.proc.kill('SIGHUP');
  await waitFor(async () => !(await flipBinary()), 3000, 'the second reload');
  assert.equal((await m.call({ publish: { channel: 'flip:room', data: RAW } })).error.code, 107);
  const b = await jsonSubscriber('flip:room');
  const hist = await b.s.history({ limit: 10 });
  assert.deepEqual(hist.publications.map((p) => p.data), [{ n: 1 }, { n: 2 }]);
  assert.equal(hist.offset, 3, 'the stream position still counts the skipped one');
  // recovery across the raw publication: a drops, misses n:3, comes back
  const reconnecting = once(a.c, 'connecting');
  dropTransport(a.c);
  await reconnecting;
  await b.s.publish({ n: 3 });
  await waitFor(() => a.subscribed.length === 2, 5000, 'resubscribe');
  await waitFor(() => a.got.length === 3, 3000, 'recovered publication');
  assert.deepEqual(a.got, [{ n: 1 }, { n: 2 }, { n: 3 }]);
  // a recovery whose missed list holds only the raw one: from offset 1
  const c2 = await rawWs(h);
  c2.send({ id: 1, connect: {} });
  await c2.reply(1);
  c2.send({ id: 2, subscribe: { channel: 'flip:room', recover: true, offset: 1, epoch: hist.epoch } });
  const rec = (await c2.reply(2)).subscribe;
  assert.equal(rec.recovered, true);
  assert.deepEqual(rec.publications.map((p) => p.data), [{ n: 2 }, { n: 3 }]);
  c2.send({ id: 3, history: { channel: 'flip:room', limit: 10 } });
  assert.deepEqual((await c2.reply(3)).history.publications.map((p) => p.offset), [1, 3, 4]);
  for (const x of [a, b]) {
    assert.equal(x.d.disconnected, null);
    assert.equal(x.c.state, 'connected');
  }
  c2.ws.close(); probe.ws.close(); m.ws.close();
  await assertServing(h);
});
