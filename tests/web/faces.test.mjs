// tests/web/faces.test.mjs — the three faces end to end in Debian's headless
// Chromium (playwright-core): a host (/host) and two members (/?event=ID) in
// three browser contexts run a whole ritual — the host goes live, members
// chat, reply (by keyboard), edit, delete, react, mention, type, vote and ask;
// the host pins, runs slow mode, holds and approves a message, bans a member
// (whose page says so), closes the polls and ends the event; a member's
// socket is closed mid-ritual and the room recovers without loss; the
// numbers on the host console and /insights equal stats.event and
// stats.community read over the HTTP API. Screenshots of each face go to
// HEARTH_WEB_OUT (default tests/web/out/). The tests run in order and share
// the ritual; each names what it checks.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';
import { api, mintToken, sleep, startHearthd } from '../integration/lib/hearthd.mjs';

const OUT = process.env.HEARTH_WEB_OUT || join(dirname(fileURLToPath(import.meta.url)), 'out');
mkdirSync(OUT, { recursive: true });
const T = 10000;
const CONFIG = {
  allow_anonymous: true,
  namespaces: [
    { name: 'live', chat: true, history_size: 300, history_ttl: 3600, allow_publish: true, presence: true,
      join_leave: true, force_recovery: true, filters: { block: [], hold: ['spoiler'] } },
    { name: 'announcements', history_size: 10, history_ttl: 3600 },
  ],
};

let h;
let browser;
let eventId;
let chan;
const pages = {};
const errors = [];

// Every page's WebSockets, so a test can close one (a network drop) and
// keep it from reconnecting for a while (window.__offline).
const SOCKET_SPY = () => {
  const Real = window.WebSocket;
  window.__sockets = [];
  window.__offline = false;
  window.WebSocket = class extends Real {
    constructor(url, protocols) {
      super(window.__offline ? 'ws://127.0.0.1:9/offline' : url, protocols);
      window.__sockets.push(this);
    }
  };
};

async function open(name, path, token, viewport = { width: 1280, height: 900 }) {
  const ctx = await browser.newContext({ viewport });
  await ctx.addInitScript(SOCKET_SPY);
  const page = await ctx.newPage();
  page.on('pageerror', (e) => errors.push(`${name}: ${e.message}`));
  page.on('console', (m) => {
    // the test's own network drop makes Chromium log the refused reconnects
    if (m.type() === 'error' && !/127\.0\.0\.1:9\/offline/.test(m.text())) errors.push(`${name}: ${m.text()}`);
  });
  const q = token ? `${path.includes('?') ? '&' : '?'}token=${token}` : '';
  await page.goto(`${h.http}${path}${q}`);
  await page.waitForSelector('#status[data-state="ok"]', { timeout: T });
  pages[name] = page;
  return page;
}

const tok = (sub, roles) => mintToken({ sub, roles });
const msgLi = (page, text) => page.locator('#messages .msg', { hasText: text });
const waitText = (page, sel, text) => page.locator(sel, { hasText: text }).first().waitFor({ timeout: T });
const shot = (page, name) => page.screenshot({ path: join(OUT, `face-${name}.png`), fullPage: true });

async function send(page, text) {
  await page.fill('#text', text);
  await page.press('#text', 'Enter');
}

