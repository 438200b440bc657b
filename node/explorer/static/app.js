// tinychain block explorer: a single-page app over the node's JSON API
// (/v1/...). Hash routes (#/block/<id>, #/blocks/<below height>,
// #/tx/<hash>, #/account/<addr>, #/mempool, #/peers) give every page a URL without server help, and the
// server-sent events at /v1/events keep the open page current.
'use strict';

const HOME_ROWS = 20;     // blocks in the home table
const CHART_BLOCKS = 100; // blocks the charts cover (the API's page maximum)
const RATE_WINDOW = 10;   // blocks per hashrate sample: one block's time is too noisy

const $ = sel => document.querySelector(sel);
const app = $('#app');

// ---- DOM and formatting helpers ----

// h builds an element. Children are appended as nodes or text, never as
// HTML, so chain data (tx output, contract code) cannot inject markup.
function h(tag, attrs, ...kids) {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v == null || v === false) continue;
    if (k.startsWith('on')) el.addEventListener(k.slice(2), v);
    else el.setAttribute(k, v === true ? '' : v);
  }
  el.append(...kids.flat(Infinity).filter(k => k != null && k !== false)
    .map(k => (k instanceof Node ? k : String(k))));
  return el;
}

// table builds a table (wrapped so wide tables scroll on small screens).
// With no rows the tbody stays empty, so its rows are always the records,
// and a note below says so.
function table(id, heads, rows, empty = 'None') {
  return h('div', { class: 'scroll' },
    h('table', { id }, h('thead', {}, h('tr', {}, heads.map(t => h('th', {}, t)))),
      h('tbody', {}, rows.map(r => (r instanceof Node ? r : h('tr', {}, r.map(c => h('td', {}, c))))))),
    rows.length ? '' : h('p', { class: 'muted empty' }, empty));
}

// kv is a two-column table of a record's fields.
const kv = pairs => h('table', { class: 'kv' },
  pairs.filter(Boolean).map(([k, ...v]) => h('tr', {}, h('th', {}, k), h('td', {}, v))));

const short = s => (s && s.length > 18 ? s.slice(0, 10) + '…' + s.slice(-6) : s);
const mono = s => h('span', { class: 'mono' }, s);
const blockLink = (id, text) => h('a', { href: '#/block/' + id, class: 'mono', title: id }, text ?? short(id));
const txLink = (hash, full) => h('a', { href: '#/tx/' + hash, class: 'mono', title: hash }, full ? hash : short(hash));
const addrLink = (a, full) => (a ? h('a', { href: '#/account/' + a, class: 'mono', title: a }, full ? a : short(a))
  : h('span', { class: 'muted' }, '—'));
const badge = (text, ok) => h('span', { class: 'badge ' + (ok ? 'ok' : 'bad') }, text);

// Amounts are decimal strings (they pass 2^53), so group digits as text.
const amount = s => String(s).replace(/\B(?=(\d{3})+(?!\d))/g, ',');

// si formats a large number with a metric prefix (difficulty, H/s).
function si(n, unit = '') {
  if (!Number.isFinite(n)) return '—';
  const p = ['', 'k', 'M', 'G', 'T', 'P', 'E'];
  let i = 0;
  while (Math.abs(n) >= 1000 && i < p.length - 1) { n /= 1000; i++; }
  return n.toFixed(n < 10 && i ? 2 : n < 100 && i ? 1 : 0) + ' ' + p[i] + unit;
}

// Header timestamps are unix milliseconds; accept seconds too, in case.
const ms = t => (t < 1e11 ? t * 1000 : t);
const when = t => new Date(ms(t)).toLocaleString();
function ago(t) {
  const s = Math.max(0, Math.round((Date.now() - ms(t)) / 1000));
  if (s < 60) return s + 's ago';
  if (s < 3600) return Math.floor(s / 60) + 'm ' + (s % 60) + 's ago';
  if (s < 86400) return Math.floor(s / 3600) + 'h ' + Math.floor(s % 3600 / 60) + 'm ago';
  return Math.floor(s / 86400) + 'd ago';
}
// An age span is re-rendered every second by the ticker at the bottom.
const age = t => h('span', { class: 'age', 'data-ts': ms(t) }, ago(t));

// difficulty is the expected hashes per block: 2^256 / (target+1).
const difficulty = target => Number((1n << 256n) / (BigInt(target) + 1n));

// hashrate estimates network H/s from blocks oldest first: the work of
// all but the first block over the time since the first.
function hashrate(bs) {
  if (bs.length < 2) return NaN;
  const secs = (ms(bs[bs.length - 1].timestamp) - ms(bs[0].timestamp)) / 1000;
  const work = bs.slice(1).reduce((sum, b) => sum + difficulty(b.target), 0);
  return secs > 0 ? work / secs : NaN;
}

// bytes decodes 0x-hex.
const bytes = hex => Uint8Array.from((hex || '0x').slice(2).match(/../g) || [], b => parseInt(b, 16));

