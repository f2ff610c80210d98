// tests/hostile/origin.test.mjs — the Origin check against browser-borne
// attacks: DNS rebinding (a foreign name that resolves to us, so Origin's host
// equals Host), patterns that must be anchored at host and port, and
// malformed or opaque ("null") origins.
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startHearthd, assertServing, WebSocket } from './lib.mjs';

function upgrade(h, headers = {}) {
  return new Promise((resolve) => {
    const ws = new WebSocket(h.ws, { headers });
    ws.on('open', () => { ws.close(); resolve('open'); });
    ws.on('unexpected-response', (_req, res) => resolve(res.statusCode));
    ws.on('error', (e) => resolve(`error ${e.message}`));
  });
}

describe('Origin without allowed_origins', () => {
  let h;
  before(async () => { h = await startHearthd(); });
  after(() => h.stop());

  test('DNS rebinding: a foreign name in both Origin and Host is refused', async () => {
    const host = `rebind.evil.example:${h.port}`;
    assert.equal(await upgrade(h, { Origin: `http://${host}`, Host: host }), 403);
  });

  test('the page served by this node (address or localhost, same port) gets in', async () => {
    assert.equal(await upgrade(h, { Origin: `http://127.0.0.1:${h.port}` }), 'open');
    assert.equal(await upgrade(h, { Origin: `http://localhost:${h.port}`, Host: `localhost:${h.port}` }), 'open');
    assert.equal(await upgrade(h), 'open', 'no Origin: not a browser');
  });

  test('same host on another port, "null" and malformed origins are refused', async () => {
    assert.equal(await upgrade(h, { Origin: `http://127.0.0.1:${h.port + 1}` }), 403);
    assert.equal(await upgrade(h, { Origin: 'null' }), 403);
    assert.equal(await upgrade(h, { Origin: `http://127.0.0.1:${h.port}/path` }), 403);
    assert.equal(await upgrade(h, { Origin: `http://127.0.0.1:${h.port}@evil.example` }), 403);
    await assertServing(h);
  });
});

describe('allowed_origins patterns are anchored', () => {
  let h;
  before(async () => {
    h = await startHearthd({ allowed_origins: ['https://*.chat.example', 'http://localhost:*', 'https://app.example'] });
  });
  after(() => h.stop());

  test('subdomain and port wildcards match only what they say', async () => {
    for (const o of ['https://a.chat.example', 'https://a.b.chat.example', 'http://localhost:3000',
      'http://localhost', 'https://app.example', 'https://APP.example:443']) {
      assert.equal(await upgrade(h, { Origin: o }), 'open', o);
    }
    for (const o of ['https://chat.example.evil.net', 'https://evilchat.example', 'https://chat.example',
      'http://localhost.evil.net:3000', 'http://localhost:3000.evil.net', 'http://a.chat.example',
      'https://app.example:8443', 'https://app.example.evil.net', 'https://xapp.example']) {
      assert.equal(await upgrade(h, { Origin: o }), 403, o);
    }
  });
});
