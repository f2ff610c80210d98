// tests/hostile/clients-jwt.test.mjs — signed tokens whose date claims are
// absurd (issue 8 item 12a): an exp of 1e18 or INT64_MAX once overflowed
// exp * 1000 (UBSan). A date claim outside [0, 9999-12-31] is malformed: the
// connection is refused with 3500, a subscription token with 103, and the
// server keeps serving. The last representable second still connects, with
// a ttl clamped to what the protocol's uint32 can carry.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { assertServing, b64url, mintToken, rawWs, startHearthd } from './lib.mjs';

let h;
before(async () => { h = await startHearthd(); });
after(async () => { await h.stop(); });

/** HS256 JWT over the exact payload text (numbers JSON.stringify cannot spell). */
function mintRaw(payloadText, secret = 'test-secret') {
  const hd = b64url(JSON.stringify({ alg: 'HS256', typ: 'JWT' }));
  const p = b64url(payloadText);
  return `${hd}.${p}.${b64url(createHmac('sha256', secret).update(`${hd}.${p}`).digest())}`;
}

const BAD_DATES = [
  '{"sub":"u","exp":1000000000000000000}',
  '{"sub":"u","exp":9223372036854775807}',
  '{"sub":"u","exp":1e18}',
  '{"sub":"u","exp":1.7976931348623157e308}',
  '{"sub":"u","exp":-9223372036854775807}',
  '{"sub":"u","exp":-1}',
  '{"sub":"u","nbf":-1e300}',
  '{"sub":"u","iat":1e19}',
];

test('a connection token with an out-of-range date claim is refused with 3500', async () => {
  for (const payload of BAD_DATES) {
    const c = await rawWs(h);
    c.send({ id: 1, connect: { token: mintRaw(payload) } });
    const closed = await c.closed;
    assert.equal(closed.code, 3500, payload);
  }
  await assertServing(h);
});

test('a refresh to an out-of-range exp is refused with 3500', async () => {
  const c = await rawWs(h);
  c.send({ id: 1, connect: { token: mintToken({ sub: 'u', exp: Math.floor(Date.now() / 1000) + 60 }) } });
  assert.ok((await c.reply(1)).connect);
  c.send({ id: 2, refresh: { token: mintRaw('{"sub":"u","exp":1000000000000000000}') } });
  assert.equal((await c.closed).code, 3500);
  await assertServing(h);
});

test('a subscription token with an out-of-range exp gets 103', async () => {
  const c = await rawWs(h);
  c.send({ id: 1, connect: { token: mintToken({ sub: 'u' }) } });
  assert.ok((await c.reply(1)).connect);
  c.send({ id: 2, subscribe: { channel: 'chat:jwt', token: mintRaw('{"sub":"u","channel":"chat:jwt","exp":1e18}') } });
  const r = await c.reply(2);
  assert.equal(r.error && r.error.code, 103);
  c.ws.close();
  await assertServing(h);
});

test('the last second of year 9999 connects with a ttl clamped to uint32', async () => {
  const c = await rawWs(h);
  c.send({ id: 1, connect: { token: mintRaw('{"sub":"u","exp":253402300799}') } });
  const r = (await c.reply(1)).connect;
  assert.equal(r.expires, true);
  assert.equal(r.ttl, 2 ** 32 - 1);
  c.send({ id: 2, subscribe: { channel: 'chat:jwt9999',
    token: mintRaw('{"sub":"u","channel":"chat:jwt9999","exp":253402300799}') } });
  const s = (await c.reply(2)).subscribe;
  assert.equal(s.expires, true);
  assert.equal(s.ttl, 2 ** 32 - 1);
  c.ws.close();
  await assertServing(h);
});