// text shows bytes as UTF-8 if they are valid UTF-8, else as printable
// ASCII; either way other bytes (controls but newline and tab) are dots.
function text(b) {
  let s;
  try {
    s = new TextDecoder('utf-8', { fatal: true }).decode(b);
  } catch {
    s = Array.from(b, c => (c < 128 ? String.fromCharCode(c) : '.')).join('');
  }
  return s.replace(/[\x00-\x08\x0b-\x1f\x7f-\x9f]/g, '.');
}

// byteView shows a byte string as hex and as text.
function byteView(hex) {
  const b = bytes(hex);
  if (!b.length) return h('span', { class: 'muted' }, '(empty)');
  return h('div', { class: 'bytes' },
    h('div', { class: 'muted' }, b.length + ' bytes — hex'), h('pre', { class: 'hex' }, hex),
    h('div', { class: 'muted' }, 'text'), h('pre', {}, text(b)));
}

// ---- API ----

// api fetches /v1/<path> and returns its JSON, or throws the API's error
// with the HTTP status (e.status) so callers can tell a 404.
async function api(path) {
  const res = await fetch('/v1/' + path, { headers: { Accept: 'application/json' } });
  let body = null;
  try { body = JSON.parse(await res.text()); } catch { /* not JSON: keep the status */ }
  if (!res.ok) {
    const e = new Error(`${res.status} ${res.statusText}: ${body?.error || 'request failed'}`);
    e.status = res.status;
    throw e;
  }
  return body;
}

// ---- Pages: each returns an element; it may carry onHead / onTx hooks
// that the event stream calls while it is shown. ----

async function home() {
  let [st, { blocks }] = await Promise.all([api('status'), api('blocks?limit=' + CHART_BLOCKS)]);
  const cards = h('div', { class: 'cards' });
  const charts = h('div', { class: 'charts' });
  const tbody = h('tbody');
  let fresh = null; // the height of a block that just arrived, to flash it

  function draw() {
    const head = blocks[0], old = blocks.slice().reverse();
    const card = (label, ...v) => h('div', { class: 'card' }, h('div', { class: 'label' }, label), h('div', {}, v));
    cards.replaceChildren(
      card('Height', head ? blockLink(head.hash, head.height) : st.height),
      card('Head', blockLink(head ? head.hash : st.head), ' ', age(head ? head.timestamp : st.head_timestamp)),
      card('Difficulty', head ? si(difficulty(head.target)) : '—'),
      card('Network hashrate', si(hashrate(old.slice(-RATE_WINDOW - 1)), 'H/s')),
      card('Mempool', h('a', { href: '#/mempool' }, st.mempool_size + ' txs'), ' ', h('span', { class: 'muted' }, si(st.mempool_bytes, 'B'))),
      card('Peers', h('a', { href: '#/peers' }, st.peers), st.syncing ? h('span', { class: 'muted' }, ' syncing to ' + st.sync_target) : ''));
    // One hashrate sample per block, over the RATE_WINDOW blocks before it.
    const rates = old.map((_, i) => (i < RATE_WINDOW ? NaN : hashrate(old.slice(i - RATE_WINDOW, i + 1))));
    charts.replaceChildren(
      sparkline('Difficulty', old.map(b => difficulty(b.target)), v => si(v)),
      sparkline(`Network hashrate (${RATE_WINDOW}-block window)`, rates, v => si(v, 'H/s')));
    const shown = blocks.slice(0, HOME_ROWS);
    tbody.replaceChildren(...blockRows(shown, fresh));
    const last = shown[shown.length - 1];
    older.replaceChildren(last && last.height > 0 ? h('a', { id: 'older', href: '#/blocks/' + last.height }, 'Older blocks →') : '');
  }
  const older = h('nav', { class: 'pager' });
  draw();

  const node = h('section', {}, h('h1', {}, 'Latest blocks'), cards, charts,
    h('div', { class: 'scroll' }, h('table', { id: 'blocks' },
      h('thead', {}, h('tr', {}, BLOCK_HEADS.map(t => h('th', {}, t)))), tbody)), older);
  // A failed refresh keeps the page as it is; the next event tries again.
  const refreshStatus = throttle(() => api('status').then(s => { st = s; draw(); }, () => {}), 1000);
  node.onHead = async b => {
    if (blocks.length && b.prev_hash !== blocks[0].hash) {
      // A reorg, or events missed on a reconnect: re-read the list.
      try { blocks = (await api('blocks?limit=' + CHART_BLOCKS)).blocks; } catch { return; }
    } else {
      blocks = [b, ...blocks].slice(0, CHART_BLOCKS);
    }
    fresh = b.height;
    draw();
    refreshStatus(); // mempool and peer counts changed too
  };
  node.onTx = refreshStatus;
  return node;
}

const BLOCK_HEADS = ['Height', 'Hash', 'Age', 'Txs', 'Miner'];

