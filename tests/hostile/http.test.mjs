// tests/hostile/http.test.mjs — anonymous peers against hearthd's HTTP side:
// pipelined requests (the 98-byte wedge), request framing (chunked bodies,
// duplicate or missing Content-Length, oversized bodies), slow bodies, many
// sockets from one address, the descriptor limit (EMFILE), and /metrics
// protection. Every attack ends with the server still serving.
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import net from 'node:net';
import {
  startHearthd, tcpExchange, parseResponses, assertServing, sleep, waitFor, WebSocket,
  startRedis, redisNodeConfig,
} from './lib.mjs';

const post = (path, body, extra = '') =>
  `POST ${path} HTTP/1.1\r\nHost: x\r\n${extra}Content-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`;
const get = (path, extra = '') => `GET ${path} HTTP/1.1\r\nHost: x\r\n${extra}\r\n`;
const KEY = 'X-API-Key: test-key\r\n';

/** CPU ticks (1/100 s) hearthd used over `ms`: a spinning loop uses ~ms/10. */
async function cpuTicks(h, ms = 1000) {
  const t = () => {
    const f = readFileSync(`/proc/${h.proc.pid}/stat`, 'utf8').split(') ')[1].split(' ');
    return Number(f[11]) + Number(f[12]); // utime + stime
  };
  const a = t();
  await sleep(ms);
  return t() - a;
}

async function metric(h, re) {
  const text = await (await fetch(`${h.http}/metrics`)).text();
  const m = text.match(re);
  return m ? Number(m[1]) : NaN;
}

/** A socket from another loopback address (so limits hit the attacker only). */
function connectFrom(h, localAddress) {
  return new Promise((resolve) => {
    const s = net.connect({ port: h.port, host: '127.0.0.1', localAddress });
    s.on('connect', () => resolve(s));
    s.on('error', () => resolve(s));
  });
}

