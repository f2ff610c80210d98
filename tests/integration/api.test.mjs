// tests/integration/api.test.mjs — the HTTP server API for bots and back ends
// (every method with the right key, wrong/missing key 401, bad body 400,
// unknown method 404), /health and /metrics, and graceful shutdown: connected
// clients get 3001 "shutdown" and the SDK starts reconnecting.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { api, mintToken, once, sdk, sleep, startHearthd, waitFor } from './lib/hearthd.mjs';

let h;
const clients = [];
const client = (opts) => { const c = sdk(h, opts); clients.push(c); return c; };
before(async () => { h = await startHearthd(); });
after(async () => { for (const c of clients) c.disconnect(); await sleep(100); await h.stop(); });

test('wrong or missing key is 401; X-API-Key and Authorization: apikey both work', async () => {
  assert.equal((await api(h, 'info', {}, 'wrong')).status, 401);
  assert.equal((await api(h, 'info', {}, null)).status, 401);
  assert.equal((await api(h, 'info', {})).status, 200);
  const res = await fetch(`${h.http}/api/info`, { method: 'POST', headers: { Authorization: 'apikey test-key' }, body: '{}' });
  assert.equal(res.status, 200);
  const bad = await fetch(`${h.http}/api/info`, { method: 'POST', headers: { Authorization: 'apikey nope' }, body: '{}' });
  assert.equal(bad.status, 401);
  // every method refuses a wrong or missing key before looking at the body
  const methods = ['publish', 'broadcast', 'subscribe', 'unsubscribe', 'disconnect', 'refresh',
    'presence', 'presence_stats', 'history', 'history_remove', 'channels', 'info', 'batch'];
  for (const m of methods) {
    for (const key of ['wrong', null, 'test-ke', 'test-keyy', 'TEST-KEY']) {
      const r = await api(h, m, { channel: 'chat:x', channels: ['chat:x'], user: 'u', data: 1, commands: [] }, key);
      assert.equal(r.status, 401, `${m} with key ${JSON.stringify(key)}`);
    }
  }
});

test('a connection whose token expired and was not refreshed is closed with 3005', async () => {
  const h2 = await startHearthd({ expired_close_delay: 1 });
  try {
    const { rawWs } = await import('./lib/hearthd.mjs');
    const r = await rawWs(h2);
    r.send(`{"id":1,"connect":{"token":"${mintToken({ sub: 'brief', exp: Math.floor(Date.now() / 1000) + 1 })}"}}`);
    const rep = await r.reply(1);
    assert.equal(rep.connect.expires, true);
    assert.equal((await r.closed).code, 3005);
  } finally { await h2.stop(); }
});

test('bad body is 400 with a JSON error; unknown method is 404', async () => {
  const r = await api(h, 'publish', '{"channel":');
  assert.equal(r.status, 400);
  assert.equal(r.json.error.code, 107);
  assert.equal((await api(h, 'publish', '[1]')).status, 400);
  const u = await api(h, 'no_such_method', {});
  assert.equal(u.status, 404);
  assert.ok(u.json.error);
});

test('a bot announcement through publish reaches subscribers; broadcast reaches several rooms', async () => {
  const c = client();
  const s1 = c.newSubscription('chat:news');
  const s2 = c.newSubscription('chat:other');
  const got = [];
  s1.on('publication', (ctx) => got.push(['news', ctx.data, ctx.info]));
  s2.on('publication', (ctx) => got.push(['other', ctx.data]));
  s1.subscribe(); s2.subscribe(); c.connect();
  await s1.ready(5000); await s2.ready(5000);
  const r = await api(h, 'publish', { channel: 'chat:news', data: { text: 'ritual starts at 8' } });
  assert.equal(r.status, 200);
  assert.equal(r.json.result.offset, 1);
  assert.match(r.json.result.epoch, /^[a-zA-Z]{8}$/);
  await waitFor(() => got.length === 1, 3000, 'announcement');
  assert.deepEqual(got[0][1], { text: 'ritual starts at 8' });
  assert.equal(got[0][2], undefined, 'server publications carry no client info');
  const b = await api(h, 'broadcast', { channels: ['chat:news', 'chat:other', 'zzz:x'], data: { b: 1 } });
  assert.equal(b.json.result.responses.length, 3);
  assert.equal(b.json.result.responses[2].error.code, 102);
  await waitFor(() => got.length === 3, 3000, 'broadcast');
  const bad = await api(h, 'publish', { channel: 'chat:news' });
  assert.equal(bad.json.error.code, 107);
});