// blockRows are the rows of a block list (fresh: a height to flash).
const blockRows = (blocks, fresh) => blocks.map(b => h('tr', { class: b.height === fresh ? 'new' : null },
  h('td', {}, h('a', { href: '#/block/' + b.hash, class: 'height' }, b.height)),
  h('td', {}, blockLink(b.hash)), h('td', {}, age(b.timestamp)),
  h('td', { class: 'num' }, b.tx_count ?? b.txs.length), h('td', {}, addrLink(b.miner))));

// blocks lists the main-chain blocks below height before, HOME_ROWS a
// page, with links to the newer and older pages.
async function blocks(before) {
  before = Number(before);
  const [st, page] = await Promise.all([api('status'), api(`blocks?limit=${HOME_ROWS}&before=${before}`)]);
  document.title = `Blocks below ${before} · tinychain`;
  const bs = page.blocks, last = bs[bs.length - 1];
  const newer = before + HOME_ROWS > st.height ? h('a', { href: '#/' }, '← Latest') : h('a', { href: '#/blocks/' + (before + HOME_ROWS) }, '← Newer');
  return h('section', { id: 'blocks-page' },
    h('h1', {}, bs.length ? `Blocks ${last.height} to ${bs[0].height}` : 'Blocks'),
    h('nav', { class: 'pager' }, newer, last && last.height > 0 ? h('a', { id: 'older', href: '#/blocks/' + last.height }, 'Older →') : ''),
    table('blocks', BLOCK_HEADS, blockRows(bs), 'No blocks below ' + before));
}

// sparkline draws values (oldest first; NaN = no sample) as an inline SVG.
function sparkline(title, values, fmt) {
  const pts = values.map((v, i) => [i, v]).filter(([, v]) => Number.isFinite(v));
  const fig = h('figure', { class: 'chart' });
  if (pts.length < 2) {
    fig.append(h('figcaption', {}, title + ': not enough blocks yet'));
    return fig;
  }
  const W = 400, H = 100, vs = pts.map(p => p[1]);
  const min = Math.min(...vs), max = Math.max(...vs), span = max - min || 1;
  const x = i => (i / Math.max(1, values.length - 1) * W).toFixed(1);
  const y = v => (H - 4 - (v - min) / span * (H - 8)).toFixed(1);
  const line = pts.map(([i, v]) => x(i) + ',' + y(v)).join(' ');
  const svg = document.createElementNS('http://www.w3.org/2000/svg', 'svg');
  svg.setAttribute('viewBox', `0 0 ${W} ${H}`);
  svg.setAttribute('preserveAspectRatio', 'none');
  svg.setAttribute('role', 'img');
  svg.setAttribute('aria-label', title);
  const poly = (tag, points, cls) => {
    const p = document.createElementNS(svg.namespaceURI, tag);
    p.setAttribute('points', points);
    p.setAttribute('class', cls);
    svg.appendChild(p);
  };
  poly('polygon', `${x(pts[0][0])},${H} ${line} ${x(pts[pts.length - 1][0])},${H}`, 'area');
  poly('polyline', line, 'line');
  fig.append(svg, h('figcaption', {}, h('b', {}, title), ' ', fmt(vs[vs.length - 1]),
    h('span', { class: 'muted' }, ` (range ${fmt(min)} – ${fmt(max)}, last ${values.length} blocks)`)));
  return fig;
}

async function block(id) {
  const b = await api('blocks/' + encodeURIComponent(id) + '?full=1');
  document.title = `Block ${b.height} · tinychain`;
  return h('section', {},
    h('h1', {}, 'Block ', b.height, b.main ? '' : h('small', { class: 'muted' }, ' (not on the main chain)')),
    h('nav', { class: 'pager' }, b.height > 0 ? blockLink(b.height - 1, '← ' + (b.height - 1)) : '',
      b.main ? blockLink(b.height + 1, (b.height + 1) + ' →') : ''),
    kv([
      ['Hash', mono(b.hash)],
      ['Height', b.height],
      ['Main chain', b.main ? 'yes' : 'no'],
      ['Previous', b.height > 0 ? blockLink(b.prev_hash, b.prev_hash) : h('span', { class: 'muted' }, 'none (genesis)')],
      ['Timestamp', when(b.timestamp), ' (', age(b.timestamp), ')'],
      ['Miner', addrLink(b.miner, true)],
      b.reward != null && ['Reward', h('span', { id: 'reward' }, amount(b.reward)),
        h('span', { class: 'muted' }, ` (block reward ${amount((BigInt(b.reward) - BigInt(b.fees)).toString())} + fees ${amount(b.fees)})`)],
      b.gas_used != null && ['Gas used', h('span', { id: 'gas-used' }, amount(String(b.gas_used)))],
      ['Target', mono(b.target)],
      ['Difficulty', si(difficulty(b.target)), h('span', { class: 'muted' }, ' expected hashes')],
      ['Nonce', b.nonce],
      ['Total work', b.total_work ? mono(BigInt(b.total_work).toString()) : '—'],
      ['Tx root', mono(b.tx_root)],
      ['State root', mono(b.state_root)],
      ['Receipts root', mono(b.receipts_root)],
      ['Version', b.version],
      ['Size', b.size + ' bytes'],
    ]),
    h('h2', {}, 'Transactions (', b.tx_count, ')'),
    table('txs', ['#', 'Hash', 'Kind', 'From', 'To', 'Value'], b.txs.map((t, i) => [
      (b.tx_offset || 0) + i, txLink(t.hash), t.kind, addrLink(t.from), addrLink(t.to), amount(t.value)]), 'No transactions'),
    // The node renders at most a page of whole txs per request.
    b.txs.length < b.tx_count ? h('p', { class: 'muted' }, `The first ${b.txs.length} of ${b.tx_count} shown.`) : '');
}

