// tests/integration/identity.test.mjs — identity and access with the official
// SDK against a real hearthd: connection tokens signed HS/RS/ES (keys from
// PEM text and from a file), every refusal (wrong key, key confusion, pinned
// alg, aud/iss, bad claims), roles and per-namespace permissions, server-side
// subscriptions from the "channels" claim and the API, private channels with
// subscription tokens (chan_info, expiry, sub_refresh, 2501).
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { generateKeyPairSync } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { api, once, rawWs, sdk, signJwt, sleep, startHearthd, waitFor } from './lib/hearthd.mjs';

const rsa = generateKeyPairSync('rsa', { modulusLength: 2048 });
const rsaPub = rsa.publicKey.export({ type: 'spki', format: 'pem' });
const ec = generateKeyPairSync('ec', { namedCurve: 'P-256' });
const ecFile = join(mkdtempSync(join(tmpdir(), 'hearth-keys-')), 'ec.pem');
writeFileSync(ecFile, ec.publicKey.export({ type: 'spki', format: 'pem' }));
const SECRET = 'test-secret';
const now = () => Math.floor(Date.now() / 1000);

const NAMESPACES = [
  { name: '', presence: true, join_leave: true, allow_publish: true },
  { name: 'chat', history_size: 50, history_ttl: 300, presence: true, join_leave: true,
    allow_publish: true },
  // a ritual stage: everyone may listen, only hosts and bots speak, members read history
  { name: 'stage', history_size: 50, history_ttl: 300, presence: true,
    permissions: { publish: ['host', 'bot'], history: ['user'], presence: ['moderator', 'host'] } },
  // members only
  { name: 'members', allow_publish: true, permissions: { subscribe: ['member'] } },
  { name: 'vip', private: true, presence: true, allow_publish: true },
];

/** Resolves with {code, reason} of the SDK's first 'disconnected' event. */
function disconnected(c, ms = 5000) { return once(c, 'disconnected', ms); }

async function connectWith(h, token) {
  const c = sdk(h, { token });
  c.connect();
  await c.ready(5000);
  return c;
}

describe('connection tokens: algorithms and keys', () => {
  let h;
  before(async () => {
    h = await startHearthd({ token_hmac_secret: SECRET, token_rsa_public_key: rsaPub,
      token_ecdsa_public_key: ecFile, namespaces: NAMESPACES });
  });
  after(() => h.stop());

  for (const alg of ['HS256', 'HS384', 'HS512', 'RS256', 'RS384', 'RS512', 'ES256']) {
    test(`${alg} token connects and its sub is the publisher's user`, async () => {
      const key = alg.startsWith('HS') ? SECRET : alg.startsWith('RS') ? rsa.privateKey : ec.privateKey;
      const c = await connectWith(h, signJwt({ sub: `u-${alg}`, exp: now() + 60 }, alg, key));
      const s = c.newSubscription('chat:algs');
      const got = once(s, 'publication');
      s.subscribe();
      await s.ready(5000);
      await s.publish({ alg });
      const ctx = await got;
      assert.equal(ctx.info.user, `u-${alg}`);
      assert.deepEqual(ctx.data, { alg });
      c.disconnect();
    });
  }

  test('wrong key, key confusion, alg none, ES384 without its curve: terminal 3500', async () => {
    const other = generateKeyPairSync('rsa', { modulusLength: 2048 });
    const bad = [
      signJwt({ sub: 'x' }, 'HS256', 'not-the-secret'),
      signJwt({ sub: 'x' }, 'RS256', other.privateKey),
      // key confusion: an HMAC "signed" with the server's public RSA key text
      signJwt({ sub: 'x' }, 'HS256', rsaPub),
      `${signJwt({ sub: 'x' }, 'HS256', SECRET).split('.').slice(0, 2).join('.').replace(/^[^.]+/, Buffer.from('{"alg":"none"}').toString('base64url'))}.`,
      signJwt({ sub: 'x' }, 'ES384', generateKeyPairSync('ec', { namedCurve: 'P-384' }).privateKey),
      signJwt({ sub: 42 }, 'HS256', SECRET), // sub must be a string
      signJwt({ sub: 'x', channel: 'chat:a' }, 'HS256', SECRET), // a subscription token
      signJwt({ sub: 'x', roles: 'admin' }, 'HS256', SECRET), // roles must be an array
    ];
    for (const token of bad) {
      const c = sdk(h, { token });
      const d = disconnected(c);
      c.connect();
      const { code } = await d;
      assert.equal(code, 3500, `token ${token.slice(0, 40)}… gave ${code}`);
      c.disconnect();
    }
  });

  test('an expired token is refused with 109 and the SDK connects with a fresh one', async () => {
    let calls = 0;
    const c = sdk(h, {
      token: signJwt({ sub: 'late', exp: now() - 10 }, 'RS256', rsa.privateKey),
      getToken: async () => { calls++; return signJwt({ sub: 'late', exp: now() + 60 }, 'ES256', ec.privateKey); },
    });
    c.connect();
    await c.ready(5000);
    assert.equal(calls, 1);
    c.disconnect();
  });
});

