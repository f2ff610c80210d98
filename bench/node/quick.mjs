// bench/node/quick.mjs — quick, bounded figures for one hearthd on loopback:
//   fanout: N subscribers in one room, publishes at a target rate for D seconds
//           over the HTTP API; reports deliveries/s, loss, p50/p99 latency and
//           the generator's own CPU (so you can tell when Node is the limit);
//   idle:   N connected+subscribed idle clients; server RSS per connection.
// Usage: node quick.mjs fanout|idle --url http://127.0.0.1:8000 --key KEY
//        [--subs 1000] [--rate 200] [--seconds 5] [--pid SERVER_PID]
// Only loopback targets are accepted. Everything stops by itself.
import { readFileSync } from 'node:fs';
import WebSocket from 'ws';

const args = Object.fromEntries(process.argv.slice(3).reduce((a, v, i, all) =>
  (v.startsWith('--') ? [...a, [v.slice(2), all[i + 1]]] : a), []));
const mode = process.argv[2];
const url = new URL(args.url || 'http://127.0.0.1:8000');
if (!['127.0.0.1', 'localhost', '[::1]'].includes(url.hostname)) throw new Error('loopback targets only');
const wsUrl = `ws://${url.host}/connection/websocket`;
const subsN = Number(args.subs || 1000);
const seconds = Math.min(Number(args.seconds || 5), 60);
const rate = Number(args.rate || 200);
const pid = args.pid ? Number(args.pid) : null;
const key = args.key || '';
const channel = args.channel || 'chat:bench';

const rssKiB = () => (pid ? Number(readFileSync(`/proc/${pid}/status`, 'utf8').match(/VmRSS:\s+(\d+)/)[1]) : NaN);
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

function subscriber(ch, onPub) {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(wsUrl, { perMessageDeflate: false });
    ws.on('open', () => ws.send(`{"id":1,"connect":{}}\n{"id":2,"subscribe":{"channel":"${ch}"}}`));
    ws.on('message', (data) => {
      const text = data.toString();
      for (const line of text.split('\n')) {
        if (line === '{}') { ws.send('{}'); continue; }
        if (line.startsWith('{"id":2')) { resolve(ws); continue; }
        if (onPub && line.startsWith('{"push"')) onPub(line);
      }
    });
    ws.on('error', reject);
  });
}

async function connectAll(n, ch, onPub) {
  const out = [];
  for (let i = 0; i < n; i += 200) {
    out.push(...await Promise.all(Array.from({ length: Math.min(200, n - i) }, () => subscriber(ch, onPub))));
  }
  return out;
}

async function fanout() {
  const lat = [];
  let received = 0;
  const onPub = (line) => {
    received++;
    const m = line.match(/"t":(\d+)/);
    if (m && (received & 7) === 0) lat.push(Number(process.hrtime.bigint() / 1000n) - Number(m[1]));
  };
  const conns = await connectAll(subsN, channel, onPub);
  const cpu0 = process.cpuUsage();
  const t0 = Date.now();
  let published = 0;
  const interval = 1000 / rate;
  while (Date.now() - t0 < seconds * 1000) {
    const due = Math.floor((Date.now() - t0) / interval);
    const batch = [];
    while (published < due) {
      batch.push(fetch(`${url.origin}/api/publish`, { method: 'POST', headers: { 'X-API-Key': key },
        body: JSON.stringify({ channel, data: { t: Number(process.hrtime.bigint() / 1000n), p: 'x'.repeat(24) } }) }));
      published++;
    }
    await Promise.all(batch);
    await sleep(1);
  }
  const deadline = Date.now() + 5000;
  while (received < published * subsN && Date.now() < deadline) await sleep(20);
  const elapsed = (Date.now() - t0) / 1000;
  const cpu = process.cpuUsage(cpu0);
  lat.sort((a, b) => a - b);
  const pct = (p) => (lat.length ? (lat[Math.floor(p * (lat.length - 1))] / 1000).toFixed(2) : 'n/a');
  console.log(JSON.stringify({
    mode: 'fanout', subscribers: subsN, published, expected: published * subsN, received,
    loss: published * subsN - received, deliveries_per_s: Math.round(received / elapsed),
    p50_ms: pct(0.5), p99_ms: pct(0.99), max_ms: pct(1),
    generator_cpu_pct: Math.round(((cpu.user + cpu.system) / 1e6 / elapsed) * 100),
    server_rss_kib: rssKiB(),
  }));
  conns.forEach((c) => c.terminate());
}

async function idle() {
  const before = rssKiB();
  const conns = [];
  for (let i = 0; i < subsN; i += 200) {
    conns.push(...await Promise.all(Array.from({ length: Math.min(200, subsN - i) }, (_, k) => subscriber(`${channel}${i + k}`))));
  }
  await sleep(1000);
  const after = rssKiB();
  console.log(JSON.stringify({ mode: 'idle', connections: conns.length, rss_before_kib: before,
    rss_after_kib: after, kib_per_connection: ((after - before) / conns.length).toFixed(2) }));
  conns.forEach((c) => c.terminate());
}

const timer = setTimeout(() => { console.error('bench: time limit reached'); process.exit(2); }, (seconds + 60) * 1000);
await (mode === 'idle' ? idle() : fanout());
clearTimeout(timer);
process.exit(0);
