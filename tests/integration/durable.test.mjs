// tests/integration/durable.test.mjs — the durable store (data_dir, issue
// 10) with the official SDK: every acknowledged publication survives kill -9
// under sustained publish load with the same offsets and epoch, and a
// subscriber that stayed "connected" across the restart recovers exactly what
// it missed; a graceful restart; history TTL and the channel position across a
// restart; and bad data: a corrupt file, a newer schema, a data_dir that
// cannot be written, a full disk at start and at run time (error 100, /health
// 503, then recovery with nothing acknowledged lost).
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync, openSync, writeSync, closeSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { HEARTHD, api, once, sdk, sleep, startHearthd as start, waitFor } from './lib/hearthd.mjs';

const dirs = [];
const clients = [];
const servers = new Set(); // every hearthd started here, so a failed test leaves none running
after(() => {
  for (const c of clients) c.disconnect();
  for (const h of servers) if (h.proc.exitCode === null && h.proc.signalCode === null) h.proc.kill('SIGKILL');
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});
async function startHearthd(cfg, opts) {
  const h = await start(cfg, opts);
  servers.add(h);
  return h;
}

function dataDir() {
  const d = mkdtempSync(join(tmpdir(), 'hearth-durable-'));
  dirs.push(d);
  return join(d, 'data');
}

const NS = { name: 'dur', history_size: 100000, history_ttl: 300, allow_publish: true, force_recovery: true };
const durCfg = (dir, extra = {}) => ({
  data_dir: dir, client_command_rate: 0, history_max_limit: 100000, recovery_max_limit: 100000,
  namespaces: [NS, { name: 'ttl', history_size: 100, history_ttl: 2, allow_publish: true },
    { name: 'meta', history_size: 100, history_ttl: 1, allow_publish: true }],
  ...extra,
});

async function history(h, channel) {
  const r = await api(h, 'history', { channel, limit: -1 });
  assert.equal(r.status, 200, r.text);
  assert.ok(r.json.result, r.text);
  return r.json.result;
}

async function killHard(h) {
  h.proc.kill('SIGKILL');
  const r = await h.exited;
  assert.equal(r.signal, 'SIGKILL');
}

/** Runs hearthd to its exit (a start that must fail): {code, logs}. */
function runToExit(cfg, wrap = []) {
  const d = mkdtempSync(join(tmpdir(), 'hearth-durable-cfg-'));
  dirs.push(d);
  const f = join(d, 'hearth.json');
  writeFileSync(f, JSON.stringify({ namespaces: [NS], ...cfg }));
  const argv = ['--config', f, '--listen', '127.0.0.1:0'];
  const p = spawn(wrap.length ? wrap[0] : HEARTHD, wrap.length ? [...wrap.slice(1), HEARTHD, ...argv] : argv,
    { stdio: ['ignore', 'pipe', 'pipe'] });
  let logs = '';
  p.stdout.on('data', (x) => { logs += x; });
  p.stderr.on('data', (x) => { logs += x; });
  return new Promise((resolve) => {
    const t = setTimeout(() => p.kill('SIGKILL'), 10000);
    p.on('exit', (code, signal) => { clearTimeout(t); resolve({ code, signal, logs }); });
  });
}

/** A data_dir holding a real database with a few publications in it. */
async function populated() {
  const dir = dataDir();
  const h = await startHearthd(durCfg(dir));
  for (let i = 1; i <= 5; i++) await api(h, 'publish', { channel: 'dur:x', data: { i } });
  await h.stop();
  return dir;
}