async function tx(hash) {
  const s = await api('txs/' + hash);
  const t = s.tx, r = s.receipt, status = s.status || s.state;
  document.title = `Tx ${short(t.hash)} · tinychain`;
  const node = h('section', {},
    h('h1', {}, 'Transaction'),
    kv([
      ['Hash', mono(t.hash)],
      ['Status', txStatus(s)],
      s.reason && ['Reason', h('span', { id: 'reason', class: 'err' }, s.reason)],
      s.block && ['Block', blockLink(s.block, s.height), ' ', h('span', { class: 'muted' }, '(index ' + s.index + ')')],
      ['Kind', t.kind],
      ['From', addrLink(t.from, true)],
      ['To', t.to ? addrLink(t.to, true) : t.kind === 'deploy' ? h('span', { class: 'muted' }, 'a new contract')
        : h('a', { href: '#/account/' + ZERO_ADDR }, 'the world tape')],
      ['Value', amount(t.value)],
      ['Nonce', t.nonce],
      ['Gas limit', t.gas_limit],
      ['Gas price', amount(t.gas_price)],
      r && ['Fee', amount((BigInt(r.gas_used) * BigInt(t.gas_price)).toString())],
      ['Chain id', t.chain_id],
      [t.kind === 'call' ? 'Input' : t.kind === 'transfer' ? 'Data' : 'Code', byteView(t.data)],
      ['Signature', h('span', { class: 'mono wrap' }, t.sig)],
    ]),
    s.block && status === 'included' ? proofBox('tx:' + t.hash, () => checkTxProof(t.hash, s)) : '',
    h('h2', {}, 'Receipt'),
    r ? kv([
      ['Status', badge(r.status, r.status === 'ok')],
      ['Gas used', r.gas_used],
      r.error && ['Error', h('span', { class: 'err' }, r.error), ' ',
        h('span', { class: 'muted' }, `(${r.error_code}${r.fault_at ? ', byte ' + r.fault_at : ''})`)],
      r.contract && ['Contract', addrLink(r.contract, true)],
      ['Output', byteView(r.output)],
    ]) : h('p', { class: 'muted' }, status === 'dropped' ? 'None: the tx left the mempool unmined.'
      : 'None yet: the tx is waiting in the mempool.'));
  // A new head may include it, or add a confirmation.
  if (status !== 'dropped') node.onHead = throttle(refresh, 1000);
  return node;
}

// txStatus is a tx's place in its lifecycle: included with its
// confirmations, pending, queued behind a nonce gap, or dropped.
function txStatus(s) {
  const status = s.status || s.state;
  const note = status === 'included' && s.confirmations ? `${s.confirmations} confirmation${s.confirmations === 1 ? '' : 's'}`
    : status === 'queued' ? `waiting for nonce ${s.waiting_for_nonce}: its sender must send that nonce first`
      : status === 'pending' ? 'in the mempool, waiting for a block'
        : status === 'dropped' ? 'left the mempool without being mined' : '';
  return h('span', { id: 'tx-status' }, badge(status, status === 'included'), ' ', h('span', { class: 'muted' }, note));
}

const ZERO_ADDR = '0x' + '0'.repeat(40); // the world tape lives here

async function account(addr) {
  addr = addr.toLowerCase();
  const a = await api('accounts/' + addr);
  const hasTape = a.is_contract || addr === ZERO_ADDR;
  const [code, tape] = await Promise.all([
    a.is_contract ? api(`accounts/${addr}/code`) : null,
    hasTape ? api(`accounts/${addr}/tape`) : null]);
  document.title = `Account ${short(addr)} · tinychain`;
  const txs = txHistory(addr);
  return h('section', {},
    h('h1', {}, a.is_contract ? 'Contract' : addr === ZERO_ADDR ? 'World tape' : 'Account'),
    kv([
      ['Address', mono(a.address)],
      ['Balance', amount(a.balance)],
      ['Nonce', a.nonce, a.pending_nonce !== a.nonce ? h('span', { class: 'muted' }, ` (${a.pending_nonce} counting pending txs)`) : ''],
      ['Contract', a.is_contract ? 'yes' : 'no'],
      a.code_hash && ['Code hash', mono(a.code_hash)],
    ]),
    proofBox('account:' + addr, () => checkAccountProof(addr, a)),
    h('h2', {}, 'Transactions', addr === ZERO_ADDR ? h('small', { class: 'muted' }, ' the exec txs that ran on this tape') : ''), txs,
    code && [h('h2', {}, 'Code ', h('small', { class: 'muted' }, bytes(code.code).length + ' bytes')),
      h('pre', { id: 'code', class: 'code' }, codeView(code.code_text))],
    tape && [h('h2', {}, 'Tape ', h('small', { class: 'muted' },
      `${bytes(tape.tape).length} of ${tape.cells} cells shown; every later cell is zero`)), tapeGrid(bytes(tape.tape))]);
}

