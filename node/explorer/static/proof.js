// tinychain proof verifier for the browser: docs/PROTOCOL.md section 8,
// written to agree byte for byte with the Go verifier chain/proof (the
// vectors in node/explorer/testdata/proof-vectors.json pin that). It trusts
// nothing the node says: every hash is recomputed from the proof's bytes.
//
// Hashes: H is Keccak-256 (Ethereum's, not SHA3-256), implemented below;
// the block hash is SHA-256 of the header's encoding, from crypto.subtle
// where the page is a secure context (https, or http on localhost or
// 127.0.0.1), else from the small implementation below.
//
// Cost bounds (every input is the node's, so hostile): a proof's JSON is
// capped (MAX_PROOF_JSON) before it is parsed; each byte field is capped
// before its hex is decoded (header 512 bytes, account 128, tx 1 MiB,
// receipt 128 KiB, tape 30,000, a sibling or path hash 32); at most 256
// siblings and 64 audit-path hashes. Verifying an account costs at most
// 257 Keccak hashes of 65 bytes plus one of the tape; a tx proof at most
// 2 × 64 + 2 hashes plus one of the tx (at most 1 MiB) and one of the
// receipt. RLP decoding walks each byte once, nested at most 3 deep.
'use strict';

const TinyProof = (() => {
  const MAX_HEADER = 512, MAX_ACCOUNT = 128, MAX_TX = 1 << 20, MAX_RECEIPT = 128 << 10;
  const TAPE_CELLS = 30000, MAX_DEPTH = 256, MAX_AUDIT_PATH = 64;
  const MAX_PROOF_JSON = 8 << 20; // a tx proof at its caps is about 4.7 MB of JSON

  class ProofError extends Error {}
  const fail = msg => { throw new ProofError(msg); };

  // ---- bytes ----

  const toHex = b => '0x' + Array.from(b, x => x.toString(16).padStart(2, '0')).join('');
  const eq = (a, b) => a.length === b.length && a.every((x, i) => x === b[i]);
  const concat = (...parts) => {
    const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
    let o = 0;
    for (const p of parts) { out.set(p, o); o += p.length; }
    return out;
  };

  // hex decodes a 0x-hex JSON string (either case) of at most max bytes,
  // or exactly len bytes when len is given; what is the field's name.
  function hex(s, what, max, len) {
    if (typeof s !== 'string' || s.length > 2 + 2 * max || s.length % 2 || !/^0x[0-9a-fA-F]*$/.test(s)) {
      fail(`${what}: not 0x-hex of at most ${max} bytes`);
    }
    const b = new Uint8Array((s.length - 2) / 2);
    for (let i = 0; i < b.length; i++) b[i] = parseInt(s.substr(2 + 2 * i, 2), 16);
    if (len !== undefined && b.length !== len) fail(`${what}: ${b.length} bytes, want ${len}`);
    return b;
  }
  const hash32 = (s, what) => hex(s, what, 32, 32);
  // hashList is a JSON hash[]: an array, or null for the empty list.
  function hashList(a, what, max) {
    if (a === null || a === undefined) return [];
    if (!Array.isArray(a) || a.length > max) fail(`${what}: not a list of at most ${max} hashes`);
    return a.map((s, i) => hash32(s, `${what}[${i}]`));
  }
  // uint reads a JSON number field as a safe integer (a count or index
  // past 2^53 cannot be a real block's, and JSON numbers lose it anyway).
  function uint(n, what) {
    if (!Number.isSafeInteger(n) || n < 0) fail(`${what}: not an integer from 0 to 2^53`);
    return n;
  }

  // ---- Keccak-256 (Keccak-f[1600], rate 136 bytes, padding 0x01..0x80) ----

  // Round constants as [lo, hi] 32-bit halves, and the rotation of each
  // lane x + 5y.
  const RC = [
    1, 0, 0x8082, 0, 0x808a, 0x80000000, 0x80008000, 0x80000000, 0x808b, 0, 0x80000001, 0,
    0x80008081, 0x80000000, 0x8009, 0x80000000, 0x8a, 0, 0x88, 0, 0x80008009, 0, 0x8000000a, 0,
    0x8000808b, 0, 0x8b, 0x80000000, 0x8089, 0x80000000, 0x8003, 0x80000000, 0x8002, 0x80000000,
    0x80, 0x80000000, 0x800a, 0, 0x8000000a, 0x80000000, 0x80008081, 0x80000000, 0x8080, 0x80000000,
    0x80000001, 0, 0x80008008, 0x80000000];
  const ROT = [0, 1, 62, 28, 27, 36, 44, 6, 55, 20, 3, 10, 43, 25, 39, 41, 45, 15, 21, 8, 18, 2, 61, 56, 14];

  function keccakF(s) {
    const c = new Uint32Array(10), b = new Uint32Array(50);
    for (let round = 0; round < 24; round++) {
      // theta
      for (let x = 0; x < 5; x++) {
        c[2 * x] = s[2 * x] ^ s[2 * x + 10] ^ s[2 * x + 20] ^ s[2 * x + 30] ^ s[2 * x + 40];
        c[2 * x + 1] = s[2 * x + 1] ^ s[2 * x + 11] ^ s[2 * x + 21] ^ s[2 * x + 31] ^ s[2 * x + 41];
      }
      for (let x = 0; x < 5; x++) {
        const p = (x + 4) % 5, n = (x + 1) % 5;
        const dl = c[2 * p] ^ ((c[2 * n] << 1) | (c[2 * n + 1] >>> 31));
        const dh = c[2 * p + 1] ^ ((c[2 * n + 1] << 1) | (c[2 * n] >>> 31));
        for (let y = 0; y < 25; y += 5) {
          s[2 * (x + y)] ^= dl;
          s[2 * (x + y) + 1] ^= dh;
        }
      }
      // rho and pi: lane (x, y) rotated goes to (y, 2x + 3y)
      for (let x = 0; x < 5; x++) {
        for (let y = 0; y < 5; y++) {
          const i = x + 5 * y, j = y + 5 * ((2 * x + 3 * y) % 5), r = ROT[i];
          let lo = s[2 * i], hi = s[2 * i + 1];
          if (r >= 32) { const t = lo; lo = hi; hi = t; }
          const k = r % 32;
          if (k) { const t = lo; lo = (lo << k) | (hi >>> (32 - k)); hi = (hi << k) | (t >>> (32 - k)); }
          b[2 * j] = lo;
          b[2 * j + 1] = hi;
        }
      }
      // chi
      for (let y = 0; y < 25; y += 5) {
        for (let x = 0; x < 5; x++) {
          const i = 2 * (x + y), i1 = 2 * ((x + 1) % 5 + y), i2 = 2 * ((x + 2) % 5 + y);
          s[i] = b[i] ^ (~b[i1] & b[i2]);
          s[i + 1] = b[i + 1] ^ (~b[i1 + 1] & b[i2 + 1]);
        }
      }
      // iota
      s[0] ^= RC[2 * round];
      s[1] ^= RC[2 * round + 1];
    }
  }

  // keccak256 hashes the concatenation of its arguments (Uint8Arrays).
  function keccak256(...parts) {
    const data = parts.length === 1 ? parts[0] : concat(...parts);
    const RATE = 136, s = new Uint32Array(50);
    const padded = new Uint8Array((Math.floor(data.length / RATE) + 1) * RATE);
    padded.set(data);
    padded[data.length] ^= 0x01;
    padded[padded.length - 1] ^= 0x80;
    for (let off = 0; off < padded.length; off += RATE) {
      for (let i = 0; i < RATE / 4; i++) {
        const o = off + 4 * i;
        s[i] ^= padded[o] | (padded[o + 1] << 8) | (padded[o + 2] << 16) | (padded[o + 3] << 24);
      }
      keccakF(s);
    }
    const out = new Uint8Array(32);
    for (let i = 0; i < 32; i++) out[i] = (s[i >> 2] >>> (8 * (i & 3))) & 0xff;
    return out;
  }

  // ---- SHA-256: crypto.subtle when the page may use it, else this ----

  const K256 = new Uint32Array([
    0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5,
    0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174,
    0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
    0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967,
    0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85,
    0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
    0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
    0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2]);

  function sha256js(data) {
    const hs = new Uint32Array([0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a, 0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19]);
    const n = Math.ceil((data.length + 9) / 64) * 64, m = new Uint8Array(n);
    m.set(data);
    m[data.length] = 0x80;
    const bitsLen = data.length * 8; // < 2^53
    for (let i = 0; i < 8; i++) m[n - 1 - i] = Math.floor(bitsLen / 2 ** (8 * i)) & 0xff;
    const w = new Uint32Array(64), rotr = (x, r) => (x >>> r) | (x << (32 - r));
    for (let off = 0; off < n; off += 64) {
      for (let i = 0; i < 16; i++) {
        const o = off + 4 * i;
        w[i] = (m[o] << 24) | (m[o + 1] << 16) | (m[o + 2] << 8) | m[o + 3];
      }
      for (let i = 16; i < 64; i++) {
        const s0 = rotr(w[i - 15], 7) ^ rotr(w[i - 15], 18) ^ (w[i - 15] >>> 3);
        const s1 = rotr(w[i - 2], 17) ^ rotr(w[i - 2], 19) ^ (w[i - 2] >>> 10);
        w[i] = w[i - 16] + s0 + w[i - 7] + s1;
      }
      let [a, b, c, d, e, f, g, h] = hs;
      for (let i = 0; i < 64; i++) {
        const t1 = (h + (rotr(e, 6) ^ rotr(e, 11) ^ rotr(e, 25)) + ((e & f) ^ (~e & g)) + K256[i] + w[i]) >>> 0;
        const t2 = ((rotr(a, 2) ^ rotr(a, 13) ^ rotr(a, 22)) + ((a & b) ^ (a & c) ^ (b & c))) >>> 0;
        h = g; g = f; f = e; e = (d + t1) >>> 0; d = c; c = b; b = a; a = (t1 + t2) >>> 0;
      }
      hs[0] += a; hs[1] += b; hs[2] += c; hs[3] += d; hs[4] += e; hs[5] += f; hs[6] += g; hs[7] += h;
    }
    const out = new Uint8Array(32);
    for (let i = 0; i < 32; i++) out[i] = (hs[i >> 2] >>> (24 - 8 * (i & 3))) & 0xff;
    return out;
  }

  // subtle says whether sha256 uses crypto.subtle: only in a secure
  // context, where the browser offers it (tests turn it off to check the
  // fallback).
  let subtle = typeof crypto !== 'undefined' && !!crypto.subtle && (typeof isSecureContext === 'undefined' || isSecureContext);
  async function sha256(data) {
    if (subtle) return new Uint8Array(await crypto.subtle.digest('SHA-256', data));
    return sha256js(data);
  }

  // ---- RLP (section 1): decode strictly, then require the canonical form ----

  // item reads one RLP item of b[pos..end): a Uint8Array for a string, an
  // array of items for a list (depth bounds nesting).
  function item(b, pos, end, depth) {
    if (pos >= end) fail('rlp: unexpected end');
    const p = b[pos];
    let off, len;
    if (p < 0x80) return { v: b.subarray(pos, pos + 1), next: pos + 1 };
    if (p < 0xb8 || (p >= 0xc0 && p < 0xf8)) {
      off = pos + 1;
      len = p - (p < 0xc0 ? 0x80 : 0xc0);
    } else {
      const ll = p - (p < 0xc0 ? 0xb7 : 0xf7);
      if (pos + 1 + ll > end) fail('rlp: length runs past the end');
      len = 0;
      for (let i = 0; i < ll; i++) len = len * 256 + b[pos + 1 + i];
      off = pos + 1 + ll;
    }
    if (len > end - off) fail('rlp: value runs past the end');
    if (p < 0xc0) return { v: b.subarray(off, off + len), next: off + len };
    if (depth <= 0) fail('rlp: nested too deep');
    const list = [];
    for (let q = off; q < off + len;) {
      const it = item(b, q, off + len, depth - 1);
      list.push(it.v);
      q = it.next;
    }
    return { v: list, next: off + len };
  }

  function encLen(len, base) {
    if (len < 56) return Uint8Array.of(base + len);
    const lb = [];
    for (let n = len; n > 0; n = Math.floor(n / 256)) lb.unshift(n % 256);
    return Uint8Array.of(base + 55 + lb.length, ...lb);
  }
  // encode encodes an item: a Uint8Array, or an array of items.
  function encode(v) {
    if (v instanceof Uint8Array) {
      if (v.length === 1 && v[0] < 0x80) return v;
      return concat(encLen(v.length, 0x80), v);
    }
    const body = concat(...v.map(encode));
    return concat(encLen(body.length, 0xc0), body);
  }
  // uintBytes is the minimal big-endian form of a BigInt (0: empty).
  function uintBytes(n) {
    const out = [];
    for (let x = BigInt(n); x > 0n; x >>= 8n) out.unshift(Number(x & 0xffn));
    return Uint8Array.from(out);
  }
  const beInt = b => b.reduce((n, x) => (n << 8n) | BigInt(x), 0n);

  // Field kinds: an unsigned integer of n bytes ('u1', 'u4', 'u8', read as
  // a BigInt), a fixed-length string ('b20', 'b32', 'b65'), any string
  // ('bytes'), a list of hashes ('hashes').
  function field(v, kind, what) {
    if (kind === 'hashes') {
      if (!Array.isArray(v)) fail(`${what}: not a list`);
      return v.map((x, i) => field(x, 'b32', `${what}[${i}]`));
    }
    if (!(v instanceof Uint8Array)) fail(`${what}: a list where a string belongs`);
    if (kind === 'bytes') return v;
    const n = +kind.slice(1);
    if (kind[0] === 'u') {
      if (v.length > n) fail(`${what}: integer of ${v.length} bytes, more than ${n}`);
      return beInt(v);
    }
    if (v.length !== n) fail(`${what}: ${v.length} bytes, want ${n}`);
    return v;
  }
  function unfield(x, kind) {
    if (kind === 'hashes') return x.map(h => h);
    return kind[0] === 'u' ? uintBytes(x) : x;
  }

  // decodeStruct decodes b as the RLP list of the named fields, bounded by
  // max bytes, and requires b to be its canonical encoding.
  function decodeStruct(b, fields, what, max) {
    if (b.length > max) fail(`${what}: ${b.length} bytes, more than ${max}`);
    const { v, next } = item(b, 0, b.length, 2);
    if (next !== b.length) fail(`${what}: trailing bytes`);
    if (!Array.isArray(v)) fail(`${what}: not a list`);
    if (v.length !== fields.length) fail(`${what}: ${v.length} fields, want ${fields.length}`);
    const out = {};
    fields.forEach(([name, kind], i) => { out[name] = field(v[i], kind, `${what}.${name}`); });
    if (!eq(encode(fields.map(([name, kind]) => unfield(out[name], kind))), b)) {
      fail(`${what}: not the canonical encoding`);
    }
    return out;
  }

  const HEADER = [['version', 'u4'], ['height', 'u8'], ['prev_hash', 'b32'], ['timestamp', 'u8'],
    ['target', 'b32'], ['miner', 'b20'], ['tx_root', 'b32'], ['state_root', 'b32'],
    ['receipts_root', 'b32'], ['nonce', 'u8']];
  const ACCOUNT = [['nonce', 'u8'], ['balance', 'u8'], ['code_hash', 'b32'], ['tape_hash', 'b32']];
  const TX = [['chain_id', 'u8'], ['nonce', 'u8'], ['kind', 'u1'], ['to', 'b20'], ['value', 'u8'],
    ['gas_limit', 'u8'], ['gas_price', 'u8'], ['data', 'bytes'], ['sig', 'b65']];
  const RECEIPT = [['status', 'u1'], ['gas_used', 'u8'], ['output', 'bytes'], ['err_code', 'u1'], ['fault_at', 'u8']];

  const decodeHeader = b => decodeStruct(b, HEADER, 'header', MAX_HEADER);
  const encodeHeader = h => encode(HEADER.map(([name, kind]) => unfield(h[name], kind)));

  // Receipt codes (section 4): each code's status, and whether it names a
  // command (fault_at may be non-zero).
  const CODES = [[0, false], [1, true], [1, false], [2, true], [2, true], [2, true], [2, false], [2, false]];
  const STATUS = ['ok', 'out_of_gas', 'fault'];
  function decodeReceipt(b) {
    const r = decodeStruct(b, RECEIPT, 'receipt', MAX_RECEIPT);
    const code = CODES[Number(r.err_code)];
    if (!code) fail(`receipt: unknown error code ${r.err_code}`);
    if (r.status !== BigInt(code[0])) fail(`receipt: status ${r.status} with error code ${r.err_code}`);
    if (!code[1] && r.fault_at !== 0n) fail(`receipt: fault_at ${r.fault_at} with error code ${r.err_code}`);
    r.status_name = STATUS[Number(r.status)];
    return r;
  }

  // ---- trees (sections 1, 2 and 8) ----

  const ZERO = new Uint8Array(32);
  const isZero = b => b.every(x => x === 0);
  const bit = (b, i) => (b[i >> 3] >> (7 - (i & 7))) & 1;
  const node = (l, r) => keccak256(Uint8Array.of(1), l, r);
  const smtLeaf = (k, v) => keccak256(Uint8Array.of(0), k, v);
  function commonPrefix(a, b) {
    for (let i = 0; i < 256; i++) if (bit(a, i) !== bit(b, i)) return i;
    return 256;
  }

  // verifySMT checks that smt (the JSON smt_proof) proves under root that
  // key holds value (zero: absent), section 8.1's steps; it returns how the
  // path ended: 'empty', 'other-leaf' or 'key-leaf'.
  function verifySMT(root, key, value, smt) {
    if (!smt || typeof smt !== 'object') fail('smt_proof: missing');
    const d = uint(smt.depth, 'depth');
    if (d > MAX_DEPTH) fail(`depth ${d}`);
    const bitmap = hex(smt.bitmap, 'bitmap', 32);
    const sibs = hashList(smt.siblings, 'siblings', MAX_DEPTH);
    const lk = hex(smt.leaf_key, 'leaf_key', 32), lv = hex(smt.leaf_value, 'leaf_value', 32);
    let term, h;
    if (!isZero(value)) {
      if (lk.length || lv.length) fail('a presence proof shows another leaf');
      term = 'key-leaf';
      h = smtLeaf(key, value);
    } else if (!lk.length && !lv.length) {
      term = 'empty';
      h = ZERO;
    } else {
      if (lk.length !== 32 || lv.length !== 32) fail(`leaf of ${lk.length} and ${lv.length} bytes`);
      if (eq(lk, key)) fail("an absence proof ends at the key's own leaf");
      if (isZero(lv)) fail('leaf with a zero value');
      if (commonPrefix(lk, key) < d) fail("the leaf is off the key's path");
      term = 'other-leaf';
      h = smtLeaf(lk, lv);
    }
    if (bitmap.length !== Math.ceil(d / 8)) fail(`bitmap of ${bitmap.length} bytes for depth ${d}`);
    let n = 0;
    bitmap.forEach((b, i) => {
      if (i * 8 + 8 > d && (b & (0xff >> (d - i * 8))) !== 0) fail(`bitmap bits past depth ${d}`);
      for (let x = b; x; x &= x - 1) n++;
    });
    if (n !== sibs.length) fail(`bitmap marks ${n} siblings, proof has ${sibs.length}`);
    if (d > 0 && bit(bitmap, d - 1) === 0) fail('empty sibling at the last depth');
    let next = sibs.length - 1;
    for (let i = d - 1; i >= 0; i--) {
      const sib = bit(bitmap, i) ? sibs[next--] : ZERO;
      h = bit(key, i) === 0 ? node(h, sib) : node(sib, h);
    }
    if (!eq(h, root)) fail(`path leads to root ${toHex(h)}, not ${toHex(root)}`);
    return term;
  }

  // verifyAuditPath checks an RFC 6962 audit path (RFC 9162 2.1.3.2) of
  // leaf d at index of count leaves up to root.
  function verifyAuditPath(root, d, index, count, path) {
    if (index >= count) fail(`index ${index} of ${count} leaves`);
    if (path.length > MAX_AUDIT_PATH) fail(`audit path of ${path.length} hashes`);
    let r = keccak256(Uint8Array.of(0), d);
    // fn and sn as BigInts: shifts of Numbers are 32-bit.
    let fn = BigInt(index), sn = BigInt(count) - 1n;
    for (const p of path) {
      if (sn === 0n) fail('audit path too long');
      if ((fn & 1n) === 1n || fn === sn) {
        r = node(p, r);
        while ((fn & 1n) === 0n && fn !== 0n) { fn >>= 1n; sn >>= 1n; }
      } else {
        r = node(r, p);
      }
      fn >>= 1n;
      sn >>= 1n;
    }
    if (sn !== 0n) fail('audit path too short');
    if (!eq(r, root)) fail(`audit path leads to ${toHex(r)}, not ${toHex(root)}`);
  }

  // ---- proofs (sections 8.1 and 8.2), from their JSON form ----

  // verifyAccount checks an account_proof (JSON) for address (0x-hex) and
  // returns {account (null when absent), header, hash (the header's),
  // ending}. As chain/proof.VerifyAccount: the caller must still hold the
  // hash as a block it trusts.
  async function verifyAccount(p, address) {
    if (!p || typeof p !== 'object') fail('no proof');
    const a = hex(address, 'address', 20, 20);
    const pa = hex(p.address, 'proof address', 20, 20);
    if (!eq(pa, a)) fail(`proof is for ${toHex(pa)}, not ${toHex(a)}`);
    const hb = hex(p.header, 'header', MAX_HEADER);
    const header = decodeHeader(hb);
    const ab = hex(p.account, 'account', MAX_ACCOUNT);
    let account = null, value = ZERO;
    if (ab.length) {
      account = decodeStruct(ab, ACCOUNT, 'account', MAX_ACCOUNT);
      if (!account.nonce && !account.balance && isZero(account.code_hash) && isZero(account.tape_hash)) {
        fail('an all-zero account is absent, not stored');
      }
      value = keccak256(ab);
    }
    const ending = verifySMT(header.state_root, keccak256(a), value, p.proof);
    if ((ending === 'key-leaf') !== (account !== null)) fail('presence does not match the account');
    const tape = hex(p.tape, 'tape', TAPE_CELLS);
    if (tape.length) {
      if (!account) fail('a tape for an absent account');
      if (tape[tape.length - 1] === 0) fail('tape not compact (a trailing zero cell)');
      if (!eq(keccak256(tape), account.tape_hash)) fail("tape does not hash to the account's tape_hash");
    }
    return { account, header, hash: await sha256(hb), ending };
  }

  // verifyTx checks a tx_proof (JSON) and returns {txHash, tx, receipt,
  // header, hash (the header's), index}.
  async function verifyTx(p) {
    if (!p || typeof p !== 'object') fail('no proof');
    const hb = hex(p.header, 'header', MAX_HEADER);
    const header = decodeHeader(hb);
    const tb = hex(p.tx, 'tx', MAX_TX);
    const tx = decodeStruct(tb, TX, 'tx', MAX_TX);
    const rb = hex(p.receipt, 'receipt', MAX_RECEIPT);
    const receipt = decodeReceipt(rb);
    const index = uint(p.index, 'index'), count = uint(p.count, 'count');
    const txPath = hashList(p.tx_path, 'tx_path', MAX_AUDIT_PATH);
    const rPath = hashList(p.receipt_path, 'receipt_path', MAX_AUDIT_PATH);
    const txHash = keccak256(tb);
    try {
      verifyAuditPath(header.tx_root, txHash, index, count, txPath);
    } catch (e) { fail('tx: ' + e.message); }
    try {
      verifyAuditPath(header.receipts_root, keccak256(rb), index, count, rPath);
    } catch (e) { fail('receipt: ' + e.message); }
    return { txHash, tx, receipt, header, hash: await sha256(hb), index };
  }

  // rawAccount and rawTx re-encode a proof's JSON form as its wire form
  // (RLP), which the API's "raw" must equal.
  const rawAccount = p => encode([hex(p.address, 'address', 20, 20), hex(p.header, 'header', MAX_HEADER),
    hex(p.account, 'account', MAX_ACCOUNT),
    [uintBytes(uint(p.proof.depth, 'depth')), hex(p.proof.bitmap, 'bitmap', 32),
      hashList(p.proof.siblings, 'siblings', MAX_DEPTH), hex(p.proof.leaf_key, 'leaf_key', 32),
      hex(p.proof.leaf_value, 'leaf_value', 32)],
    hex(p.tape, 'tape', TAPE_CELLS)]);
  const rawTx = p => encode([hex(p.header, 'header', MAX_HEADER), hex(p.tx, 'tx', MAX_TX),
    hex(p.receipt, 'receipt', MAX_RECEIPT), uintBytes(uint(p.index, 'index')), uintBytes(uint(p.count, 'count')),
    hashList(p.tx_path, 'tx_path', MAX_AUDIT_PATH), hashList(p.receipt_path, 'receipt_path', MAX_AUDIT_PATH)]);

  // checkPoW checks a header's proof of work: its hash, read as a
  // big-endian integer, is at most its target (section 1); the genesis
  // block (height 0) has none, its hash is fixed by the genesis file.
  // Whether the target is the one the chain's rules give is a light
  // client's check.
  function checkPoW(header, hash) {
    if (header.height === 0n) return;
    if (beInt(hash) > beInt(header.target)) fail(`block hash ${toHex(hash)} is above its target ${toHex(header.target)}`);
  }

  // headerFromJSON rebuilds a header from the API's block JSON (its
  // encoding is what the block hash is of).
  function headerFromJSON(b) {
    const n = (v, what) => {
      if (!(Number.isSafeInteger(v) && v >= 0) && !(typeof v === 'string' && /^\d{1,20}$/.test(v))) fail(`block ${what}: not an integer`);
      return BigInt(v);
    };
    return {
      version: n(b.version, 'version'), height: n(b.height, 'height'), prev_hash: hash32(b.prev_hash, 'prev_hash'),
      timestamp: n(b.timestamp, 'timestamp'), target: hash32(b.target, 'target'), miner: hex(b.miner, 'miner', 20, 20),
      tx_root: hash32(b.tx_root, 'tx_root'), state_root: hash32(b.state_root, 'state_root'),
      receipts_root: hash32(b.receipts_root, 'receipts_root'), nonce: n(b.nonce, 'nonce'),
    };
  }

  // readProofJSON reads a fetch Response's body as JSON, at most
  // MAX_PROOF_JSON bytes of it.
  async function readProofJSON(res) {
    const len = Number(res.headers.get('Content-Length'));
    if (len > MAX_PROOF_JSON) fail(`answer of ${len} bytes, more than ${MAX_PROOF_JSON}`);
    const reader = res.body.getReader(), chunks = [];
    let total = 0;
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      total += value.length;
      if (total > MAX_PROOF_JSON) {
        reader.cancel();
        fail(`answer of more than ${MAX_PROOF_JSON} bytes`);
      }
      chunks.push(value);
    }
    try {
      return JSON.parse(new TextDecoder().decode(concat(...chunks)));
    } catch (e) {
      fail('answer is not JSON: ' + e.message);
    }
  }

  return {
    ProofError, verifyAccount, verifyTx, verifySMT, verifyAuditPath, checkPoW, rawAccount, rawTx,
    decodeHeader, encodeHeader, headerFromJSON, readProofJSON, keccak256, sha256, sha256js, toHex, hex, eq, beInt,
    set subtle(on) { subtle = on; }, get subtle() { return subtle; },
  };
})();