describe('pinned algorithm, audience and issuer', () => {
  let h;
  before(async () => {
    h = await startHearthd({ token_hmac_secret: SECRET, token_rsa_public_key: rsaPub,
      token_algorithm: 'RS256', token_audience: 'hearth', token_issuer: 'https://id.example',
      namespaces: NAMESPACES });
  });
  after(() => h.stop());

  test('only RS256 with the right aud and iss gets in', async () => {
    const good = { sub: 'p', aud: ['web', 'hearth'], iss: 'https://id.example' };
    const c = await connectWith(h, signJwt(good, 'RS256', rsa.privateKey));
    c.disconnect();
    for (const [claims, alg, key] of [
      [good, 'RS512', rsa.privateKey], // not the pinned alg
      [good, 'HS256', SECRET], // a configured key, but not the pinned alg
      [{ ...good, aud: 'other' }, 'RS256', rsa.privateKey],
      [{ sub: 'p', iss: 'https://id.example' }, 'RS256', rsa.privateKey], // no aud
      [{ ...good, iss: 'https://evil.example' }, 'RS256', rsa.privateKey],
    ]) {
      const bad = sdk(h, { token: signJwt(claims, alg, key) });
      const d = disconnected(bad);
      bad.connect();
      assert.equal((await d).code, 3500);
      bad.disconnect();
    }
  });
});

describe('roles and permissions', () => {
  let h;
  before(async () => { h = await startHearthd({ token_hmac_secret: SECRET, namespaces: NAMESPACES }); });
  after(() => h.stop());
  const as = (sub, roles) => connectWith(h, signJwt({ sub, roles }, 'HS256', SECRET));

  test('only hosts and bots publish on a stage; everyone may listen', async () => {
    const host = await as('hana', ['host']);
    const member = await as('mia', ['member']);
    const anon = await connectWith(h, '');
    const listen = anon.newSubscription('stage:weekly');
    const got = [];
    listen.on('publication', (ctx) => got.push(ctx.data));
    listen.subscribe();
    await listen.ready(5000);
    await host.publish('stage:weekly', { from: 'host' });
    await assert.rejects(member.publish('stage:weekly', { from: 'member' }), (e) => e.code === 103);
    await assert.rejects(anon.publish('stage:weekly', { from: 'anon' }), (e) => e.code === 103);
    const bot = await as('announcer', ['bot']);
    await bot.publish('stage:weekly', { from: 'bot' });
    const admin = await as('root', ['admin']); // admin passes every rule
    await admin.publish('stage:weekly', { from: 'admin' });
    await waitFor(() => got.length === 3, 3000, 'three publications');
    assert.deepEqual(got.map((d) => d.from), ['host', 'bot', 'admin']);
    for (const c of [host, member, anon, bot, admin]) c.disconnect();
  });

  test('history for users only, presence for moderators and hosts', async () => {
    const member = await as('mia', ['member']);
    const anon = await connectWith(h, '');
    const mod = await as('mo', ['moderator']);
    const hist = await member.history('stage:weekly', { limit: 10 });
    assert.ok(hist.publications.length >= 1);
    await assert.rejects(anon.history('stage:weekly', { limit: 10 }), (e) => e.code === 103);
    await assert.rejects(member.presence('stage:weekly'), (e) => e.code === 103);
    await mod.presenceStats('stage:weekly');
    for (const c of [member, anon, mod]) c.disconnect();
  });

  test('a members-only room refuses anonymous and role-less users', async () => {
    const member = await as('mia', ['member']);
    const s = member.newSubscription('members:lounge');
    s.subscribe();
    await s.ready(5000);
    for (const c of [await connectWith(h, ''), await as('norole', [])]) {
      const x = c.newSubscription('members:lounge');
      const un = once(x, 'unsubscribed');
      x.subscribe();
      assert.equal((await un).code, 103);
      c.disconnect();
    }
    member.disconnect();
  });
});