// txHistory lists an account's txs, newest first: 50, then up to 100 (the
// API's most) per "Older" click. The API pages by block height, so a page
// may end inside a block: the next page asks from that block again and
// drops the txs already shown; a page with nothing new skips below it.
function txHistory(addr) {
  const seen = new Set(), rows = [], box = h('div');
  let before = 0, limit = 50;
  async function more() {
    let got, truncated;
    try {
      const page = await api(`accounts/${addr}/txs?limit=${limit}` + (before ? '&before=' + before : ''));
      got = page.txs, truncated = !!page.truncated;
    } catch (e) {
      box.replaceChildren(h('p', { class: 'err' }, e.message));
      return;
    }
    const fresh = got.filter(s => !seen.has(s.tx.hash));
    for (const s of fresh) {
      seen.add(s.tx.hash);
      const t = s.tx, r = s.receipt;
      rows.push([txLink(t.hash), blockLink(s.block, s.height), t.kind, addrLink(t.from),
        t.kind === 'exec' ? h('a', { href: '#/account/' + ZERO_ADDR }, 'world tape') : addrLink(t.to ?? r?.contract),
        amount(t.value), r ? badge(r.status, r.status === 'ok') : '']);
    }
    const last = got[got.length - 1];
    // A short page is the end, unless the node cut it at its read budget.
    let full = got.length === limit || (truncated && got.length > 0);
    limit = 100;
    if (full) before = fresh.length ? last.height + 1 : last.height;
    if (full && !fresh.length) {
      if (before > 0) return more(); // one block holds more than a page: skip it
      full = false;
    }
    box.replaceChildren(table('account-txs', ['Hash', 'Block', 'Kind', 'From', 'To', 'Value', 'Status'], rows, 'No transactions'),
      full ? h('button', { class: 'more', onclick: more }, 'Older') : '');
  }
  more();
  return box;
}

// codeView shows contract code indented by bracket depth. Code with
// comments keeps its own lines, each indented by the depth it starts at
// (one less per ']' it opens with), so the comments read as written;
// code without them (the CLI strips comments before deploying) is laid
// out by structure (layoutBF). Commands are marked apart from comment
// text; a comment character that is a command is one, and is marked so.
function codeView(src) {
  const lines = /[^><+\-.,[\]\s]/.test(src) ? indentLines(src) : layoutBF(src.replace(/\s+/g, '')).split('\n');
  const kids = [];
  for (const line of lines) {
    for (const [, ops, other] of line.matchAll(/([><+\-.,[\]]+)|([^><+\-.,[\]]+)/g)) {
      kids.push(ops ? h('span', { class: 'op' }, ops) : /\S/.test(other) ? h('span', { class: 'comment' }, other) : other);
    }
    kids.push('\n');
  }
  return kids.length ? kids : '(empty)';
}

// indentLines indents each source line by the bracket depth it starts
// at; runs of blank lines fold into one.
function indentLines(src) {
  const out = [];
  let depth = 0;
  for (const raw of src.split('\n')) {
    const line = raw.trim();
    if (!line) {
      if (out.length && out[out.length - 1] !== '') out.push('');
      continue;
    }
    const closes = line.match(/^[\]\s]*/)[0].replace(/\s/g, '').length;
    out.push('  '.repeat(Math.max(0, depth - closes)) + line);
    for (const c of line) {
      if (c === '[') depth++;
      else if (c === ']') depth = Math.max(0, depth - 1);
    }
  }
  while (out.length && out[out.length - 1] === '') out.pop();
  return out;
}

// layoutBF lays commands out by loop depth: each loop that holds other
// loops opens and closes on its own line, indented; a short innermost
// loop stays on one line, as it is read as one operation ("[-]", "[->+<]").
function layoutBF(code) {
  const match = [], stack = [];
  for (let i = 0; i < code.length; i++) {
    if (code[i] === '[') stack.push(i);
    else if (code[i] === ']' && stack.length) match[stack.pop()] = i;
  }
  const lines = [];
  let depth = 0, cur = '';
  const flush = () => { if (cur) lines.push('  '.repeat(depth) + cur); cur = ''; };
  for (let i = 0; i < code.length; i++) {
    const c = code[i], j = match[i];
    if (c === '[' && j !== undefined && j - i < 60 && !code.slice(i + 1, j).includes('[')) {
      cur += code.slice(i, j + 1);
      i = j;
    } else if (c === '[') {
      flush(); lines.push('  '.repeat(depth++) + '[');
    } else if (c === ']') {
      flush(); depth = Math.max(0, depth - 1); lines.push('  '.repeat(depth) + ']');
    } else {
      cur += c;
    }
  }
  flush();
  return lines.join('\n');
}