describe('pipelining and framing', () => {
  let h;
  before(async () => { h = await startHearthd(); });
  after(() => h.stop());

  test('two pipelined POST /health in one write (the 98-byte wedge) do not spin the loop', async () => {
    const r = await tcpExchange(h, post('/health', '{}') + post('/health', '{}'));
    const res = parseResponses(r.data);
    assert.equal(res[0].status, 200);
    assert.equal(res[0].headers.connection, 'close', 'an unread body closes the connection');
    assert.ok(await cpuTicks(h) < 30, 'hearthd is idle after the attack');
    await assertServing(h);
  });

  test('pipelined GETs are answered one at a time, in order', async () => {
    const r = await tcpExchange(h, get('/health') + get('/metrics') + get('/health'));
    const res = parseResponses(r.data);
    assert.deepEqual(res.map((x) => x.status), [200, 200, 200]);
    assert.match(res[1].body, /hearth_connections/);
  });

  test('a POST pipelined behind another is refused (400, close), the first is answered', async () => {
    const body = JSON.stringify({ channel: 'chat:pipe', data: { n: 1 } });
    const r = await tcpExchange(h, post('/api/publish', body, KEY) + post('/api/publish', body, KEY) +
      post('/api/publish', body, KEY));
    const res = parseResponses(r.data);
    assert.equal(res[0].status, 200);
    assert.ok(JSON.parse(res[0].body).result, res[0].body);
    assert.equal(res[1].status, 400);
    assert.match(res[1].body, /pipelined/);
    assert.equal(res[1].headers.connection, 'close');
    assert.equal(res.length, 2);
    assert.ok(r.closed);
    assert.ok(await cpuTicks(h) < 30, 'hearthd is idle after the attack');
    await assertServing(h);
  });

  test('a keep-alive client sending one POST at a time is served on one connection', async () => {
    const s = net.connect(h.port, '127.0.0.1');
    await new Promise((r) => s.on('connect', r));
    let buf = Buffer.alloc(0);
    s.on('data', (d) => { buf = Buffer.concat([buf, d]); });
    for (let i = 1; i <= 3; i++) {
      s.write(post('/api/publish', JSON.stringify({ channel: 'chat:ka', data: { i } }), KEY));
      await waitFor(() => parseResponses(buf).length === i, 3000, `response ${i}`);
    }
    assert.deepEqual(parseResponses(buf).map((x) => x.status), [200, 200, 200]);
    s.destroy();
  });

  test('framing: chunked 411, no Content-Length 411, duplicate or bad Content-Length 400', async () => {
    const cases = [
      [`POST /api/info HTTP/1.1\r\nHost: x\r\n${KEY}Transfer-Encoding: chunked\r\n\r\n2\r\n{}\r\n0\r\n\r\n`, 411],
      [`POST /api/info HTTP/1.1\r\nHost: x\r\n${KEY}\r\n{}`, 411],
      [`POST /api/info HTTP/1.1\r\nHost: x\r\n${KEY}Content-Length: 2\r\nContent-Length: 40\r\n\r\n{}`, 400],
      [`POST /api/info HTTP/1.1\r\nHost: x\r\n${KEY}Content-Length: -2\r\n\r\n{}`, 400],
      [`POST /api/info HTTP/1.1\r\nHost: x\r\n${KEY}Content-Length: 2x\r\n\r\n{}`, 400],
      [`GET /health HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n\r\nhello`, 400],
      [`POST /index.html HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n\r\nhello`, 405],
      [`GET /index.html HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n\r\nhello`, 400],
    ];
    for (const [req, status] of cases) {
      const r = await tcpExchange(h, req);
      const res = parseResponses(r.data);
      assert.equal(res[0]?.status, status, `${JSON.stringify(req.slice(0, 90))} -> ${r.data.toString().slice(0, 60)}`);
      assert.ok(r.closed, 'refused framing closes the connection');
    }
    await assertServing(h);
  });

  test('an oversized API body is refused at the headers (413) without reading it', async () => {
    const s = net.connect(h.port, '127.0.0.1');
    await new Promise((r) => s.on('connect', r));
    let buf = Buffer.alloc(0);
    s.on('data', (d) => { buf = Buffer.concat([buf, d]); });
    s.write(`POST /api/publish HTTP/1.1\r\nHost: x\r\n${KEY}Content-Length: 500000000\r\n\r\n{"channel":`);
    await waitFor(() => parseResponses(buf).length === 1, 3000, '413 before the body');
    assert.equal(parseResponses(buf)[0].status, 413);
    s.destroy();
  });

  test('an unauthorized POST with a body gets 401 and the connection closes', async () => {
    const r = await tcpExchange(h, post('/api/publish', '{"channel":"chat:x","data":{}}'));
    assert.equal(parseResponses(r.data)[0].status, 401);
    assert.ok(r.closed);
  });
});

describe('pipelining behind an engine call in flight (Redis engine)', () => {
  let redis, h;
  before(async () => { redis = await startRedis(); h = await startHearthd(redisNodeConfig(redis)); });
  after(async () => { await h.stop(); await redis.stop(); });

  test('pipelined publishes: the first is answered, the connection closes, the loop is idle', async () => {
    const body = JSON.stringify({ channel: 'chat:rpipe', data: { n: 1 } });
    const r = await tcpExchange(h, post('/api/publish', body, KEY) + post('/api/publish', body, KEY));
    const res = parseResponses(r.data);
    assert.equal(res[0].status, 200, r.data.toString().slice(0, 200));
    assert.ok(JSON.parse(res[0].body).result);
    assert.ok(r.closed, 'the connection closes after the answer');
    assert.ok(await cpuTicks(h) < 30, 'hearthd is idle after the attack');
    await assertServing(h);
  });
});

