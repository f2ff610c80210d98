// tests/integration/ops.test.mjs — operating hearthd: TLS (wss + https with a
// certificate made here by openssl), SIGHUP reloading keys, namespaces and
// limits while clients stay connected, and the systemd unit's shape.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import https from 'node:https';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { BASE_CONFIG, Centrifuge, HEARTHD, api, mintToken, once, sdk, sleep, startHearthd, waitFor, WebSocket } from './lib/hearthd.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');

test('TLS: wss with the official SDK and https for /health and the API', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'hearth-tls-'));
  const cert = join(dir, 'cert.pem');
  const key = join(dir, 'key.pem');
  execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '1',
    '-subj', '/CN=127.0.0.1', '-addext', 'subjectAltName=IP:127.0.0.1',
    '-keyout', key, '-out', cert], { stdio: 'ignore' });
  const ca = readFileSync(cert);
  const h = await startHearthd({ tls_cert: cert, tls_key: key }, { tls: true });
  try {
    // https: /health and an API call, verified against our certificate
    const get = (path, body) => new Promise((resolve, reject) => {
      const req = https.request(`https://127.0.0.1:${h.port}${path}`,
        { ca, method: body ? 'POST' : 'GET', headers: body ? { 'X-API-Key': 'test-key' } : {} }, (res) => {
          let data = '';
          res.on('data', (d) => { data += d; });
          res.on('end', () => resolve({ status: res.statusCode, data }));
        });
      req.on('error', reject);
      req.end(body);
    });
    assert.equal((await get('/health')).status, 200);
    // wss: the SDK with a WebSocket that trusts our CA
    class TlsWebSocket extends WebSocket {
      constructor(url, protocols) { super(url, protocols, { ca }); }
    }
    const c = new Centrifuge(`wss://127.0.0.1:${h.port}/connection/websocket`, { websocket: TlsWebSocket });
    const s = c.newSubscription('chat:tls');
    const got = once(s, 'publication');
    s.subscribe(); c.connect();
    await s.ready(5000);
    const r = await get('/api/publish', JSON.stringify({ channel: 'chat:tls', data: { secure: true } }));
    assert.equal(r.status, 200);
    assert.deepEqual((await got).data, { secure: true });
    // plain ws to the TLS port does not get a WebSocket
    const plain = await new Promise((resolve) => {
      const ws = new WebSocket(`ws://127.0.0.1:${h.port}/connection/websocket`);
      ws.on('open', () => { ws.close(); resolve('open'); });
      ws.on('error', () => resolve('refused'));
      ws.on('unexpected-response', () => resolve('refused'));
    });
    assert.equal(plain, 'refused');
    c.disconnect();
  } finally { await h.stop(); }
});

test('SIGHUP reloads keys, namespaces and limits; connected clients stay', async () => {
  const h = await startHearthd({
    token_hmac_secret: 'old-secret',
    namespaces: [{ name: 'chat', presence: true }, { name: 'gone', allow_publish: true }],
  });
  try {
    const c = sdk(h, { token: mintToken({ sub: 'stayer' }, 'old-secret') });
    const s = c.newSubscription('chat:room');
    const g = c.newSubscription('gone:room');
    s.subscribe(); g.subscribe(); c.connect();
    await s.ready(5000); await g.ready(5000);
    await assert.rejects(s.publish({ before: true }), (e) => e.code === 103);

    const cfg = { ...BASE_CONFIG, token_hmac_secret: 'new-secret', api_key: 'new-key',
      namespaces: [{ name: 'chat', presence: true, allow_publish: true }] };
    writeFileSync(h.cfgFile, JSON.stringify(cfg));
    const gone = once(g, 'unsubscribed');
    h.proc.kill('SIGHUP');
    assert.equal((await gone).code, 2000); // its namespace no longer exists
    await waitFor(async () => (await api(h, 'info', {}, 'new-key')).status === 200, 3000, 'the new API key');
    assert.equal((await api(h, 'info', {}, 'test-key')).status, 401);

    const got = once(s, 'publication');
    await s.publish({ after: true }); // allowed now, on the same connection
    assert.deepEqual((await got).data, { after: true });
    assert.equal(c.state, 'connected');

    const fresh = sdk(h, { token: mintToken({ sub: 'newbie' }, 'new-secret') });
    fresh.connect();
    await fresh.ready(5000);
    const old = sdk(h, { token: mintToken({ sub: 'oldie' }, 'old-secret') });
    const d = once(old, 'disconnected');
    old.connect();
    assert.equal((await d).code, 3500);

    // a broken file is refused and the running config stays
    writeFileSync(h.cfgFile, '{"namespaces": [');
    h.proc.kill('SIGHUP');
    await sleep(300);
    assert.equal((await api(h, 'info', {}, 'new-key')).status, 200);
    assert.match(h.logs(), /keeping the running config/);
    for (const x of [c, fresh, old]) x.disconnect();
  } finally { await h.stop(); }
});