// tapeGrid shows tape cells 16 a row, non-zero ones highlighted. Runs of
// all-zero rows fold into one line, since tapes are mostly zero.
function tapeGrid(cells) {
  const N = 16, rows = [];
  const nRows = Math.max(1, Math.ceil(cells.length / N));
  for (let r = 0; r < nRows; r++) {
    const row = Array.from({ length: N }, (_, i) => cells[r * N + i] || 0);
    if (row.every(v => !v) && r > 0 && r < nRows - 1) {
      let end = r;
      while (end + 1 < nRows - 1 && cells.slice((end + 1) * N, (end + 2) * N).every(v => !v)) end++;
      if (end > r) {
        rows.push(h('tr', { class: 'fold' }, h('th', {}, r * N), h('td', { colspan: N }, `cells ${r * N}–${(end + 1) * N - 1} are zero`)));
        r = end;
        continue;
      }
    }
    rows.push(h('tr', {}, h('th', {}, r * N), row.map((v, i) => h('td', {
      class: v ? 'nz' : null,
      title: `cell ${r * N + i} = ${v} (0x${v.toString(16).padStart(2, '0')}${v >= 32 && v < 127 ? " '" + String.fromCharCode(v) + "'" : ''})`,
    }, v))));
  }
  return h('div', { class: 'scroll' }, h('table', { id: 'tape', class: 'tape' },
    h('thead', {}, h('tr', {}, h('th', {}, ''), Array.from({ length: N }, (_, i) => h('th', {}, '+' + i)))),
    h('tbody', {}, rows)));
}

async function mempool() {
  const m = await api('mempool');
  document.title = 'Mempool · tinychain';
  const node = h('section', {},
    h('h1', {}, 'Mempool'),
    h('p', {}, `${m.count} pending txs, ${si(m.bytes, 'B')}. `, h('span', { class: 'muted' }, 'Updates as txs arrive.')),
    table('mempool', ['Hash', 'Kind', 'From', 'To', 'Nonce', 'Value', 'Gas price'], m.txs.map(t => [
      txLink(t.hash), t.kind, addrLink(t.from), addrLink(t.to), t.nonce, amount(t.value), amount(t.gas_price)]), 'Empty'));
  // Re-read rather than patch: a head removes included txs too.
  node.onTx = node.onHead = throttle(refresh, 1000);
  return node;
}

async function peers() {
  const [st, ps] = await Promise.all([api('status'), api('peers')]);
  document.title = 'Peers · tinychain';
  const node = h('section', {},
    h('h1', {}, 'Peers'),
    kv([['This node', mono(st.peer_id || '(no p2p)')], ['Listening on', st.listen_addrs.map(a => h('div', { class: 'mono wrap' }, a))]]),
    h('h2', {}, ps.length + ' connected'),
    table('peers', ['Peer id', 'Direction', 'Height', 'Head', 'Score', 'Addresses'], ps.map(p => [
      h('span', { class: 'mono', title: p.peer_id }, short(p.peer_id)), p.direction, p.height, blockLink(p.head),
      p.score.toFixed(1), p.addrs.map(a => h('div', { class: 'mono wrap' }, a))]), 'No peers'));
  node.onHead = throttle(refresh, 5000);
  return node;
}

// ---- Proofs: the page checks the node's answer itself (proof.js) ----

const LINKS_CHECKED = 6; // later headers whose links and proof of work a check follows
const proofResults = new Map(); // page key -> the last result, kept across re-renders

// proofBox is a page's proof line: "not checked" and a button that
// fetches the proof and checks it in the browser (check returns what it
// proved, or throws why not).
function proofBox(key, check) {
  const result = h('span', { id: 'proof-result' }), detail = h('div', { id: 'proof-detail', class: 'muted' });
  const show = r => {
    result.replaceChildren(r.ok ? badge('proof: verified against block ' + r.height, true)
      : r.failed ? badge('proof FAILED', false) : h('span', { class: 'muted' }, 'proof: '),
      r.failed ? ': ' + r.failed : r.unavailable ? 'not available — ' + r.unavailable : '');
    detail.replaceChildren(...(r.detail || []).map(d => h('div', {}, d)));
  };
  const button = h('button', {
    id: 'verify-proof', class: 'more', onclick: async () => {
      button.disabled = true;
      result.replaceChildren(h('span', { class: 'muted' }, 'proof: checking…'));
      detail.replaceChildren();
      let r;
      try {
        r = { ok: true, ...(await check()) };
      } catch (e) {
        r = e instanceof TinyProof.ProofError ? { failed: e.message } : { unavailable: e.message };
      }
      proofResults.set(key, r);
      show(r);
      button.disabled = false;
    },
  }, 'Verify proof');
  const last = proofResults.get(key);
  if (last) show(last); else result.replaceChildren(h('span', { class: 'muted' }, 'proof: not checked'));
  return h('div', { id: 'proof', class: 'proof' }, result, ' ', button, detail,
    h('p', { class: 'muted small' }, 'The button fetches the node\'s proof and checks it here, in JavaScript: the sparse Merkle path '
      + 'or the RFC 6962 paths up to the roots in the block header, the header\'s SHA-256 hash and proof of work, and the '
      + `links of up to ${LINKS_CHECKED} later headers. Which chain is the heaviest is still the node's word: tinychain light checks that too.`));
}