before(async () => {
  h = await startHearthd(CONFIG);
  browser = await chromium.launch({
    executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
      '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
  const start = new Date(Date.now() + 2 * 86400e3).toISOString().slice(0, 16);
  const r = await api(h, 'event.create', { title: 'Thursday Ritual', hosts: ['hana'], stream_url: `${h.http}/health`,
    start, tz: 'UTC', duration: 3600, recurrence: { freq: 'weekly' },
    // the host runs slow mode by hand in this ritual (the live state's default is 3 s)
    policies: { live: { slow_mode: 0 } } });
  assert.equal(r.status, 200, r.text);
  eventId = r.json.result.id;
  chan = `live:${eventId}.1`;
});
after(async () => { await browser?.close(); await sleep(100); await h?.stop(); });

test('host console: the week, going live, members in the room with the stream', async () => {
  const host = await open('host', '/host', tok('hana', ['host']));
  await host.waitForSelector('#current-state[data-state="scheduled"]', { timeout: T });
  assert.ok(await host.locator('#occurrences li').count() >= 1, 'the week\'s occurrences are listed');
  await host.click('#states button[data-state="live"]');
  await host.waitForSelector('#current-state[data-state="live"]', { timeout: T });
  await host.waitForSelector('#chat[data-ready]', { timeout: T });
  for (const [name, user] of [['ann', 'ann'], ['bob', 'bob']]) {
    const p = await open(name, `/?event=${eventId}`, tok(user, ['member']));
    await p.waitForSelector('#event-state[data-state="live"]', { timeout: T });
    await p.waitForSelector('#chat[data-ready]', { timeout: T });
    assert.equal(await p.getAttribute('#stream iframe', 'src'), `${h.http}/health`, 'the stream is embedded');
  }
  for (const p of [pages.ann, pages.bob, host]) {
    await p.waitForFunction(() => document.querySelector('#presence-count')?.textContent === '3', null, { timeout: T })
      .catch(async (e) => { throw new Error(`${p.url()}: presence ${await p.textContent('#presence-count')}: ${e.message}`); });
  }
  // the live event shows in the rooms list
  await waitText(pages.ann, '#room-list .event.live', 'Thursday Ritual');
});

test('members chat: mentions, a keyboard reply, edit, delete, reactions, typing; the host pins', async () => {
  const { ann, bob, host } = pages;
  await send(ann, 'hello @bob, welcome');
  await msgLi(bob, 'hello @bob').waitFor({ timeout: T });
  assert.equal(await msgLi(bob, 'hello @bob').locator('.mention.me').textContent(), '@bob', 'my mention is highlighted');
  assert.ok(await msgLi(bob, 'hello @bob').evaluate((li) => li.classList.contains('mentions-me')));
  // Bob replies with the keyboard only: focus the message, Tab to Reply, Enter
  await msgLi(bob, 'hello @bob').focus();
  await bob.keyboard.press('Tab');
  assert.equal(await bob.evaluate(() => document.activeElement.textContent), 'Reply');
  await bob.keyboard.press('Enter');
  await bob.waitForSelector('#replying:not([hidden])', { timeout: T });
  await bob.keyboard.type('hi Ann!');
  await bob.keyboard.press('Enter');
  await msgLi(ann, 'hi Ann!').waitFor({ timeout: T });
  assert.match(await msgLi(ann, 'hi Ann!').locator('.quote').textContent(), /ann: hello @bob/, 'the reply quotes its parent');
  // Ann edits her message; everyone sees the new text
  await msgLi(ann, 'hello @bob').locator('.act-edit').click();
  assert.equal(await ann.inputValue('#text'), 'hello @bob, welcome');
  await ann.fill('#text', 'hello @bob, welcome to the ritual');
  await ann.press('#text', 'Enter');
  await msgLi(bob, 'welcome to the ritual').locator('.edited').waitFor({ timeout: T });
  // Ann deletes a message of hers
  await send(ann, 'oops wrong room');
  await msgLi(bob, 'oops wrong room').waitFor({ timeout: T });
  assert.equal(await msgLi(bob, 'oops wrong room').locator('.act-delete').count(), 0, 'no delete on another\'s message');
  await msgLi(ann, 'oops wrong room').locator('.act-delete').click();
  await bob.waitForFunction(() => [...document.querySelectorAll('#messages .msg.deleted')].length === 1, null, { timeout: T });
  assert.equal(await msgLi(bob, 'oops wrong room').count(), 0, 'a deleted message shows no text');
  // Bob reacts to Ann's message
  await msgLi(bob, 'welcome to the ritual').locator('.act-react', { hasText: '👍' }).click();
  await msgLi(ann, 'welcome to the ritual').locator('.chip', { hasText: '👍 1' }).waitFor({ timeout: T });
  // typing
  await bob.fill('#text', '');
  await bob.type('#text', 'thinking', { delay: 20 });
  await waitText(ann, '#typing', 'bob is typing');
  await bob.fill('#text', '');
  // the host pins Ann's message
  await msgLi(host, 'welcome to the ritual').locator('.act-pin').click();
  for (const p of [ann, bob]) await waitText(p, '#pins .pin', 'welcome to the ritual');
});

test('ritual: live reactions burst, poll and NPS votes fill in, Q&A upvotes and answers, raise hand', async () => {
  const { ann, bob, host } = pages;
  for (let i = 0; i < 3; i++) await ann.click('.react-btn[aria-label="React 🔥"]');
  await bob.waitForFunction(() => Number(document.querySelector('#react-total').textContent) >= 3, null, { timeout: T });
  await host.fill('#poll-question', 'Best snack?');
  await host.fill('#poll-options', 'tea, cake');
  await host.selectOption('#poll-kind', 'single');
  await host.click('#poll-form button[type="submit"]');
  for (const p of [ann, bob]) await waitText(p, '#poll h3', 'Best snack?');
  await ann.click('#poll .option[data-option="0"]');
  await bob.click('#poll .option[data-option="1"]');
  await waitText(host, '#polls li', 'tea: 1 · cake: 1 · 2 voters');
  await ann.waitForFunction(() => document.querySelector('#poll .option[data-option="1"]')?.dataset.count === '1', null, { timeout: T });
  await host.fill('#poll-question', 'Would you recommend this ritual?');
  await host.selectOption('#poll-kind', 'nps');
  await host.click('#poll-form button[type="submit"]');
  for (const p of [ann, bob]) await waitText(p, '#poll h3', 'Would you recommend');
  await ann.click('#poll .nps-row button:text-is("10")');
  await bob.click('#poll .nps-row button:text-is("9")');
  await waitText(host, '#polls li', 'NPS 100 · 2 answers');
  // Q&A
  await bob.fill('#qa-text', 'When is the next one?');
  await bob.press('#qa-text', 'Enter');
  await waitText(ann, '#qa-list li', 'When is the next one?');
  await ann.locator('#qa-list li', { hasText: 'When is the next one?' }).locator('.upvote').click();
  await host.waitForFunction(() => document.querySelector('#host-qa li')?.dataset.votes === '1', null, { timeout: T });
  await host.locator('#host-qa li', { hasText: 'next one' }).locator('.qa-answer').click();
  await waitText(bob, '#qa-list li.answered', 'When is the next one?');
  // hands
  await ann.click('#hand');
  await waitText(host, '#hands li', 'ann');
  await host.locator('#hands li', { hasText: 'ann' }).locator('.hand-accept').click();
  await waitText(ann, '#stage', 'You are on stage!');
  await sleep(2200); // a couple of samples on the host's charts
  await shot(host, 'host');
  await shot(ann, 'member');
});

test('a network drop: the member sees reconnecting, then every missed message once, none twice', async () => {
  const { ann, bob } = pages;
  await ann.evaluate(() => { window.__offline = true; for (const s of window.__sockets) s.close(); });
  await ann.waitForSelector('#status[data-state="reconnecting"]', { timeout: T });
  await send(bob, 'while you were away 1');
  await msgLi(bob, 'while you were away 1').waitFor({ timeout: T });
  await api(h, 'publish', { channel: chan, data: { text: 'while you were away 2' }, user: 'weather-bot' });
  await msgLi(bob, 'while you were away 2').waitFor({ timeout: T });
  await sleep(300);
  assert.equal(await msgLi(ann, 'while you were away').count(), 0, 'Ann is really offline');
  await ann.evaluate(() => { window.__offline = false; });
  await ann.waitForSelector('#status[data-state="ok"]', { timeout: T });
  await msgLi(ann, 'while you were away 2').waitFor({ timeout: T });
  // the room as Ann has it equals history: same offsets, in order, no duplicate
  const h1 = await api(h, 'history', { channel: chan, limit: 300 });
  const want = h1.json.result.publications.filter((p) => p.data.type === 'message').map((p) => p.offset);
  const got = await ann.$$eval('#messages .msg', (els) => els.map((e) => Number(e.dataset.offset)));
  assert.deepEqual(got, want);
});

test('moderation: slow mode, a held message approved from the live queue, a report acted on, a ban the member sees', async () => {
  const { ann, bob, host } = pages;
  // slow mode on: Ann's second quick message gets a countdown sentence
  await host.click('#slow-mode');
  await host.waitForSelector('#slow-mode[aria-pressed="true"]', { timeout: T });
  await send(ann, 'first under slow mode');
  await msgLi(bob, 'first under slow mode').waitFor({ timeout: T });
  await send(ann, 'second under slow mode');
  await ann.waitForSelector('#notice[data-kind="slow"]', { timeout: T });
  assert.match(await ann.textContent('#notice'), /Slow mode is on: you can send again in \d+ s\./);
  assert.equal(await ann.inputValue('#text'), 'second under slow mode', 'a refused message is kept to resend');
  await host.click('#slow-mode');
  await host.waitForSelector('#slow-mode[aria-pressed="false"]', { timeout: T });
  await ann.press('#text', 'Enter');
  await msgLi(bob, 'second under slow mode').waitFor({ timeout: T });
  // a held message: the author reads a sentence, the host approves from the queue
  await send(bob, 'big spoiler: the cake is a lie');
  await bob.waitForSelector('#notice[data-kind="held"]', { timeout: T });
  assert.equal(await bob.textContent('#notice'), 'Your message is waiting for a moderator to review it.');
  await waitText(host, '#queue li[data-kind="held"]', 'the cake is a lie');
  assert.equal(await msgLi(ann, 'the cake is a lie').count(), 0, 'not published while held');
  await host.locator('#queue li', { hasText: 'the cake is a lie' }).locator('.q-approve').click();
  await msgLi(ann, 'the cake is a lie').waitFor({ timeout: T });
  await bob.waitForSelector('#notice[data-kind="approved"]', { timeout: T });
  await host.waitForFunction(() => !document.querySelector('#queue li[data-kind]'), null, { timeout: T });
  // a member reports a message: it reaches the host's queue; the host deletes it and resolves the report
  await msgLi(ann, 'hi Ann!').locator('.act-report').click();
  await waitText(ann, '#notice', 'the moderators will look at it');
  const report = host.locator('#queue li[data-kind="report"]', { hasText: 'hi Ann!' });
  await report.waitFor({ timeout: T });
  await report.locator('.q-delete').click();
  await ann.waitForFunction(() => [...document.querySelectorAll('#messages .msg.deleted')].length === 2, null, { timeout: T });
  await report.locator('.q-resolve').click();
  await host.waitForFunction(() => !document.querySelector('#queue li[data-kind]'), null, { timeout: T });
  // the host bans Bob from the community: Bob's page says so and stops
  await msgLi(host, 'the cake is a lie').locator('.act-ban').click();
  await bob.waitForSelector('#status[data-state="bad"]', { timeout: T });
  assert.equal(await bob.textContent('#status'), 'You are banned from this community.');
  assert.ok(await bob.isDisabled('#send'), 'a banned member cannot send');
  await shot(bob, 'member-banned');
});

test('the host closes the polls and ends the event; the console\'s numbers equal stats.event', async () => {
  const { ann, host } = pages;
  while (await host.locator('#polls .close-poll').count()) {
    const n = await host.locator('#polls .close-poll').count();
    await host.locator('#polls .close-poll').first().click();
    await host.waitForFunction((k) => document.querySelectorAll('#polls .close-poll').length < k, n, { timeout: T });
  }
  await waitText(ann, '#poll .closed', 'This poll is closed.');
  await host.click('#states button[data-state="ended"]');
  await ann.waitForSelector('#event-state[data-state="ended"]', { timeout: T });
  await sleep(1200); // the energy timeline is written once a second
  const st = (await api(h, 'stats.event', { id: eventId, occurrence: 1 })).json.result;
  assert.ok(st.unique_attendees >= 3 && st.messages >= 5 && st.reactions >= 3, JSON.stringify(st));
  const keys = ['peak', 'unique_attendees', 'first_time', 'returning', 'messages', 'unique_chatters', 'reactions', 'nps', 'questions', 'answered'];
  const want = Object.fromEntries(keys.map((k) => [k, String(st[k])]));
  await host.waitForFunction((w) => Object.entries(w).every(([k, v]) => document.querySelector(`#tiles [data-stat="${k}"]`)?.textContent === v),
    want, { timeout: T });
  assert.equal(await host.getAttribute('#tiles', 'data-occurrence'), '1');
  await shot(host, 'host-ended');
});

test('the next week: occurrence 2 goes live, an open member room follows it, returning and new members', async () => {
  const { ann, host } = pages;
  await host.waitForSelector('#current-state[data-state="scheduled"]', { timeout: T });
  await host.click('#states button[data-state="live"]');
  await host.waitForSelector('#current-state[data-state="live"]', { timeout: T });
  await ann.waitForFunction((ch) => document.querySelector('#room-title').textContent === ch, `live:${eventId}.2`, { timeout: T });
  await ann.waitForSelector('#event-state[data-state="live"]', { timeout: T });
  await ann.waitForSelector('#chat[data-ready]', { timeout: T });
  assert.equal(await msgLi(ann, 'welcome to the ritual').count(), 0, 'each occurrence has its own chat');
  const dee = await open('dee', `/?event=${eventId}`, tok('dee', ['member']));
  await dee.waitForSelector('#chat[data-ready]', { timeout: T });
  await send(dee, 'first time here!');
  await msgLi(ann, 'first time here!').waitFor({ timeout: T });
  await dee.close();
  await host.click('#states button[data-state="ended"]');
  await ann.waitForSelector('#event-state[data-state="ended"]', { timeout: T });
  const st = (await api(h, 'stats.event', { id: eventId, occurrence: 2 })).json.result;
  assert.ok(st.returning >= 1 && st.first_time >= 1 && st.retention > 0, JSON.stringify(st));
});

test('insights: the dashboard\'s numbers equal stats.community and stats.event', async () => {
  const ins = await open('insights', '/insights', tok('root', ['admin']));
  await ins.waitForSelector('body[data-loaded]', { timeout: T });
  const sc = (await api(h, 'stats.community', {})).json.result;
  assert.ok(sc.members >= 3, JSON.stringify(sc));
  for (const k of ['members', 'new_members_7d', 'dau', 'wau', 'mau', 'churned_30d', 'nps_last']) {
    assert.equal(await ins.textContent(`#community [data-stat="${k}"]`), String(sc[k] ?? '—'), k);
  }
  assert.equal(await ins.textContent('#community [data-stat="stickiness"]'), Number.isInteger(sc.stickiness) ? String(sc.stickiness) : sc.stickiness.toFixed(2));
  assert.equal(await ins.locator('#occ-table tr').count(), 2, 'one row per occurrence that took place');
  for (const n of [1, 2]) {
    const st = (await api(h, 'stats.event', { id: eventId, occurrence: n })).json.result;
    const row = ins.locator(`#occ-table tr[data-event="${eventId}"][data-n="${n}"]`);
    for (const k of ['unique_attendees', 'first_time', 'returning', 'peak', 'messages']) {
      assert.equal(await row.locator(`[data-stat="${k}"]`).textContent(), String(st[k]), `#${n} ${k}`);
    }
    assert.equal(await row.locator('[data-stat="nps"]').textContent(), st.nps === undefined || st.nps === null ? '—' : String(st.nps), `#${n} nps`);
    assert.equal(await row.locator('[data-stat="retention"]').textContent(), st.retention === null ? '—' : `${Math.round(st.retention * 100)}%`, `#${n} retention`);
  }
  assert.equal(await ins.locator('.uplot').count(), 4, 'four uPlot charts');
  await shot(ins, 'insights');
});

test('the member room reads at a phone\'s width; no page logged an error', async () => {
  const phone = await open('phone', `/?event=${eventId}`, tok('cy', ['member']), { width: 390, height: 844 });
  await phone.waitForSelector('#chat[data-ready]', { timeout: T });
  const overflow = await phone.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
  assert.ok(overflow <= 0, `no sideways scrolling at 390 px (${overflow} px too wide)`);
  await shot(phone, 'member-phone');
  assert.deepEqual(errors, []);
});