describe('server-side subscriptions', () => {
  let h;
  before(async () => { h = await startHearthd({ token_hmac_secret: SECRET, namespaces: NAMESPACES }); });
  after(() => h.stop());

  test('the "channels" claim subscribes at connect; publications reach the client', async () => {
    const c = sdk(h, { token: signJwt({ sub: 'srv', channels: ['chat:news', 'alerts', 'nons:x'] }, 'HS256', SECRET) });
    const subscribed = [];
    c.on('subscribed', (ctx) => subscribed.push(ctx.channel));
    const pubs = [];
    c.on('publication', (ctx) => pubs.push([ctx.channel, ctx.data]));
    c.connect();
    await c.ready(5000);
    assert.deepEqual(subscribed.sort(), ['alerts', 'chat:news']); // nons: has no namespace
    await api(h, 'publish', { channel: 'chat:news', data: { n: 1 } });
    await api(h, 'publish', { channel: 'alerts', data: { n: 2 } });
    await waitFor(() => pubs.length === 2, 3000, 'server-side publications');
    assert.deepEqual(pubs, [['chat:news', { n: 1 }], ['alerts', { n: 2 }]]);
    const ps = await api(h, 'presence_stats', { channel: 'chat:news' });
    assert.equal(ps.json.result.num_clients, 1);
    c.disconnect();
  });

  test('more channels in the token than max_channels_per_client: 3505', async () => {
    const h2 = await startHearthd({ token_hmac_secret: SECRET, namespaces: NAMESPACES, max_channels_per_client: 2 });
    try {
      const c = sdk(h2, { token: signJwt({ sub: 'x', channels: ['a', 'b', 'c'] }, 'HS256', SECRET) });
      const d = disconnected(c);
      c.connect();
      assert.equal((await d).code, 3505);
      c.disconnect();
    } finally { await h2.stop(); }
  });

  test('API subscribe adds a server-side subscription to a connected user', async () => {
    const c = await connectWith(h, signJwt({ sub: 'late-joiner' }, 'HS256', SECRET));
    const sub = once(c, 'subscribed');
    const r = await api(h, 'subscribe', { user: 'late-joiner', channel: 'chat:ritual' });
    assert.deepEqual(r.json, { result: {} });
    assert.equal((await sub).channel, 'chat:ritual');
    const pub = once(c, 'publication');
    await api(h, 'publish', { channel: 'chat:ritual', data: { live: true } });
    assert.deepEqual((await pub).data, { live: true });
    assert.equal((await api(h, 'subscribe', { user: 'x', channel: 'nons:a' })).json.error.code, 102);
    c.disconnect();
  });
});

