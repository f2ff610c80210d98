// tests/integration/lib/hearthd.mjs — the harness: starts a real hearthd on a
// free loopback port with a given config, connects official SDK clients, raw
// WebSockets and raw TCP sockets to it, mints HS256 tokens, and stops the
// server again checking it exits 0 (so ASan/UBSan findings fail the test).
import { spawn } from 'node:child_process';
import { createHmac, sign as cryptoSign } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Centrifuge } from 'centrifuge';
import WebSocket from 'ws';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
export const HEARTHD = process.env.HEARTHD || join(root, 'build', 'hearthd');
export { Centrifuge, WebSocket };

export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

// A test file that leaves something running (an SDK client reconnecting to a
// dead server) would keep node alive forever; never let one outlive this.
const WATCHDOG_MS = Number(process.env.HEARTH_TEST_FILE_TIMEOUT_MS || 180000);
setTimeout(() => {
  console.error(`watchdog: test file still running after ${WATCHDOG_MS} ms, exiting`);
  process.exit(1);
}, WATCHDOG_MS).unref();

export async function freePort() {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.on('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });
}

// data_dir "": tests run on the pure memory engine unless they ask for a
// data directory (durable.test.mjs), so no test leaves state behind.
export const BASE_CONFIG = {
  data_dir: '',
  allow_anonymous: true,
  token_hmac_secret: 'test-secret',
  api_key: 'test-key',
  namespaces: [
    { name: '', presence: true, join_leave: true, allow_publish: true },
    { name: 'chat', history_size: 100, history_ttl: 300, presence: true, join_leave: true,
      allow_publish: true, force_recovery: true },
    { name: 'small', history_size: 3, history_ttl: 300, allow_publish: true, force_recovery: true },
    { name: 'ro', history_size: 10, history_ttl: 300, presence: true },
    { name: 'nohist', allow_publish: true },
  ],
};

// hearthd processes still running when this test file's process exits
// (a failed test that never reached its cleanup) are killed, not leaked.
const liveHearthds = new Set();
process.on('exit', () => { for (const p of liveHearthds) { try { p.kill('SIGKILL'); } catch { /* gone */ } } });

/** Starts hearthd with cfg (merged over BASE_CONFIG unless raw; a raw cfg
 * without data_dir gets data_dir "" too). `wrap` runs it under a command
 * that execs it (e.g. ['prlimit', '--nofile=128:128']); `port` reuses a
 * port (a restart that SDK clients reconnect to). */
export async function startHearthd(cfg = {}, { raw = false, tls = false, wrap = [], port: reuse = 0 } = {}) {
  const port = reuse || await freePort();
  const dir = mkdtempSync(join(tmpdir(), 'hearth-it-'));
  const cfgFile = join(dir, 'hearth.json');
  const full = raw ? { data_dir: '', ...cfg } : { ...BASE_CONFIG, ...cfg };
  // HEARTH_TEST_DURABLE=1: every server that would run memory-only gets a
  // fresh data_dir instead, so the whole suite runs on the durable store
  if (process.env.HEARTH_TEST_DURABLE === '1' && full.data_dir === '') full.data_dir = join(dir, 'data');
  writeFileSync(cfgFile, JSON.stringify(full));
  const argv = ['--config', cfgFile, '--listen', `127.0.0.1:${port}`];
  const proc = spawn(wrap.length ? wrap[0] : HEARTHD, wrap.length ? [...wrap.slice(1), HEARTHD, ...argv] : argv,
    { stdio: ['ignore', 'pipe', 'pipe'] });
  liveHearthds.add(proc);
  proc.on('exit', () => liveHearthds.delete(proc));
  let logs = '';
  proc.stdout.on('data', (d) => { logs += d; });
  proc.stderr.on('data', (d) => { logs += d; });
  const exited = new Promise((resolve) => proc.on('exit', (code, signal) => resolve({ code, signal })));
  const h = {
    port, proc, cfgFile,
    http: `http://127.0.0.1:${port}`,
    ws: `ws://127.0.0.1:${port}/connection/websocket`,
    logs: () => logs,
    exited,
    async stop() {
      if (proc.exitCode === null && proc.signalCode === null) proc.kill('SIGTERM');
      const timer = setTimeout(() => proc.kill('SIGKILL'), 8000);
      const r = await exited;
      clearTimeout(timer);
      if (r.code !== 0) throw new Error(`hearthd exited ${JSON.stringify(r)}; log:\n${logs.slice(-4000)}`);
      return r;
    },
  };
  const deadline = Date.now() + 10000;
  for (;;) {
    if (proc.exitCode !== null) throw new Error(`hearthd died at start: ${logs}`);
    if (tls) { // no plain HTTP to poll: wait for the listener's log line
      if (/listening on https/.test(logs)) break;
    } else {
      try {
        const res = await fetch(`${h.http}/health`);
        if (res.status === 200) break;
      } catch { /* not up yet */ }
    }
    if (Date.now() > deadline) throw new Error(`hearthd did not start: ${logs}`);
    await sleep(50);
  }
  return h;
}

// Every redis-server this process started, so none outlives it (not even on
// a failed assertion or the watchdog's exit).
const redisProcs = new Set();
const redisDirs = new Set();
process.on('exit', () => {
  for (const p of redisProcs) { try { p.kill('SIGKILL'); } catch { /* gone */ } }
  for (const d of redisDirs) { try { rmSync(d, { recursive: true, force: true }); } catch { /* gone */ } }
});

/** One RESP command over a fresh TCP connection; resolves with the decoded reply. */
export function redisCommand(port, ...args) {
  return new Promise((resolve, reject) => {
    const s = net.connect(port, '127.0.0.1');
    let buf = Buffer.alloc(0);
    const t = setTimeout(() => { s.destroy(); reject(new Error('redis command timeout')); }, 3000);
    s.on('error', (e) => { clearTimeout(t); reject(e); });
    s.on('connect', () => {
      let out = `*${args.length}\r\n`;
      for (const a of args) { const b = Buffer.from(String(a)); out += `$${b.length}\r\n${b.toString('latin1')}\r\n`; }
      s.write(Buffer.from(out, 'latin1'));
    });
    s.on('data', (d) => {
      buf = Buffer.concat([buf, d]);
      const r = parseResp(buf, 0);
      if (r) { clearTimeout(t); s.destroy(); resolve(r.value); }
    });
  });
}

function parseResp(b, i) {
  if (i >= b.length) return null;
  const eol = b.indexOf('\r\n', i);
  if (eol < 0) return null;
  const line = b.toString('latin1', i + 1, eol);
  const next = eol + 2;
  switch (String.fromCharCode(b[i])) {
    case '+': return { value: line, end: next };
    case '-': return { value: new Error(line), end: next };
    case ':': return { value: Number(line), end: next };
    case '$': {
      const n = Number(line);
      if (n < 0) return { value: null, end: next };
      if (b.length < next + n + 2) return null;
      return { value: b.subarray(next, next + n), end: next + n + 2 };
    }
    case '*': {
      const n = Number(line);
      if (n < 0) return { value: null, end: next };
      const arr = [];
      let at = next;
      for (let k = 0; k < n; k++) {
        const r = parseResp(b, at);
        if (!r) return null;
        arr.push(r.value);
        at = r.end;
      }
      return { value: arr, end: at };
    }
    default: throw new Error(`bad RESP byte ${b[i]}`);
  }
}

/**
 * Starts a real redis-server on a free loopback port with its own temp dir.
 * persist: append-only file with fsync on every write, so a SIGKILLed Redis
 * restarts with every acknowledged write. Returns {port, url, dir, kill(sig),
 * restart(), stop(), command(...)}; restart() reuses port and dir.
 */
export async function startRedis({ persist = false } = {}) {
  const port = await freePort();
  const dir = mkdtempSync(join(tmpdir(), 'hearth-redis-'));
  redisDirs.add(dir);
  const args = ['--port', String(port), '--bind', '127.0.0.1', '--dir', dir, '--save', '',
    '--protected-mode', 'no', '--daemonize', 'no', '--logfile', '', '--loglevel', 'warning'];
  if (persist) args.push('--appendonly', 'yes', '--appendfsync', 'always');
  const r = {
    port, dir, url: `redis://127.0.0.1:${port}`, proc: null, exited: null,
    command: (...a) => redisCommand(port, ...a),
    async launch() {
      const proc = spawn('redis-server', args, { stdio: ['ignore', 'ignore', 'pipe'] });
      let err = '';
      proc.stderr.on('data', (d) => { err += d; });
      redisProcs.add(proc);
      r.proc = proc;
      r.exited = new Promise((resolve) => proc.on('exit', () => { redisProcs.delete(proc); resolve(); }));
      const deadline = Date.now() + 10000;
      for (;;) {
        if (proc.exitCode !== null) throw new Error(`redis-server died at start: ${err}`);
        try { if ((await r.command('PING')) === 'PONG') break; } catch { /* not up yet */ }
        if (Date.now() > deadline) throw new Error(`redis-server did not start: ${err}`);
        await sleep(50);
      }
      return r;
    },
    async kill(sig = 'SIGKILL') {
      if (r.proc && r.proc.exitCode === null && r.proc.signalCode === null) r.proc.kill(sig);
      await r.exited;
    },
    async restart() { await r.kill(); return r.launch(); },
    async stop() { await r.kill(); rmSync(dir, { recursive: true, force: true }); redisDirs.delete(dir); },
  };
  return r.launch();
}

/** Config for a node of a Redis-engine cluster. */
export function redisNodeConfig(redis, extra = {}) {
  const urls = Array.isArray(redis) ? redis.map((x) => x.url) : redis.url;
  return { engine: 'redis', redis_url: urls, redis_presence_ttl: 3,
    redis_connect_timeout_ms: 500, redis_command_timeout_ms: 2000, ...extra };
}

/** A connected SDK client signed in as user id with token roles; pushed onto
 * list (the test's clients, disconnected in its after()). */
export async function signedIn(h, list, id, roles = ['member']) {
  const c = sdk(h, { token: mintToken({ sub: id, roles }) });
  list.push(c);
  c.connect();
  await c.ready(5000);
  return c;
}

/** An official SDK client (not yet connected). */
export function sdk(h, opts = {}) {
  return new Centrifuge(h.ws, { websocket: WebSocket, minReconnectDelay: 100, maxReconnectDelay: 500,
    timeout: 4000, ...opts });
}

export function b64url(buf) {
  return Buffer.from(buf).toString('base64').replace(/=+$/, '').replace(/\+/g, '-').replace(/\//g, '_');
}

/** HS256 JWT; header overridable for alg tests. */
export function mintToken(claims, secret = 'test-secret', header = { alg: 'HS256', typ: 'JWT' }) {
  const h = b64url(JSON.stringify(header));
  const p = b64url(JSON.stringify(claims));
  const sig = b64url(createHmac('sha256', secret).update(`${h}.${p}`).digest());
  return `${h}.${p}.${sig}`;
}

/**
 * A JWT signed with any of HS/RS/ES 256/384/512. key: the HMAC secret
 * (string) or a private KeyObject/PEM for RS and ES.
 */
export function signJwt(claims, alg, key, headerExtra = {}) {
  const h = b64url(JSON.stringify({ alg, typ: 'JWT', ...headerExtra }));
  const p = b64url(JSON.stringify(claims));
  const input = `${h}.${p}`;
  const md = `sha${alg.slice(2)}`;
  let sig;
  if (alg.startsWith('HS')) sig = createHmac(md, key).update(input).digest();
  else if (alg.startsWith('RS')) sig = cryptoSign(md, Buffer.from(input), key);
  else sig = cryptoSign(md, Buffer.from(input), { key, dsaEncoding: 'ieee-p1363' });
  return `${input}.${b64url(sig)}`;
}

/** Kills an SDK client's socket without telling the SDK (a network drop). */
export function dropTransport(c) {
  const ws = c._transport && c._transport._transport;
  if (!ws || typeof ws.terminate !== 'function') throw new Error('SDK internals changed: cannot find the ws');
  ws.terminate();
}

/**
 * An SDK client (not yet connected) whose every (re)connect goes to the URL
 * target() names at that moment: a client that fails over between nodes.
 */
export function failoverClient(target, opts = {}) {
  class FailoverWebSocket extends WebSocket {
    constructor(_url, protocols) { super(target(), protocols); }
  }
  return new Centrifuge('ws://127.0.0.1:1/connection/websocket', {
    websocket: FailoverWebSocket, minReconnectDelay: 100, maxReconnectDelay: 500, timeout: 4000, ...opts,
  });
}

/** Resolves with the first event emitted (args array), rejects after ms. */
export function once(emitter, event, ms = 5000) {
  return new Promise((resolve, reject) => {
    const t = setTimeout(() => reject(new Error(`timeout waiting for ${event}`)), ms);
    emitter.once(event, (...args) => { clearTimeout(t); resolve(args.length > 1 ? args : args[0]); });
  });
}

export async function waitFor(pred, ms = 5000, what = 'condition') {
  const deadline = Date.now() + ms;
  while (!(await pred())) {
    if (Date.now() > deadline) throw new Error(`timeout waiting for ${what}`);
    await sleep(20);
  }
}

/**
 * A raw WebSocket with a message queue: next() resolves with the next
 * message (text split into protocol messages for JSON), closed resolves with
 * {code, reason}.
 */
export async function rawWs(h, { protocol, binary = false } = {}) {
  const ws = new WebSocket(h.ws, protocol ? [protocol] : undefined);
  const queue = [];
  const waiters = [];
  const deliver = (m) => { const w = waiters.shift(); if (w) w(m); else queue.push(m); };
  ws.on('message', (data, isBinary) => {
    if (binary || isBinary) deliver(Buffer.from(data));
    else for (const line of data.toString().split('\n')) deliver(JSON.parse(line));
  });
  const closed = new Promise((resolve) => ws.on('close', (code, reason) => resolve({ code, reason: reason.toString() })));
  ws.on('error', () => {});
  await new Promise((resolve, reject) => { ws.once('open', resolve); ws.once('error', reject); });
  return {
    ws, closed,
    send(x) { ws.send(typeof x === 'string' || Buffer.isBuffer(x) ? x : JSON.stringify(x)); },
    next(ms = 5000) {
      if (queue.length) return Promise.resolve(queue.shift());
      return new Promise((resolve, reject) => {
        const t = setTimeout(() => reject(new Error('timeout waiting for a message')), ms);
        waiters.push((m) => { clearTimeout(t); resolve(m); });
      });
    },
    /** skips pings and pushes until a reply with this id arrives */
    async reply(id, ms = 5000) {
      const deadline = Date.now() + ms;
      for (;;) {
        const m = await this.next(Math.max(1, deadline - Date.now()));
        if (m.id === id) return m;
      }
    },
  };
}

/** A raw TCP socket to the server's port; `from` is a local (loopback)
 * address to connect from, so per-address limits see a different peer. */
export function rawTcp(h, from) {
  return new Promise((resolve, reject) => {
    const s = net.connect({ port: h.port, host: '127.0.0.1', localAddress: from }, () => resolve(s));
    s.on('error', reject);
  });
}

export async function api(h, method, body, key = 'test-key') {
  const headers = { 'Content-Type': 'application/json' };
  if (key !== null) headers['X-API-Key'] = key;
  const res = await fetch(`${h.http}/api/${method}`, { method: 'POST', headers,
    body: typeof body === 'string' ? body : JSON.stringify(body) });
  const text = await res.text();
  let json = null;
  try { json = text ? JSON.parse(text) : null; } catch { /* not JSON */ }
  return { status: res.status, json, text };
}

/** Resident set size of a pid in KiB. */
export async function rssKiB(pid) {
  const { readFileSync } = await import('node:fs');
  const m = readFileSync(`/proc/${pid}/status`, 'utf8').match(/VmRSS:\s+(\d+)/);
  return m ? Number(m[1]) : 0;
}
