// tests/hostile/lib.mjs — helpers the hostile suites share on top of the
// integration harness: a raw TCP exchange that collects everything the server
// sends until it closes or goes quiet, and a liveness probe (GET /health plus
// an SDK round trip) that every attack ends with.
import net from 'node:net';
import assert from 'node:assert/strict';
import { sdk, waitFor } from '../integration/lib/hearthd.mjs';

export * from '../integration/lib/hearthd.mjs';

/** Writes `bytes` in one write and resolves with what came back:
 * { data: Buffer, closed: bool } after the peer closed or `quietMs` of silence. */
export function tcpExchange(h, bytes, { quietMs = 800, maxMs = 5000 } = {}) {
  return new Promise((resolve, reject) => {
    const s = net.connect(h.port, '127.0.0.1');
    const chunks = [];
    let timer = null;
    const finish = (closed) => {
      clearTimeout(timer); clearTimeout(hard);
      s.destroy();
      resolve({ data: Buffer.concat(chunks), closed });
    };
    const arm = () => { clearTimeout(timer); timer = setTimeout(() => finish(false), quietMs); };
    const hard = setTimeout(() => finish(false), maxMs);
    s.on('connect', () => { s.write(bytes); arm(); });
    s.on('data', (d) => { chunks.push(d); arm(); });
    s.on('end', () => finish(true));
    s.on('close', () => finish(true));
    s.on('error', (e) => { if (e.code === 'ECONNRESET') finish(true); else reject(e); });
  });
}

/** Splits raw HTTP/1.1 response bytes into [{status, headers, body}]. */
export function parseResponses(buf) {
  const out = [];
  let s = buf.toString('latin1');
  while (s.length) {
    const end = s.indexOf('\r\n\r\n');
    if (end < 0) break;
    const lines = s.slice(0, end).split('\r\n');
    const status = Number(lines[0].split(' ')[1]);
    const headers = {};
    for (const l of lines.slice(1)) {
      const i = l.indexOf(':');
      headers[l.slice(0, i).trim().toLowerCase()] = l.slice(i + 1).trim();
    }
    const len = Number(headers['content-length'] || 0);
    out.push({ status, headers, body: s.slice(end + 4, end + 4 + len) });
    s = s.slice(end + 4 + len);
  }
  return out;
}

/** The server still serves: /health answers 200 and an SDK client round-trips. */
export async function assertServing(h, what = 'after the attack') {
  const ctl = new AbortController();
  const t = setTimeout(() => ctl.abort(), 3000);
  const res = await fetch(`${h.http}/health`, { signal: ctl.signal }).finally(() => clearTimeout(t));
  assert.equal(res.status, 200, `/health ${what}`);
  const c = sdk(h);
  const s = c.newSubscription('chat:alive-probe');
  const got = [];
  s.on('publication', (ctx) => got.push(ctx.data));
  s.subscribe(); c.connect();
  try {
    await s.ready(5000);
    await s.publish({ alive: true });
    await waitFor(() => got.length === 1, 3000, `SDK round trip ${what}`);
  } finally { c.disconnect(); }
}