describe('slow bodies and many sockets', () => {
  let h;
  before(async () => {
    h = await startHearthd({ http_body_timeout: 1, handshake_timeout: 2, max_http_connections_per_ip: 20 });
  });
  after(() => h.stop());

  test('a body trickled a byte at a time gets 408 after http_body_timeout', async () => {
    const s = net.connect(h.port, '127.0.0.1');
    await new Promise((r) => s.on('connect', r));
    let buf = Buffer.alloc(0);
    const closed = new Promise((r) => s.on('close', r));
    s.on('data', (d) => { buf = Buffer.concat([buf, d]); });
    s.on('error', () => {});
    s.write(`POST /api/publish HTTP/1.1\r\nHost: x\r\n${KEY}Content-Length: 1000\r\n\r\n{`);
    const drip = setInterval(() => { if (!s.destroyed) s.write(' '); }, 200);
    await Promise.race([closed, sleep(8000)]);
    clearInterval(drip);
    assert.equal(parseResponses(buf)[0]?.status, 408, buf.toString().slice(0, 80));
    assert.ok(s.destroyed || s.readyState === 'closed', 'the server closed the slow body');
    s.destroy();
  });

  test('one address cannot hold more than max_http_connections_per_ip sockets', async () => {
    const socks = [];
    for (let i = 0; i < 40; i++) {
      const s = await connectFrom(h, '127.0.0.2');
      s.on('error', () => {});
      s.write('POST /api/publish HTTP/1.1\r\nHost: x\r\nContent-Length: 100000\r\n\r\n');
      socks.push(s);
    }
    await waitFor(async () => await metric(h, /refused_connections_total\{reason="max_http_connections_per_ip"\} (\d+)/) >= 20,
      5000, 'refusals counted');
    await sleep(200);
    const open = socks.filter((s) => !s.destroyed && s.readyState === 'open').length;
    assert.ok(open <= 20, `${open} sockets of 127.0.0.2 still open`);
    // another address is served meanwhile
    await assertServing(h, 'while 127.0.0.2 holds its quota');
    // a WebSocket from the capped address still gets in once its sockets go
    for (const s of socks) s.destroy();
    await waitFor(() => new Promise((resolve) => {
      const ws = new WebSocket(h.ws, { localAddress: '127.0.0.2' });
      ws.on('open', () => { ws.close(); resolve(true); });
      ws.on('error', () => resolve(false));
      ws.on('unexpected-response', () => resolve(false));
    }), 5000, 'the address is served again');
  });
});

describe('descriptor limit', () => {
  test('at RLIMIT_NOFILE the accept path refuses instead of spinning, and recovers', async () => {
    const h = await startHearthd({ max_http_connections_per_ip: 0 }, { wrap: ['prlimit', '--nofile=128:128'] });
    try {
      const socks = [];
      for (let i = 0; i < 120; i++) {
        const s = await connectFrom(h, '127.0.0.3');
        s.on('error', () => {});
        socks.push(s);
      }
      await sleep(300);
      assert.ok(await cpuTicks(h) < 30, 'hearthd is idle with its descriptors full');
      const logLines = h.logs().split('\n').length;
      assert.ok(logLines < 400, `${logLines} log lines`);
      for (const s of socks) s.destroy();
      await sleep(300);
      await assertServing(h, 'after the descriptors came back');
      assert.ok(await metric(h, /refused_connections_total\{reason="descriptors"\} (\d+)/) > 0);
    } finally { await h.stop(); }
  });
});

describe('/metrics protection', () => {
  test('with metrics_key, /metrics needs the key (X-API-Key or Bearer)', async () => {
    const h = await startHearthd({ metrics_key: 'scrape-me' });
    try {
      assert.equal((await fetch(`${h.http}/metrics`)).status, 401);
      assert.equal((await fetch(`${h.http}/metrics`, { headers: { 'X-API-Key': 'wrong' } })).status, 401);
      const a = await fetch(`${h.http}/metrics`, { headers: { Authorization: 'Bearer scrape-me' } });
      assert.equal(a.status, 200);
      assert.match(await a.text(), /hearth_connections/);
      assert.equal((await fetch(`${h.http}/metrics`, { headers: { 'X-API-Key': 'scrape-me' } })).status, 200);
      assert.equal((await fetch(`${h.http}/health`)).status, 200, '/health stays open');
    } finally { await h.stop(); }
  });
});