// fetchProof GETs a proof (its size bounded by proof.js) or throws the
// API's error as a plain Error (the proof is unavailable, not false).
async function fetchProof(path) {
  const res = await fetch('/v1/' + path, { headers: { Accept: 'application/json' } });
  if (!res.ok) {
    let msg = 'request failed';
    try { msg = JSON.parse(await res.text()).error || msg; } catch { /* not JSON */ }
    throw new Error(`${res.status}: ${msg}`);
  }
  return TinyProof.readProofJSON(res);
}

const proofFail = msg => { throw new TinyProof.ProofError(msg); };

// sameText compares a field the node repeats for reading with the proven
// value, and fails on a difference: a node that contradicts its proof.
function sameField(what, said, proven) {
  if (String(said).toLowerCase() !== String(proven).toLowerCase()) proofFail(`the node says ${what} ${said}, the proof ${proven}`);
}

// checkHeaderLinks checks that the proven header is the one the node's
// block API shows at its height, and that up to LINKS_CHECKED later
// headers chain on it: each hashes (SHA-256 of the rebuilt encoding) to
// its hash, meets its own target and names the one before as prev_hash.
async function checkHeaderLinks(header, hash) {
  const P = TinyProof, height = Number(header.height);
  const at = await api('blocks/' + height);
  const enc = P.encodeHeader(P.headerFromJSON(at));
  if (!P.eq(await P.sha256(enc), hash)) proofFail(`the proof's header is not the block the node shows at height ${height} (${at.hash})`);
  const { blocks: later } = await api(`blocks?limit=${LINKS_CHECKED}&before=${height + LINKS_CHECKED + 1}`);
  let prev = hash, n = 0;
  for (const b of later.filter(b => b.height > height).sort((x, y) => x.height - y.height)) {
    const hd = P.headerFromJSON(b), bh = await P.sha256(P.encodeHeader(hd));
    if (P.toHex(bh) !== b.hash.toLowerCase()) proofFail(`block ${b.height}: its header hashes to ${P.toHex(bh)}, not ${b.hash}`);
    if (Number(hd.height) !== height + n + 1 || !P.eq(hd.prev_hash, prev)) proofFail(`block ${b.height} does not link to block ${height + n}`);
    P.checkPoW(hd, bh);
    prev = bh;
    n++;
  }
  return n;
}

const linksText = (height, n) => (n ? `${n} later block${n === 1 ? '' : 's'} (${height + 1}–${height + n}) link to it, each with valid proof of work.`
  : 'It is the head: no later block links to it yet.');

// checkAccountProof checks the account proof at the head against what
// the page shows (a: the /v1/accounts answer).
async function checkAccountProof(addr, a) {
  const P = TinyProof, out = await fetchProof(`accounts/${addr}/proof`);
  const v = await P.verifyAccount(out.proof, addr);
  if (!P.eq(P.rawAccount(out.proof), P.hex(out.raw, 'raw', 64 << 10))) proofFail('the wire form (raw) differs from the JSON proof');
  const hash = P.toHex(v.hash), height = Number(v.header.height);
  sameField('block hash', out.block_hash, hash);
  sameField('block height', out.block_height, height);
  sameField('state root', out.state_root, P.toHex(v.header.state_root));
  sameField('exists', out.exists, v.account !== null);
  if (v.account) {
    sameField('balance', out.account?.balance, v.account.balance);
    sameField('nonce', out.account?.nonce, v.account.nonce);
  }
  P.checkPoW(v.header, v.hash);
  const links = await checkHeaderLinks(v.header, v.hash);
  const bal = v.account ? v.account.balance.toString() : '0', nonce = v.account ? Number(v.account.nonce) : 0;
  const detail = [
    v.account ? `Proven: balance ${amount(bal)}, nonce ${nonce}.` : 'Proven: the account does not exist (' +
      (v.ending === 'empty' ? 'its path ends in an empty subtree' : 'its path ends at another account\'s leaf') + ').',
    `Block ${hash}: its header hashes to it and meets its target; its state root ${P.toHex(v.header.state_root)} is the path's root.`,
    linksText(height, links)];
  if (bal !== String(a.balance) || nonce !== a.nonce) {
    detail.push(`The page shows balance ${amount(a.balance)}, nonce ${a.nonce}: a block came since it loaded; reload to see the new state.`);
  }
  return { height, detail };
}

