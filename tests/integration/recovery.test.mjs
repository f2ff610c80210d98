// tests/integration/recovery.test.mjs — reconnect recovery with the official
// SDK: a subscriber whose transport drops gets every message it missed, in
// order, exactly once, and is told recovered:true; when more was missed than
// history holds it is told recovered:false. Also auth outcomes: wrong key,
// expired token + refresh through getToken, anonymous refused.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { dropTransport, mintToken, once, sdk, sleep, startHearthd, waitFor } from './lib/hearthd.mjs';

let h;
const clients = [];
const client = (opts) => { const c = sdk(h, opts); clients.push(c); return c; };

before(async () => { h = await startHearthd(); });
after(async () => { for (const c of clients) c.disconnect(); await sleep(100); await h.stop(); });

test('recovery after a dropped transport delivers every missed message once, in order', async () => {
  const reader = client();
  const writer = client();
  const rs = reader.newSubscription('chat:recover');
  const got = [];
  const subscribed = [];
  rs.on('publication', (ctx) => got.push(ctx.data.i));
  rs.on('subscribed', (ctx) => subscribed.push(ctx));
  rs.subscribe(); reader.connect(); writer.connect();
  await rs.ready(5000); await writer.ready(5000);
  for (let i = 0; i < 3; i++) await writer.publish('chat:recover', { i });
  await waitFor(() => got.length === 3, 3000, 'first 3');
  assert.equal(subscribed[0].recoverable, true);

  const reconnecting = once(reader, 'connecting');
  dropTransport(reader);
  await reconnecting;
  for (let i = 3; i < 10; i++) await writer.publish('chat:recover', { i });
  await waitFor(() => subscribed.length === 2, 5000, 'resubscribe');
  await waitFor(() => got.length === 10, 3000, 'missed messages');
  assert.equal(subscribed[1].wasRecovering, true);
  assert.equal(subscribed[1].recovered, true);
  assert.deepEqual(got, [0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
  // and live delivery continues after recovery
  await writer.publish('chat:recover', { i: 10 });
  await waitFor(() => got.length === 11, 3000, 'live after recovery');
  assert.equal(got[10], 10);
});

test('missing more than history holds reports recovered:false with no partial replay', async () => {
  const reader = client();
  const writer = client();
  const rs = reader.newSubscription('small:gap');
  const got = [];
  const subscribed = [];
  rs.on('publication', (ctx) => got.push(ctx.data.i));
  rs.on('subscribed', (ctx) => subscribed.push(ctx));
  rs.subscribe(); reader.connect(); writer.connect();
  await rs.ready(5000); await writer.ready(5000);
  await writer.publish('small:gap', { i: 0 });
  await waitFor(() => got.length === 1, 3000, 'first');
  const reconnecting = once(reader, 'connecting');
  dropTransport(reader);
  await reconnecting;
  for (let i = 1; i <= 6; i++) await writer.publish('small:gap', { i }); // history keeps 3
  await waitFor(() => subscribed.length === 2, 5000, 'resubscribe');
  await sleep(200);
  assert.equal(subscribed[1].wasRecovering, true);
  assert.equal(subscribed[1].recovered, false);
  assert.deepEqual(got, [0], 'a partial recovery was delivered');
  assert.equal(subscribed[1].streamPosition.offset, 7);
});

test('a token signed with the wrong key ends in terminal disconnect 3500', async () => {
  const c = client({ token: mintToken({ sub: 'mallory' }, 'not-the-secret') });
  const d = once(c, 'disconnected');
  c.connect();
  const ctx = await d;
  assert.equal(ctx.code, 3500);
  assert.equal(c.state, 'disconnected');
});

test('alg none and a foreign alg are refused like a bad signature', async () => {
  for (const header of [{ alg: 'none' }, { alg: 'HS512' }]) {
    const c = client({ token: mintToken({ sub: 'x' }, 'test-secret', header) });
    const d = once(c, 'disconnected');
    c.connect();
    assert.equal((await d).code, 3500);
  }
});

test('an expired token gets 109; the SDK fetches a fresh one and connects', async () => {
  let calls = 0;
  const c = client({
    token: mintToken({ sub: 'dave', exp: Math.floor(Date.now() / 1000) - 10 }),
    getToken: async () => { calls++; return mintToken({ sub: 'dave', exp: Math.floor(Date.now() / 1000) + 3600 }); },
  });
  c.connect();
  const ctx = await once(c, 'connected', 8000);
  assert.ok(ctx.client);
  assert.equal(calls, 1);
});

test('a token about to expire is refreshed through the refresh command', async () => {
  let calls = 0;
  const exp = () => Math.floor(Date.now() / 1000) + 2;
  const c = client({
    token: mintToken({ sub: 'erin', exp: exp() }),
    getToken: async () => { calls++; return mintToken({ sub: 'erin', exp: exp() + 60 }); },
  });
  const disconnected = [];
  c.on('disconnected', (ctx) => disconnected.push(ctx));
  c.connect();
  await c.ready(5000);
  await waitFor(() => calls >= 1, 6000, 'refresh via getToken');
  await sleep(300);
  assert.equal(c.state, 'connected');
  assert.equal(disconnected.length, 0);
});

test('without a token and with anonymous off the connection is refused (3501)', async () => {
  const strict = await startHearthd({ allow_anonymous: false });
  try {
    const c = sdk(strict);
    const d = once(c, 'disconnected');
    c.connect();
    assert.equal((await d).code, 3501);
    const ok = sdk(strict, { token: mintToken({ sub: 'frank' }) });
    ok.connect();
    await ok.ready(5000);
    ok.disconnect();
  } finally {
    await strict.stop();
  }
});