test('the systemd unit passes systemd-analyze verify and reloads with SIGHUP', () => {
  const unit = readFileSync(join(root, 'deploy', 'hearthd.service'), 'utf8');
  assert.match(unit, /^ExecStart=\/usr\/local\/bin\/hearthd --config \S+/m);
  assert.match(unit, /^ExecReload=\/bin\/kill -HUP \$MAINPID/m);
  assert.match(unit, /^KillSignal=SIGTERM/m);
  // verify a copy that points at the binary under test (the installed path
  // does not exist on a build machine)
  const dir = mkdtempSync(join(tmpdir(), 'hearth-unit-'));
  const copy = join(dir, 'hearthd.service');
  writeFileSync(copy, unit.replace(/\/usr\/local\/bin\/hearthd/g, HEARTHD));
  const r = spawnSync('systemd-analyze', ['verify', copy], { encoding: 'utf8' });
  // every complaint about this unit counts, warnings included (the sandbox's
  // own units may be odd: those lines are not ours)
  const mine = `${r.stdout}${r.stderr}`.split('\n').filter((l) => l.includes('hearthd.service'));
  assert.deepEqual(mine, []);
  assert.equal(r.status, 0, r.stderr);
});

test('hearthctl: tokens with roles, publish, presence, history, subscribe, disconnect', async () => {
  const h = await startHearthd({ namespaces: [
    { name: 'chat', history_size: 10, history_ttl: 60, presence: true, allow_publish: true },
    { name: 'stage', permissions: { publish: ['host'] } },
  ] });
  const ctl = (...args) => execFileSync('bash', [join(root, 'tools', 'hearthctl'), ...args], {
    encoding: 'utf8',
    env: { ...process.env, HEARTH_URL: h.http, HEARTH_API_KEY: 'test-key', HEARTH_SECRET: 'test-secret' },
  }).trim();
  try {
    const host = sdk(h, { token: ctl('token', 'hana', '60', '{"name":"Hana"}', 'host') });
    host.connect();
    await host.ready(5000);
    await host.publish('stage:main', { hello: 1 }); // the host role came through the token
    const s = host.newSubscription('chat:ops');
    s.subscribe();
    await s.ready(5000);
    const got = once(s, 'publication');
    assert.deepEqual(JSON.parse(ctl('publish', 'chat:ops', '{"text":"from the cli"}')).result.offset, 1);
    assert.deepEqual((await got).data, { text: 'from the cli' });
    const pres = JSON.parse(ctl('presence', 'chat:ops')).result.presence;
    assert.equal(Object.values(pres)[0].user, 'hana');
    assert.deepEqual(Object.values(pres)[0].conn_info, { name: 'Hana' });
    assert.equal(JSON.parse(ctl('history', 'chat:ops', '5')).result.publications.length, 1);
    const sub = once(host, 'subscribed');
    ctl('subscribe', 'hana', 'chat:extra');
    assert.equal((await sub).channel, 'chat:extra');
    const gone = once(host, 'disconnected');
    ctl('disconnect', 'hana');
    assert.equal((await gone).code, 3503);
    host.disconnect();
  } finally { await h.stop(); }
});