// checkTxProof checks the proof of an included tx against its page (s:
// the /v1/txs answer).
async function checkTxProof(txHash, s) {
  const P = TinyProof, out = await fetchProof(`txs/${txHash}/proof`);
  const v = await P.verifyTx(out.proof);
  if (!P.eq(P.rawTx(out.proof), P.hex(out.raw, 'raw', 2 << 20))) proofFail('the wire form (raw) differs from the JSON proof');
  const hash = P.toHex(v.hash), height = Number(v.header.height);
  sameField('tx hash', txHash, P.toHex(v.txHash));
  sameField('block hash', out.block_hash, hash);
  sameField('block height', out.block_height, height);
  sameField('index', out.index, v.index);
  sameField('block', s.block, hash);
  if (s.receipt) {
    sameField('receipt status', s.receipt.status, v.receipt.status_name);
    sameField('gas used', s.receipt.gas_used, v.receipt.gas_used);
  }
  P.checkPoW(v.header, v.hash);
  const links = await checkHeaderLinks(v.header, v.hash);
  return {
    height, detail: [
      `Proven: the tx is number ${v.index} of ${out.proof.count} in block ${height}, with receipt status ${v.receipt.status_name}, gas used ${v.receipt.gas_used}.`,
      `Block ${hash}: its header hashes to it and meets its target; the paths lead to its tx root and receipts root.`,
      linksText(height, links)],
  };
}

// ---- Router ----

const routes = [
  [/^\/?$/, home],
  [/^\/block\/([^/]+)$/, block],
  [/^\/blocks\/(\d+)$/, blocks],
  [/^\/tx\/(0x[0-9a-fA-F]{64})$/, tx],
  [/^\/account\/(0x[0-9a-fA-F]{40})$/, account],
  [/^\/mempool$/, mempool],
  [/^\/peers$/, peers],
];

let seq = 0;      // bumps per navigation, so a slow page cannot land late
let current = null; // the page shown, for the event hooks

function showError(msg) {
  const e = $('#error');
  e.textContent = msg || '';
  e.hidden = !msg;
}

async function route() {
  const my = ++seq;
  app.classList.add('busy'); // keep the old page, dimmed, until the new one is ready
  let node = null, err = null;
  try {
    const path = decodeURIComponent(location.hash.replace(/^#/, '')) || '/';
    const hit = routes.find(([re]) => re.test(path));
    if (!hit) throw new Error('No such page: #' + path);
    document.title = 'tinychain explorer';
    node = await hit[1](...path.match(hit[0]).slice(1));
  } catch (e) {
    err = e;
  }
  if (my !== seq) return;
  app.classList.remove('busy');
  showError(!err ? '' : err.status === 404 ? 'Not found — ' + err.message : err.message);
  current = node;
  app.replaceChildren(...(node ? [node] : []));
}

// refresh re-renders the current page in place (the events call it).
const refresh = () => route();

// throttle runs fn at most once per ms, trailing calls folded into one.
function throttle(fn, ms) {
  let timer = null;
  return () => { if (!timer) timer = setTimeout(() => { timer = null; fn(); }, ms); };
}

// resolve turns a search into a page: a number (or "head") is a height; 64 hex digits
// a block hash, or else a tx hash; 40 hex digits an address.
async function resolve(q) {
  q = q.trim();
  if (/^([0-9a-f]{40}|[0-9a-f]{64})$/i.test(q)) q = '0x' + q;
  if (/^(\d+|head)$/i.test(q)) return '#/block/' + q.toLowerCase();
  if (/^0x[0-9a-f]{40}$/i.test(q)) return '#/account/' + q.toLowerCase();
  if (/^0x[0-9a-f]{64}$/i.test(q)) {
    q = q.toLowerCase();
    try {
      await api('blocks/' + q);
      return '#/block/' + q;
    } catch (e) {
      if (e.status !== 404) throw e;
    }
    return '#/tx/' + q; // the tx page says so if it is neither
  }
  throw new Error(`Search for a height, a 0x block or tx hash (64 hex digits) or a 0x address (40): not "${q}"`);
}

$('#search').addEventListener('submit', async e => {
  e.preventDefault();
  try {
    const to = await resolve($('#q').value);
    $('#q').value = '';
    if (location.hash === to) route(); else location.hash = to;
  } catch (err) {
    showError(err.message);
  }
});

// ---- Live updates ----

function listen() {
  if (!window.EventSource) return;
  const es = new EventSource('/v1/events');
  const live = (on, why) => { $('#live').classList.toggle('on', on); $('#live').title = 'Live updates: ' + why; };
  es.onopen = () => live(true, 'connected');
  es.onerror = () => {
    live(false, 'disconnected');
    // EventSource retries by itself, unless the server answered with an
    // error (e.g. 503, too many streams): then try again later ourselves.
    if (es.readyState === EventSource.CLOSED) setTimeout(listen, 10000);
  };
  es.addEventListener('head', e => current?.onHead?.(JSON.parse(e.data)));
  es.addEventListener('tx', e => current?.onTx?.(JSON.parse(e.data)));
}

setInterval(() => document.querySelectorAll('.age').forEach(el => { el.textContent = ago(+el.dataset.ts); }), 1000);
window.addEventListener('hashchange', route);
route();
listen();