test('kill -9 under publish load: every acknowledged publication is back, same offsets and epoch; the SDK recovers exactly what it missed', async () => {
  const dir = dataDir();
  let h = await startHearthd(durCfg(dir));
  const ch = 'dur:load';
  const reader = sdk(h); clients.push(reader);
  const sub = reader.newSubscription(ch);
  const got = [];
  const subscribed = [];
  sub.on('publication', (ctx) => got.push({ offset: Number(ctx.offset), data: ctx.data }));
  sub.on('subscribed', (ctx) => subscribed.push(ctx));
  sub.subscribe(); reader.connect();
  await sub.ready(5000);

  // sustained load: 4 API publishers and one SDK publisher, each publishing
  // back to back until hearthd is killed under them
  const acked = new Map(); // "w:i" -> offset
  const epochs = new Set();
  let running = true;
  const apiWriter = async (w) => {
    for (let i = 0; running; i++) {
      try {
        const r = await api(h, 'publish', { channel: ch, data: { w, i } });
        if (r.json && r.json.result) {
          acked.set(`${w}:${i}`, r.json.result.offset);
          epochs.add(r.json.result.epoch);
        }
      } catch { return; } // the server died under this request
    }
  };
  const writer = sdk(h); clients.push(writer);
  writer.connect(); await writer.ready(5000);
  const sdkWriter = async () => {
    for (let i = 0; running; i++) {
      try {
        const r = await writer.publish(ch, { w: 's', i });
        if (r) acked.set(`s:${i}`, null); // the SDK's publish result has no offset
      } catch { return; }
    }
  };
  const loops = [0, 1, 2, 3].map(apiWriter).concat([sdkWriter()]);
  await waitFor(() => acked.size >= 300, 20000, '300 acknowledged publishes');
  await killHard(h);
  running = false;
  writer.disconnect();
  await Promise.all(loops);
  const before = got.length;
  assert.ok(acked.size >= 300);
  assert.equal(epochs.size, 1, 'one epoch');
  const [epoch0] = epochs;

  h = await startHearthd(durCfg(dir), { port: h.port });
  const res = await history(h, ch);
  assert.equal(res.epoch, epoch0, 'same epoch after the restart');
  const offsets = res.publications.map((p) => p.offset);
  assert.deepEqual(offsets, Array.from({ length: offsets.length }, (_, k) => k + 1), 'offsets 1..top, contiguous');
  assert.equal(res.offset, offsets.length, 'top offset is the last stored one');
  const stored = new Map(res.publications.map((p) => [`${p.data.w}:${p.data.i}`, p.offset]));
  assert.equal(stored.size, offsets.length, 'no publication stored twice');
  for (const [k, off] of acked) {
    assert.ok(stored.has(k), `acknowledged ${k} is stored`);
    if (off !== null) assert.equal(stored.get(k), off, `${k} keeps offset ${off}`);
  }

  // the stream continues where it was, while the reader is (most likely)
  // still reconnecting: it must get these too, through recovery or live
  for (let i = 0; i < 5; i++) {
    const r = await api(h, 'publish', { channel: ch, data: { w: 'after', i } });
    assert.deepEqual(r.json.result, { offset: offsets.length + 1 + i, epoch: epoch0 });
    stored.set(`after:${i}`, offsets.length + 1 + i);
  }
  const all = Array.from({ length: offsets.length + 5 }, (_, k) => k + 1);
  // /metrics shows the store's work since this start: the 5 commits above
  const metric = (text, name) => Number((text.match(new RegExp(`^${name} (\\S+)$`, 'm')) || [])[1]);
  const m = await (await fetch(`${h.http}/metrics`)).text();
  assert.ok(metric(m, 'hearth_durable_commits_total') >= 1, 'commits counted');
  assert.ok(metric(m, 'hearth_durable_changes_total') >= 5, 'changes counted');
  assert.equal(metric(m, 'hearth_durable_commit_failures_total'), 0);
  assert.ok(metric(m, 'hearth_durable_wal_frames') >= 0, 'the WAL gauge is there');

  // the reader reconnects to the restarted node: recovered, exactly the rest
  await waitFor(() => subscribed.length >= 2, 10000, 'resubscribe after the restart');
  assert.equal(subscribed[1].wasRecovering, true);
  assert.equal(subscribed[1].recovered, true);
  await waitFor(() => got.length >= all.length, 5000, 'every stored publication delivered');
  await sleep(200); // a duplicate would arrive now
  assert.ok(before <= offsets.length);
  assert.deepEqual(got.map((p) => p.offset), all, 'no loss, no duplicate, in order');
  for (const p of got) assert.equal(stored.get(`${p.data.w}:${p.data.i}`), p.offset);
  reader.disconnect();
  await h.stop();
});

test('graceful restart (SIGTERM), durable_sync full: history, offsets and epoch are kept and a subscriber recovers', async () => {
  const dir = dataDir();
  let h = await startHearthd(durCfg(dir, { durable_sync: 'full' }));
  assert.match(h.logs(), /level=info mod=durable msg="state in .*hearth\.db \(synchronous=FULL\)"/);
  const reader = sdk(h); clients.push(reader);
  const sub = reader.newSubscription('dur:calm');
  const got = [];
  const subscribed = [];
  sub.on('publication', (ctx) => got.push(ctx.data.i));
  sub.on('subscribed', (ctx) => subscribed.push(ctx));
  sub.subscribe(); reader.connect();
  await sub.ready(5000);
  const offs = [];
  for (let i = 0; i < 5; i++) offs.push((await api(h, 'publish', { channel: 'dur:calm', data: { i } })).json.result);
  await waitFor(() => got.length === 5, 3000, 'live');
  const reconnecting = once(reader, 'connecting');
  await h.stop();
  await reconnecting;
  h = await startHearthd(durCfg(dir, { durable_sync: 'full' }), { port: h.port });
  // published while the reader is still reconnecting, or just after
  for (let i = 5; i < 8; i++) offs.push((await api(h, 'publish', { channel: 'dur:calm', data: { i } })).json.result);
  assert.deepEqual(offs.map((o) => o.offset), [1, 2, 3, 4, 5, 6, 7, 8]);
  assert.ok(offs.every((o) => o.epoch === offs[0].epoch), 'one epoch across the restart');
  await waitFor(() => subscribed.length >= 2, 10000, 'resubscribe');
  assert.equal(subscribed[1].recovered, true);
  await waitFor(() => got.length === 8, 5000, 'every message once');
  assert.deepEqual(got, [0, 1, 2, 3, 4, 5, 6, 7]);
  reader.disconnect();
  await h.stop();
});

