// bench/node/cross.mjs — a quick cross-node figure for the Redis engine:
// one publisher WebSocket on node A keeps --window publishes in flight (each
// goes through Redis: the publish Lua script for a channel with history, a
// plain PUBLISH without), --subs subscribers on node B receive them. Reports
// acknowledged publishes/s, deliveries/s on node B, loss and latency
// (publish sent on A → push received from B). Loopback only; stops by itself.
// --rate caps publishes/s (0 = as fast as the window allows). Subscribers
// that cannot keep up are disconnected by the server (3008 "slow"); their
// missing deliveries show up as loss, so an overload is visible.
// Usage: node cross.mjs --pub-url http://127.0.0.1:A --sub-url http://127.0.0.1:B
//        [--subs 100] [--seconds 5] [--window 256] [--rate 0] [--channel chat:bench]
import WebSocket from 'ws';

const args = Object.fromEntries(process.argv.slice(2).reduce((a, v, i, all) =>
  (v.startsWith('--') ? [...a, [v.slice(2), all[i + 1]]] : a), []));
const pubUrl = new URL(args['pub-url'] || 'http://127.0.0.1:8000');
const subUrl = new URL(args['sub-url'] || 'http://127.0.0.1:8001');
for (const u of [pubUrl, subUrl]) {
  if (!['127.0.0.1', 'localhost', '[::1]'].includes(u.hostname)) throw new Error('loopback targets only');
}
const subsN = Number(args.subs || 100);
const seconds = Math.min(Number(args.seconds || 5), 60);
const windowN = Number(args.window || 256);
const rate = Number(args.rate || 0);
const channel = args.channel || 'chat:bench';
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const nowUs = () => Number(process.hrtime.bigint() / 1000n);

function open(u) {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(`ws://${u.host}/connection/websocket`, { perMessageDeflate: false });
    ws.on('open', () => resolve(ws));
    ws.on('error', reject);
  });
}

let received = 0;
let slow = 0;
const lat = [];
async function subscriber() {
  const ws = await open(subUrl);
  ws.on('close', (code) => { if (code === 3008) slow++; });
  return new Promise((resolve) => {
    ws.on('message', (data) => {
      for (const line of data.toString().split('\n')) {
        if (line === '{}') { ws.send('{}'); continue; }
        if (line.startsWith('{"id":2')) { resolve(ws); continue; }
        if (line.startsWith('{"push"')) {
          received++;
          if ((received & 15) === 0) {
            const m = line.match(/"t":(\d+)/);
            if (m) lat.push(nowUs() - Number(m[1]));
          }
        }
      }
    });
    ws.send(`{"id":1,"connect":{}}\n{"id":2,"subscribe":{"channel":"${channel}"}}`);
  });
}

const subs = [];
for (let i = 0; i < subsN; i += 100) {
  subs.push(...await Promise.all(Array.from({ length: Math.min(100, subsN - i) }, subscriber)));
}
const pub = await open(pubUrl);
let nextId = 2;
let acked = 0;
let errors = 0;
let inflight = 0;
let running = true;
const pad = 'x'.repeat(32);
let sent = 0;
let tStart = 0;
function fill() {
  const batch = [];
  const allowed = rate ? Math.floor(((Date.now() - tStart) / 1000) * rate) : Infinity;
  while (running && inflight < windowN && sent < allowed) {
    sent++;
    batch.push(`{"id":${nextId++},"publish":{"channel":"${channel}","data":{"t":${nowUs()},"p":"${pad}"}}}`);
    inflight++;
  }
  if (batch.length) pub.send(batch.join('\n'));
}
pub.on('message', (data) => {
  for (const line of data.toString().split('\n')) {
    if (line === '{}') { pub.send('{}'); continue; }
    if (line.startsWith('{"id":1,')) { fill(); continue; }
    if (line.includes('"error"')) errors++;
    else acked++;
    inflight--;
  }
  fill();
});
const cpu0 = process.cpuUsage();
const t0 = Date.now();
tStart = t0;
const ticker = rate ? setInterval(fill, 5) : null;
pub.send('{"id":1,"connect":{}}');
await sleep(seconds * 1000);
running = false;
if (ticker) clearInterval(ticker);
const elapsed = (Date.now() - t0) / 1000;
const deadline = Date.now() + 5000;
while ((inflight > 0 || received < acked * subsN) && Date.now() < deadline) await sleep(20);
const cpu = process.cpuUsage(cpu0);
lat.sort((a, b) => a - b);
const pct = (p) => (lat.length ? (lat[Math.floor(p * (lat.length - 1))] / 1000).toFixed(2) : 'n/a');
console.log(JSON.stringify({
  mode: 'cross-node', channel, subscribers_on_b: subsN, window: windowN, rate_cap: rate, seconds,
  publishes_acked: acked, publish_errors: errors, publishes_per_s: Math.round(acked / elapsed),
  deliveries_expected: acked * subsN, deliveries: received, loss: acked * subsN - received,
  deliveries_per_s: Math.round(received / elapsed), subscribers_dropped_slow: slow, p50_ms: pct(0.5), p99_ms: pct(0.99),
  generator_cpu_pct: Math.round(((cpu.user + cpu.system) / 1e6 / elapsed) * 100),
}));
pub.terminate();
subs.forEach((s) => s.terminate());
process.exit(0);
