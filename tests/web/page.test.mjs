// tests/web/page.test.mjs — the chat page served by a real hearthd, in
// Debian's headless Chromium: two members join chat:lobby, see each other in
// presence, one speaks and the other sees it; history is shown on joining;
// a screenshot is kept for a human to look at.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium } from 'playwright-core';
import { api, sleep, startHearthd } from '../integration/lib/hearthd.mjs';

let h;
let browser;
before(async () => {
  h = await startHearthd();
  browser = await chromium.launch({
    executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
      '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
});
after(async () => { await browser?.close(); await sleep(100); await h?.stop(); });

async function member(nick) {
  const page = await browser.newPage();
  await page.goto(`${h.http}/`);
  await page.fill('#nick', nick);
  await page.waitForSelector('#status.ok', { timeout: 10000 });
  return page;
}

test('two members chat in a room and see each other', async () => {
  await api(h, 'publish', { channel: 'chat:lobby', data: { text: 'welcome to the lobby', nick: 'bot' } });
  const ann = await member('Ann');
  const bob = await member('Bob');
  for (const p of [ann, bob]) {
    await p.waitForFunction(() => document.querySelector('#presence-count').textContent === '2', null, { timeout: 10000 });
    await p.waitForFunction(() => [...document.querySelectorAll('#messages .msg')].some((m) => m.textContent.includes('welcome to the lobby')), null, { timeout: 10000 });
  }
  await ann.fill('#text', 'hello from Ann <b>not bold</b>');
  await ann.click('#send');
  await bob.waitForFunction(() => [...document.querySelectorAll('#messages .msg')].some((m) => m.textContent.includes('hello from Ann')), null, { timeout: 10000 });
  const last = await bob.$$eval('#messages .msg', (els) => els.map((e) => e.innerHTML).pop());
  assert.ok(last.includes('Ann'), 'the sender nick is shown');
  assert.ok(!last.includes('<b>'), 'user text must be escaped, not rendered as HTML');
  await bob.screenshot({ path: process.env.HEARTH_SCREENSHOT || join(tmpdir(), 'hearth-page.png') });
  // Bob leaves: Ann's presence drops to 1
  await bob.close();
  await ann.waitForFunction(() => document.querySelector('#presence-count').textContent === '1', null, { timeout: 10000 });
  await ann.close();
});

test('switching rooms shows that room only', async () => {
  const p = await member('Cy');
  await api(h, 'publish', { channel: 'chat:random', data: { text: 'random thought', nick: 'bot' } });
  await p.click('.preset[data-room="chat:random"]');
  await p.waitForFunction(() => document.querySelector('#room-title').textContent === 'chat:random', null, { timeout: 10000 });
  await p.waitForFunction(() => [...document.querySelectorAll('#messages .msg')].some((m) => m.textContent.includes('random thought')), null, { timeout: 10000 });
  const texts = await p.$$eval('#messages .msg', (els) => els.map((e) => e.textContent));
  assert.ok(!texts.some((t) => t.includes('hello from Ann')), 'lobby messages leaked into another room');
  await p.close();
});