test('history TTL is honoured across a restart; the position outlives the messages as history_meta_ttl says', async () => {
  const dir = dataDir();
  let h = await startHearthd(durCfg(dir, { history_meta_ttl: 3600 }));
  const first = [];
  for (let i = 0; i < 3; i++) first.push((await api(h, 'publish', { channel: 'ttl:a', data: { i } })).json.result);
  await killHard(h);
  await sleep(2500); // past ttl's 2 s history_ttl
  h = await startHearthd(durCfg(dir, { history_meta_ttl: 3600 }));
  let res = await history(h, 'ttl:a');
  assert.deepEqual(res.publications, [], 'expired while hearthd was down');
  assert.equal(res.offset, 3);
  assert.equal(res.epoch, first[0].epoch);
  const next = (await api(h, 'publish', { channel: 'ttl:a', data: { i: 3 } })).json.result;
  assert.deepEqual(next, { offset: 4, epoch: first[0].epoch }, 'offsets continue');
  // live messages keep their remaining TTL across a restart
  await h.stop();
  h = await startHearthd(durCfg(dir, { history_meta_ttl: 3600 }));
  res = await history(h, 'ttl:a');
  assert.deepEqual(res.publications.map((p) => p.offset), [4]);
  await sleep(2200);
  res = await history(h, 'ttl:a');
  assert.deepEqual(res.publications, [], 'expires on its stored deadline');
  await h.stop();

  // a position whose history_meta_ttl passed is gone: a new epoch from 1
  const dir2 = dataDir();
  h = await startHearthd(durCfg(dir2, { history_meta_ttl: 1 }));
  const old = (await api(h, 'publish', { channel: 'meta:c', data: {} })).json.result;
  await killHard(h);
  await sleep(2200);
  h = await startHearthd(durCfg(dir2, { history_meta_ttl: 1 }));
  res = await history(h, 'meta:c');
  assert.equal(res.offset, 0);
  const fresh = (await api(h, 'publish', { channel: 'meta:c', data: {} })).json.result;
  assert.equal(fresh.offset, 1);
  assert.notEqual(fresh.epoch, old.epoch);
  await h.stop();
});

test('data_dir "" keeps nothing: a restart forgets', async () => {
  let h = await startHearthd(durCfg(''));
  await api(h, 'publish', { channel: 'dur:mem', data: {} });
  await h.stop();
  h = await startHearthd(durCfg(''));
  assert.equal((await history(h, 'dur:mem')).offset, 0);
  await h.stop();
});

test('a corrupt database file is refused at start with a clear error and exit 1', async () => {
  // garbage header: not a database at all
  let dir = await populated();
  let fd = openSync(join(dir, 'hearth.db'), 'r+');
  writeSync(fd, Buffer.alloc(100, 0x5a), 0, 100, 0);
  closeSync(fd);
  let r = await runToExit({ data_dir: dir });
  assert.equal(r.code, 1, r.logs);
  assert.match(r.logs, /level=error mod=durable .*hearth\.db.*(not a database|corrupt)/, r.logs);

  // a damaged page inside an otherwise valid file
  dir = await populated();
  const size = statSync(join(dir, 'hearth.db')).size;
  assert.ok(size >= 3 * 4096);
  fd = openSync(join(dir, 'hearth.db'), 'r+');
  for (let pg = 1; pg * 4096 < size; pg++) writeSync(fd, Buffer.alloc(4096, 0xa5), 0, 4096, pg * 4096);
  closeSync(fd);
  r = await runToExit({ data_dir: dir });
  assert.equal(r.code, 1, r.logs);
  assert.match(r.logs, /level=error mod=durable .*hearth\.db.*(corrupt|malformed)/, r.logs);
  assert.doesNotMatch(r.logs, /AddressSanitizer|runtime error/);
});

test('a second hearthd on the same data_dir is refused while the first runs', async () => {
  const dir = dataDir();
  const h = await startHearthd(durCfg(dir));
  const r = await runToExit({ data_dir: dir });
  assert.equal(r.code, 1, r.logs);
  assert.match(r.logs, /hearth\.db is in use by another process/, r.logs);
  await api(h, 'publish', { channel: 'dur:x', data: {} }); // the first one is unharmed
  await h.stop();
});

