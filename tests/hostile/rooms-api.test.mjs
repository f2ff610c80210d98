// tests/hostile/rooms-api.test.mjs — the HTTP API's fan-out methods under
// hostile sizes: a broadcast to 30,000 channels and a batch of 30,000
// publishes (the memory engine answers synchronously, so a recursive step
// loop overflowed the stack) complete, the api_max_broadcast_channels /
// api_max_batch_commands limits refuse more than they allow with 107 before
// anything runs, and a 1 MiB batch of cheap commands costs the server a
// bounded amount of memory while it runs and gives it back afterwards.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { api, assertServing, startHearthd } from './lib.mjs';

const status = (pid) => {
  const s = readFileSync(`/proc/${pid}/status`, 'utf8');
  return { hwm: Number(s.match(/VmHWM:\s+(\d+)/)[1]), rss: Number(s.match(/VmRSS:\s+(\d+)/)[1]) };
};
// AddressSanitizer keeps freed memory in quarantine: RSS says nothing there
const sanitized = (pid) => /libasan|libclang_rt\.asan/.test(readFileSync(`/proc/${pid}/maps`, 'utf8'));

async function metric(h, name) {
  const text = await (await fetch(`${h.http}/metrics`)).text();
  const m = text.match(new RegExp(`^${name} (\\S+)$`, 'm'));
  return m ? Number(m[1]) : NaN;
}

const channels = (n, prefix) => Array.from({ length: n }, (_, i) => `${prefix}${i}`);
const publishes = (n, channel) => Array.from({ length: n }, (_, i) => ({ publish: { channel, data: { i } } }));

test('broadcast to 30,000 channels and a batch of 30,000 publishes complete (limits raised)', async () => {
  const h = await startHearthd({ api_max_broadcast_channels: 30000, api_max_batch_commands: 30000, api_max_body_size: 4 << 20 });
  try {
    const b = await api(h, 'broadcast', { channels: channels(30000, 'wide'), data: { hi: 1 } });
    assert.equal(b.status, 200);
    assert.equal(b.json.result.responses.length, 30000);
    assert.ok(b.json.result.responses.every((r) => r.result), 'every channel published');

    const r = await api(h, 'batch', { commands: publishes(30000, 'chat:many') });
    assert.equal(r.status, 200);
    assert.equal(r.json.replies.length, 30000);
    assert.deepEqual(r.json.replies[29999].publish.offset, 30000, 'in order, each with its offset');
    // a broadcast inside a batch, with history: nested, still flat
    const nb = await api(h, 'batch', { commands: [{ broadcast: { channels: channels(30000, 'chat:w'), data: 1 } }] });
    assert.equal(nb.json.replies[0].broadcast.responses.length, 30000);
    assert.equal(nb.json.replies[0].broadcast.responses[29999].result.offset, 1);
    await assertServing(h);
  } finally { await h.stop(); }
});

test('over the default limits (10,000) broadcast and batch are refused with 107 and nothing runs', async () => {
  const h = await startHearthd();
  try {
    const over = await api(h, 'broadcast', { channels: channels(10001, 'chat:over'), data: 1 });
    assert.equal(over.status, 200);
    assert.equal(over.json.error.code, 107);
    const at = await api(h, 'broadcast', { channels: channels(10000, 'chat:at'), data: 1 });
    assert.equal(at.json.result.responses.length, 10000);

    const before = await metric(h, 'hearth_publications_total');
    const big = await api(h, 'batch', { commands: publishes(10001, 'chat:limit') });
    assert.equal(big.status, 200);
    assert.equal(big.json.error.code, 107);
    assert.equal(await metric(h, 'hearth_publications_total'), before, 'no command of a refused batch ran');
    const hist = await api(h, 'history', { channel: 'chat:limit', limit: 0 });
    assert.equal(hist.json.result.offset, 0);

    // a body that stops decoding after valid commands: 400, none of them ran
    for (const bad of ['{"commands":[{"publish":{"channel":"chat:limit","data":1}},{"publish":]}',
      '{"commands":[{"publish":{"channel":"chat:limit","data":1}} {"info":{}}]}',
      '{"commands":[{"publish":{"channel":"chat:limit","data":1}}],"commands":[]}']) {
      assert.equal((await api(h, 'batch', bad)).status, 400, bad);
    }
    assert.equal(await metric(h, 'hearth_publications_total'), before, 'no command of a malformed batch ran');

    const ok = await api(h, 'batch', { commands: publishes(10000, 'chat:limit') });
    assert.equal(ok.json.replies.length, 10000);
    assert.equal(ok.json.replies[9999].publish.offset, 10000);
    await assertServing(h);
  } finally { await h.stop(); }
});

test('a 1 MiB batch of cheap commands: peak and retained memory stay bounded', async (t) => {
  const h = await startHearthd({ api_max_batch_commands: 100000 });
  try {
    const pid = h.proc.pid;
    await api(h, 'info', {}); // warm up
    const base = status(pid);
    const one = JSON.stringify({ info: {} });
    const n = Math.floor((1 << 20) / (one.length + 1)) - 2;
    const body = `{"commands":[${Array(n).fill(one).join(',')}]}`;
    assert.ok(body.length <= 1 << 20);
    const r = await api(h, 'batch', body);
    assert.equal(r.status, 200);
    assert.equal(r.json.replies.length, n);
    assert.ok(r.json.replies[n - 1].info.nodes.length >= 1);
    const pubs = JSON.stringify({ publish: { channel: 'x', data: {} } });
    const m = Math.floor((1 << 20) / (pubs.length + 1)) - 2;
    const p = await api(h, 'batch', `{"commands":[${Array(m).fill(pubs).join(',')}]}`);
    assert.equal(p.json.replies.length, m);
    const end = status(pid);
    const peakMiB = (end.hwm - base.rss) / 1024, keptMiB = (end.rss - base.rss) / 1024;
    t.diagnostic(`${n} info + ${m} publish commands: peak +${peakMiB.toFixed(1)} MiB, kept +${keptMiB.toFixed(1)} MiB`);
    if (sanitized(pid)) {
      t.diagnostic('AddressSanitizer build: memory bounds not checked');
    } else {
      assert.ok(peakMiB < 64, `peak grew by ${peakMiB.toFixed(1)} MiB`);
      assert.ok(keptMiB < 32, `kept ${keptMiB.toFixed(1)} MiB after the batch`);
    }
    await assertServing(h);
  } finally { await h.stop(); }
});