test('presence, presence_stats, history, history_remove, channels, info', async () => {
  const c = client({ token: mintToken({ sub: 'ann' }) });
  const s = c.newSubscription('chat:api');
  s.subscribe(); c.connect();
  await s.ready(5000);
  await s.publish({ n: 1 });
  await s.publish({ n: 2 });
  const p = await api(h, 'presence', { channel: 'chat:api' });
  const entries = Object.values(p.json.result.presence);
  assert.equal(entries.length, 1);
  assert.equal(entries[0].user, 'ann');
  assert.deepEqual((await api(h, 'presence_stats', { channel: 'chat:api' })).json.result,
    { num_clients: 1, num_users: 1 });
  const hist = await api(h, 'history', { channel: 'chat:api', limit: 10 });
  assert.deepEqual(hist.json.result.publications.map((x) => x.data.n), [1, 2]);
  assert.equal(hist.json.result.publications[0].info.user, 'ann');
  assert.equal(hist.json.result.offset, 2);
  const rev = await api(h, 'history', { channel: 'chat:api', limit: 1, reverse: true });
  assert.equal(rev.json.result.publications[0].data.n, 2);
  assert.equal((await api(h, 'history', { channel: 'chat:api', since: { offset: 0, epoch: 'nope' }, limit: 5 })).json.error.code, 112);
  assert.deepEqual((await api(h, 'history_remove', { channel: 'chat:api' })).json.result, {});
  const after = await api(h, 'history', { channel: 'chat:api', limit: 10 });
  assert.equal(after.json.result.publications.length, 0);
  assert.equal(after.json.result.offset, 2, 'history_remove keeps the stream position');
  const ch = await api(h, 'channels', { pattern: 'chat:a*' });
  assert.deepEqual(ch.json.result.channels['chat:api'], { num_clients: 1 });
  assert.equal(ch.json.result.channels['chat:news'], undefined);
  const info = await api(h, 'info', {});
  const node = info.json.result.nodes[0];
  assert.ok(node.uid && node.version && node.num_clients >= 1 && node.num_channels >= 1);
  assert.equal((await api(h, 'presence', { channel: 'nohist:x' })).json.error.code, 108);
});

test('unsubscribe and disconnect a user; batch runs commands in order', async () => {
  const victim = client({ token: mintToken({ sub: 'troll' }) });
  const s = victim.newSubscription('chat:mod');
  s.subscribe(); victim.connect();
  await s.ready(5000);
  const unsub = once(s, 'unsubscribed');
  assert.deepEqual((await api(h, 'unsubscribe', { user: 'troll', channel: 'chat:mod' })).json.result, {});
  assert.equal((await unsub).code, 2000);
  const gone = once(victim, 'disconnected');
  await api(h, 'disconnect', { user: 'troll' });
  const d = await gone;
  assert.equal(d.code, 3503);
  assert.equal(victim.state, 'disconnected');
  assert.equal((await api(h, 'disconnect', {})).json.error.code, 107);
  const batch = await api(h, 'batch', { commands: [
    { publish: { channel: 'chat:batch', data: { i: 1 } } },
    { publish: { channel: 'zzz:no', data: {} } },
    { history: { channel: 'chat:batch', limit: 5 } },
  ] });
  const replies = batch.json.replies;
  assert.equal(replies.length, 3);
  assert.equal(replies[0].publish.offset, 1);
  assert.equal(replies[1].error.code, 102);
  assert.equal(replies[2].history.publications.length, 1);
});

test('/health and /metrics', async () => {
  const hr = await fetch(`${h.http}/health`);
  assert.equal(hr.status, 200);
  const m = await (await fetch(`${h.http}/metrics`)).text();
  for (const name of ['hearth_connections', 'hearth_subscriptions', 'hearth_channels', 'hearth_messages_in_total',
    'hearth_messages_out_total', 'hearth_bytes_out_total', 'hearth_publications_total', 'hearth_loop_lag_seconds',
    'hearth_api_calls_total{method="publish",status="200"}', 'hearth_disconnects_total{code="3503"}']) {
    assert.ok(m.includes(name), `metrics lack ${name}`);
  }
  assert.match(m, /hearth_api_calls_total\{method="info",status="401"\} [1-9]/);
});

test('the chat page is served at /', async () => {
  const r = await fetch(`${h.http}/`);
  assert.equal(r.status, 200);
  assert.match(await r.text(), /<html/i);
});

test('SIGTERM: clients get 3001 shutdown, the SDK reconnects, hearthd exits 0', async () => {
  const own = await startHearthd();
  const c = sdk(own, { maxReconnectDelay: 60000, minReconnectDelay: 30000 });
  clients.push(c);
  const s = c.newSubscription('chat:bye');
  const got = [];
  s.on('publication', (ctx) => got.push(ctx.data));
  s.subscribe(); c.connect();
  await s.ready(5000);
  const connecting = once(c, 'connecting');
  // a publication queued right before shutdown is still delivered (flushed)
  await api(own, 'publish', { channel: 'chat:bye', data: { last: true } });
  own.proc.kill('SIGTERM');
  const ev = await connecting;
  assert.equal(ev.code, 3001);
  assert.equal(ev.reason, 'shutdown');
  assert.deepEqual(got, [{ last: true }]);
  const r = await own.exited;
  assert.equal(r.code, 0);
  c.disconnect();
});