test('a database written by a newer hearthd (schema_version) is refused', async () => {
  const dir = await populated();
  execFileSync('python3', ['-c', `import sqlite3,sys
c = sqlite3.connect(sys.argv[1]); c.execute('UPDATE schema_version SET version = 99'); c.commit(); c.close()`,
  join(dir, 'hearth.db')]);
  const r = await runToExit({ data_dir: dir });
  assert.equal(r.code, 1, r.logs);
  assert.match(r.logs, /schema version 99, newer than this hearthd knows \(2\).*refusing/, r.logs);
});

test('a data_dir that cannot be used is refused at start (read-only place, a file, an unreadable database, a full disk)', async () => {
  // /proc/self/fdinfo exists and is a directory, but nobody (root included) can create files in it
  let r = await runToExit({ data_dir: '/proc/self/fdinfo' });
  assert.equal(r.code, 1, r.logs);
  assert.match(r.logs, /level=error mod=durable msg="cannot open \/proc\/self\/fdinfo\/hearth\.db/, r.logs);
  // on a read-only file system (sysfs): cannot be created
  r = await runToExit({ data_dir: '/sys/hearth-data' });
  assert.equal(r.code, 1, r.logs);
  assert.match(r.logs, /cannot create data_dir \\"\/sys\/hearth-data\\"/, r.logs);
  // a regular file
  const d = mkdtempSync(join(tmpdir(), 'hearth-durable-')); dirs.push(d);
  // hearth.db that cannot be read as a file (a directory in its place)
  mkdirSync(join(d, 'dbdir', 'hearth.db'), { recursive: true });
  r = await runToExit({ data_dir: join(d, 'dbdir') });
  assert.equal(r.code, 1, r.logs);
  assert.match(r.logs, /level=error mod=durable msg="cannot (open|use) .*dbdir\/hearth\.db/, r.logs);
  writeFileSync(join(d, 'file'), 'x');
  r = await runToExit({ data_dir: join(d, 'file') });
  assert.equal(r.code, 1, r.logs);
  assert.match(r.logs, /is not a directory/, r.logs);
  // a full disk: no byte may be written (RLIMIT_FSIZE 0; hearthd ignores SIGXFSZ)
  r = await runToExit({ data_dir: dataDir() }, ['prlimit', '--fsize=0']);
  assert.equal(r.code, 1, r.logs);
  assert.match(r.logs, /level=error mod=durable msg="cannot .*hearth\.db: .*File too large/, r.logs);
});

test('the disk fills up at run time: publishes get error 100 and /health 503; once space is back it recovers and nothing acknowledged is lost', async () => {
  const dir = dataDir();
  // 600 KiB per file; the test frees the space by raising the limit on the running process
  let h = await startHearthd(durCfg(dir), { wrap: ['prlimit', '--fsize=614400:unlimited'] });
  const c = sdk(h); clients.push(c);
  c.connect(); await c.ready(5000);
  const big = 'x'.repeat(8000);
  const acked = [];
  let failed = null;
  // A first failure (the WAL at the limit) may pass: the checkpointer copies
  // the WAL into the database and the next commit starts it over. Publish
  // until three in a row fail: then the database file is at the limit too.
  for (let i = 0, fails = 0; i < 1000 && fails < 3; i++) {
    try {
      await c.publish('dur:full', { i, big });
      acked.push(i);
      fails = 0;
    } catch (e) {
      failed = e;
      assert.equal(e.code, 100, JSON.stringify(e));
      fails++;
    }
  }
  assert.ok(failed, 'a publish fails once the disk is full');
  assert.ok(acked.length > 10, `some publishes succeeded first (${acked.length})`);
  let health = await fetch(`${h.http}/health`);
  assert.equal(health.status, 503);
  await waitFor(() => /level=error mod=durable msg="commit failed: .*(File too large|disk)/.test(h.logs()), 5000,
    'the failed commit logged');
  // still full: still refused, with nothing half-stored
  await assert.rejects(c.publish('dur:full', { i: -1, big }), (e) => e.code === 100);

  execFileSync('prlimit', ['--pid', String(h.proc.pid), '--fsize=unlimited:unlimited']);
  await waitFor(async () => (await fetch(`${h.http}/health`)).status === 200, 5000, '/health 200 again');
  const more = [];
  for (let i = 1000; i < 1005; i++) { await c.publish('dur:full', { i, big }); more.push(i); }

  await killHard(h);
  h = await startHearthd(durCfg(dir), { port: h.port });
  const res = await history(h, 'dur:full');
  const is = res.publications.map((p) => p.data.i);
  assert.deepEqual(is, [...acked, ...more], 'exactly the acknowledged publications, in order');
  assert.deepEqual(res.publications.map((p) => p.offset), is.map((_, k) => k + 1), 'offsets contiguous');
  c.disconnect();
  await h.stop();
});