describe('private channels and subscription tokens', () => {
  let h;
  before(async () => {
    h = await startHearthd({ token_hmac_secret: SECRET, namespaces: NAMESPACES, expired_sub_close_delay: 1 });
  });
  after(() => h.stop());
  const subToken = (claims) => signJwt(claims, 'HS256', SECRET);

  test('without a token: 103; with one: subscribed, chan_info in presence', async () => {
    const c = await connectWith(h, signJwt({ sub: 'vip1' }, 'HS256', SECRET));
    const no = c.newSubscription('vip:lounge');
    const un = once(no, 'unsubscribed');
    no.subscribe();
    assert.equal((await un).code, 103);
    c.removeSubscription(no);
    const dollar = c.newSubscription('$chat:secret'); // "$" makes any channel private
    const un2 = once(dollar, 'unsubscribed');
    dollar.subscribe();
    assert.equal((await un2).code, 103);
    c.removeSubscription(dollar);

    const s = c.newSubscription('vip:lounge', {
      getToken: async () => subToken({ sub: 'vip1', channel: 'vip:lounge', info: { seat: 7 } }) });
    s.subscribe();
    await s.ready(5000);
    const p = await s.presence();
    const me = Object.values(p.clients)[0];
    assert.equal(me.user, 'vip1');
    assert.deepEqual(me.chanInfo, { seat: 7 });
    // a non-subscriber cannot read a private channel's presence
    const other = await connectWith(h, signJwt({ sub: 'nosy' }, 'HS256', SECRET));
    await assert.rejects(other.presence('vip:lounge'), (e) => e.code === 103);
    other.disconnect();
    c.disconnect();
  });

  test('a token for another channel or user ends the connection (3500); a bad signature is 103', async () => {
    for (const claims of [{ sub: 'vip2', channel: 'vip:other' }, { sub: 'someone-else', channel: 'vip:room' }]) {
      const c = await connectWith(h, signJwt({ sub: 'vip2' }, 'HS256', SECRET));
      const d = disconnected(c);
      const s = c.newSubscription('vip:room', { token: subToken(claims) });
      s.subscribe();
      assert.equal((await d).code, 3500);
      c.disconnect();
    }
    const c = await connectWith(h, signJwt({ sub: 'vip2' }, 'HS256', SECRET));
    const s = c.newSubscription('vip:room', { token: signJwt({ sub: 'vip2', channel: 'vip:room' }, 'HS256', 'wrong') });
    const un = once(s, 'unsubscribed');
    s.subscribe();
    assert.equal((await un).code, 103);
    c.disconnect();
  });

  test('an expiring subscription is refreshed with sub_refresh and stays subscribed', async () => {
    const c = await connectWith(h, signJwt({ sub: 'vip3' }, 'HS256', SECRET));
    let calls = 0;
    const s = c.newSubscription('vip:refresh', {
      getToken: async () => { calls++; return subToken({ sub: 'vip3', channel: 'vip:refresh', exp: now() + 2 }); } });
    let unsubscribed = 0;
    s.on('subscribing', () => { unsubscribed++; });
    s.subscribe();
    await s.ready(5000);
    unsubscribed = 0;
    await waitFor(() => calls >= 2, 8000, 'the SDK to refresh the subscription token');
    await sleep(1500);
    assert.equal(unsubscribed, 0, 'refreshed subscription must not be resubscribed');
    const got = once(s, 'publication');
    await api(h, 'publish', { channel: 'vip:refresh', data: 'still here' });
    assert.equal((await got).data, 'still here');
    c.disconnect();
  });

  test('an expired subscription that is not refreshed gets unsubscribe 2501', async () => {
    const r = await rawWs(h);
    r.send(`{"id":1,"connect":{"token":"${signJwt({ sub: 'vip4' }, 'HS256', SECRET)}"}}`);
    await r.reply(1);
    r.send({ id: 2, subscribe: { channel: 'vip:timed', token: subToken({ sub: 'vip4', channel: 'vip:timed', exp: now() + 1 }) } });
    const rep = await r.reply(2);
    assert.equal(rep.subscribe.expires, true);
    assert.ok(rep.subscribe.ttl >= 1 && rep.subscribe.ttl <= 2);
    let push;
    for (;;) {
      const m = await r.next(8000);
      if (m.push && m.push.unsubscribe) { push = m.push; break; }
    }
    assert.equal(push.channel, 'vip:timed');
    assert.equal(push.unsubscribe.code, 2501);
    // sub_refresh of a channel no longer subscribed: 103
    r.send({ id: 3, sub_refresh: { channel: 'vip:timed', token: subToken({ sub: 'vip4', channel: 'vip:timed', exp: now() + 60 }) } });
    assert.equal((await r.reply(3)).error.code, 103);
    r.ws.close();
  });
});
