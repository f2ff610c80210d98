// tests/hostile/ws-close.test.mjs — how the server ends a WebSocket: close
// reasons are valid UTF-8 whatever their length (an invalid one turns a
// terminal disconnect into a reconnect loop), a client that keeps sending
// after a fatal error still gets its close frame (no TCP reset over it), and
// an unmasked client frame fails the connection (RFC 6455 5.1: 1002).
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import net from 'node:net';
import { api, assertServing, mintToken, once, rawWs, sdk, sleep, startHearthd, waitFor } from './lib.mjs';

/** One client WebSocket frame (FIN set); masked unless mask === false. */
function wsFrame(opcode, payload, { mask = true } = {}) {
  const p = Buffer.from(payload);
  const head = [0x80 | opcode];
  const m = mask ? 0x80 : 0;
  if (p.length < 126) head.push(m | p.length);
  else if (p.length < 65536) head.push(m | 126, p.length >> 8, p.length & 0xff);
  else throw new Error('frame too long for this helper');
  if (!mask) return Buffer.concat([Buffer.from(head), p]);
  const key = randomBytes(4);
  const body = Buffer.alloc(p.length);
  for (let i = 0; i < p.length; i++) body[i] = p[i] ^ key[i & 3];
  return Buffer.concat([Buffer.from(head), key, body]);
}

/** Raw TCP WebSocket: handshake done; resolves {sock, frames(), closed}. Server
 * frames are parsed as they arrive; `end` says how the TCP connection ended
 * ('fin', 'reset' or null while open). */
function rawSocket(h) {
  return new Promise((resolve, reject) => {
    const sock = net.connect(h.port, '127.0.0.1');
    let buf = Buffer.alloc(0);
    let upgraded = false;
    const st = { sock, frames: [], end: null, done: null };
    st.done = new Promise((r) => { st.finish = r; });
    const parse = () => {
      for (;;) {
        if (buf.length < 2) return;
        let len = buf[1] & 0x7f, off = 2;
        if (len === 126) { if (buf.length < 4) return; len = buf.readUInt16BE(2); off = 4; }
        else if (len === 127) { if (buf.length < 10) return; len = Number(buf.readBigUInt64BE(2)); off = 10; }
        if (buf.length < off + len) return;
        st.frames.push({ opcode: buf[0] & 0x0f, payload: buf.subarray(off, off + len) });
        buf = buf.subarray(off + len);
      }
    };
    sock.on('connect', () => {
      sock.write('GET /connection/websocket HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\n' +
        'Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n' +
        'Sec-WebSocket-Version: 13\r\nSec-WebSocket-Protocol: centrifuge-json\r\n\r\n');
    });
    sock.on('data', (d) => {
      buf = Buffer.concat([buf, d]);
      if (!upgraded) {
        const i = buf.indexOf('\r\n\r\n');
        if (i < 0) return;
        const head = buf.subarray(0, i).toString();
        if (!/^HTTP\/1.1 101/.test(head)) { reject(new Error(head)); return; }
        upgraded = true;
        buf = buf.subarray(i + 4);
        resolve(st);
      }
      parse();
    });
    sock.on('error', (e) => { if (!st.end) st.end = e.code === 'ECONNRESET' ? 'reset' : e.code; st.finish(); });
    sock.on('end', () => { if (!st.end) st.end = 'fin'; });
    sock.on('close', () => { if (!st.end) st.end = 'fin'; st.finish(); });
  });
}

/** {code, reason} of the first close frame received, or null. */
function closeOf(st) {
  const f = st.frames.find((x) => x.opcode === 8);
  if (!f) return null;
  return { code: f.payload.length >= 2 ? f.payload.readUInt16BE(0) : 1005, reason: f.payload.subarray(2) };
}

describe('ws close', () => {
  let h;
  before(async () => { h = await startHearthd({}); });
  after(() => h.stop());

  test('a client streaming garbage after a fatal error still gets its 3501 close frame', async () => {
    for (let round = 0; round < 5; round++) {
      const st = await rawSocket(h);
      st.sock.write(wsFrame(1, '{"id":1,"connect":'));   // malformed: 3501
      const junk = wsFrame(1, 'x'.repeat(4000));
      let stop = false;
      const pump = () => { if (stop || st.end) return; while (st.sock.write(junk)) { if (stop) return; } st.sock.once('drain', pump); };
      pump();
      const feed = setInterval(() => { if (!st.end) st.sock.write(junk); }, 1);
      await Promise.race([st.done, sleep(8000),
        waitFor(() => closeOf(st) || st.end, 8000, 'close').catch(() => {})]);
      stop = true; clearInterval(feed);
      st.sock.destroy();
      const cl = closeOf(st);
      assert.ok(cl, `round ${round}: no close frame; TCP ended: ${st.end}`);
      assert.equal(cl.code, 3501);
    }
    await assertServing(h);
  });

  test('a long multi-byte API disconnect reason is valid UTF-8: the SDK honours the terminal code', async () => {
    const reason = 'é'.repeat(50); // 100 bytes: the API's limit
    const c = sdk(h, { token: mintToken({ sub: 'u7' }) });
    const events = [];
    c.on('connecting', (ctx) => events.push(['connecting', ctx.code]));
    c.on('disconnected', (ctx) => events.push(['disconnected', ctx.code, ctx.reason]));
    c.connect();
    await once(c, 'connected');
    events.length = 0;
    const r = await api(h, 'disconnect', { user: 'u7', disconnect: { code: 4501, reason } });
    assert.equal(r.status, 200, r.text);
    await waitFor(() => events.length > 0, 5000, 'disconnected');
    await sleep(1000); // a transport failure would show up as connecting (reconnect) here
    assert.deepEqual(events, [['disconnected', 4501, reason]]);
    assert.equal(c.state, 'disconnected');
    c.disconnect();
  });

  test('a raw client gets the close reason intact and valid UTF-8', async () => {
    const reason = '😀'.repeat(25); // 100 bytes of 4-byte characters
    const c = await rawWs(h);
    c.send({ id: 1, connect: { token: mintToken({ sub: 'u7raw' }) } });
    assert.ok((await c.reply(1)).connect);
    const r = await api(h, 'disconnect', { user: 'u7raw', disconnect: { code: 3599, reason } });
    assert.equal(r.status, 200, r.text);
    const cl = await Promise.race([c.closed, sleep(5000).then(() => ({ code: 'none' }))]);
    assert.deepEqual(cl, { code: 3599, reason });
  });

  test('an unmasked client frame leaves the server serving', async () => {
    const st = await rawSocket(h);
    st.sock.write(wsFrame(1, '{"id":1,"connect":{}}', { mask: false }));
    await Promise.race([st.done, sleep(1500)]);
    st.sock.destroy();
    await assertServing(h);
  });
});

