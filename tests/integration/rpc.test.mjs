// tests/integration/rpc.test.mjs — the client protocol's rpc goes through the
// node's method table: an unknown method and an HTTP-API-only method (every
// /api/<method>) both answer 104 "method not found", with any data, and the
// connection stays usable (publish, another rpc) afterwards.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { api, once, sdk, sleep, startHearthd } from './lib/hearthd.mjs';

let h;
const clients = [];
const client = (opts) => { const c = sdk(h, opts); clients.push(c); return c; };
before(async () => { h = await startHearthd(); });
after(async () => { for (const c of clients) c.disconnect(); await sleep(100); await h.stop(); });

const API_METHODS = ['publish', 'broadcast', 'subscribe', 'unsubscribe', 'disconnect', 'refresh',
  'presence', 'presence_stats', 'history', 'history_remove', 'channels', 'info', 'batch'];

test('rpc of an unknown method is 104 and the connection stays usable', async () => {
  const c = client();
  c.connect();
  await c.ready(5000);
  for (const data of [{}, { x: 1 }, 'text', 42, null]) {
    await assert.rejects(c.rpc('no.such.method', data), (e) => e.code === 104 && e.message === 'method not found');
  }
  await assert.rejects(c.rpc('', {}), (e) => e.code === 104);
  const s = c.newSubscription('chat:rpc-unknown');
  const got = once(s, 'publication');
  s.subscribe();
  await once(s, 'subscribed');
  await c.publish('chat:rpc-unknown', { after: 'rpc' });
  assert.deepEqual((await got).data, { after: 'rpc' });
  assert.equal(c.state, 'connected');
});

test('rpc naming an HTTP API method is 104 (API-only), the API still answers', async () => {
  const c = client();
  c.connect();
  await c.ready(5000);
  for (const m of API_METHODS) {
    await assert.rejects(c.rpc(m, { channel: 'chat:x', channels: ['chat:x'], user: 'u', data: 1, commands: [] }),
      (e) => e.code === 104 && e.message === 'method not found', m);
  }
  assert.equal(c.state, 'connected');
  await assert.rejects(c.rpc('nope', {}), (e) => e.code === 104);
  const r = await api(h, 'info', {});
  assert.equal(r.status, 200);
  const pub = await api(h, 'publish', { channel: 'chat:rpc-api', data: { ok: true } });
  assert.equal(pub.status, 200);
});
