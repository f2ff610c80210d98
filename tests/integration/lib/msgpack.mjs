// tests/integration/lib/msgpack.mjs — a tiny msgpack encoder/decoder for the
// hearth-msgpack tests (maps, arrays, strings, bin, ints, bools, nil), so the
// suite needs no extra npm package. decodeAll() splits a frame of
// concatenated messages.
export function encode(v) {
  const out = [];
  const u8 = (b) => out.push(b & 0xff);
  const be = (n, bytes) => { for (let i = bytes - 1; i >= 0; i--) u8(Number((BigInt(n) >> BigInt(8 * i)) & 0xffn)); };
  const enc = (x) => {
    if (x === null || x === undefined) u8(0xc0);
    else if (x === true) u8(0xc3);
    else if (x === false) u8(0xc2);
    else if (typeof x === 'number') {
      if (!Number.isInteger(x)) throw new Error('floats not needed');
      if (x >= 0 && x < 128) u8(x);
      else if (x < 0 && x >= -32) u8(0x100 + x);
      else if (x >= 0 && x < 2 ** 32) { u8(0xce); be(x, 4); }
      else if (x >= 0) { u8(0xcf); be(x, 8); }
      else { u8(0xd3); be(BigInt.asUintN(64, BigInt(x)), 8); }
    } else if (typeof x === 'string') {
      const b = Buffer.from(x, 'utf8');
      if (b.length < 32) u8(0xa0 | b.length); else { u8(0xdb); be(b.length, 4); }
      out.push(...b);
    } else if (Buffer.isBuffer(x)) { u8(0xc6); be(x.length, 4); out.push(...x); }
    else if (Array.isArray(x)) { u8(0xdd); be(x.length, 4); x.forEach(enc); }
    else { const ks = Object.keys(x); u8(0xdf); be(ks.length, 4); for (const k of ks) { enc(k); enc(x[k]); } }
  };
  enc(v);
  return Buffer.from(out);
}

export function decodeAll(buf) {
  let p = 0;
  const rd = (n) => { let v = 0n; for (let i = 0; i < n; i++) v = (v << 8n) | BigInt(buf[p++]); return v; };
  const num = (v) => (v <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(v) : v);
  const str = (n) => { const s = buf.subarray(p, p + n).toString('utf8'); p += n; return s; };
  const bin = (n) => { const b = Buffer.from(buf.subarray(p, p + n)); p += n; return b; };
  const map = (n) => { const o = {}; for (let i = 0; i < n; i++) { const k = dec(); o[k] = dec(); } return o; };
  const arr = (n) => { const a = []; for (let i = 0; i < n; i++) a.push(dec()); return a; };
  function dec() {
    const t = buf[p++];
    if (t <= 0x7f) return t;
    if (t >= 0xe0) return t - 0x100;
    if ((t & 0xf0) === 0x80) return map(t & 0x0f);
    if ((t & 0xf0) === 0x90) return arr(t & 0x0f);
    if ((t & 0xe0) === 0xa0) return str(t & 0x1f);
    switch (t) {
      case 0xc0: return null;
      case 0xc2: return false;
      case 0xc3: return true;
      case 0xc4: return bin(Number(rd(1)));
      case 0xc5: return bin(Number(rd(2)));
      case 0xc6: return bin(Number(rd(4)));
      case 0xcc: return num(rd(1));
      case 0xcd: return num(rd(2));
      case 0xce: return num(rd(4));
      case 0xcf: return num(rd(8));
      case 0xd0: return Number(BigInt.asIntN(8, rd(1)));
      case 0xd1: return Number(BigInt.asIntN(16, rd(2)));
      case 0xd2: return Number(BigInt.asIntN(32, rd(4)));
      case 0xd3: return num(BigInt.asIntN(64, rd(8)));
      case 0xd9: return str(Number(rd(1)));
      case 0xda: return str(Number(rd(2)));
      case 0xdb: return str(Number(rd(4)));
      case 0xdc: return arr(Number(rd(2)));
      case 0xdd: return arr(Number(rd(4)));
      case 0xde: return map(Number(rd(2)));
      case 0xdf: return map(Number(rd(4)));
      default: throw new Error(`unsupported msgpack type 0x${t.toString(16)}`);
    }
  }
  const msgs = [];
  while (p < buf.length) msgs.push(dec());
  return msgs;
}
