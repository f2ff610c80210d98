// tests/web/page.test.mjs — the member's room (/) on a plain (non-chat)
// namespace, in Debian's headless Chromium: two signed-in members join
// chat:lobby, see each other in presence, one speaks and the other sees it
// (escaped, with the author from the token); history is shown on joining;
// switching rooms shows that room only. The whole ritual is faces.test.mjs.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium } from 'playwright-core';
import { api, mintToken, once, sdk, sleep, startHearthd } from '../integration/lib/hearthd.mjs';

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
  const errors = [];
  page.on('pageerror', (e) => errors.push(e.message));
  page.on('console', (m) => { if (m.type() === 'error') errors.push(m.text()); });
  page.errors = errors;
  await page.goto(`${h.http}/?token=${mintToken({ sub: nick })}`);
  await page.waitForSelector('#status[data-state="ok"]', { timeout: 10000 });
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
  assert.deepEqual([...ann.errors, ...bob.errors], [], 'no console errors');
  await bob.screenshot({ path: process.env.HEARTH_SCREENSHOT || join(tmpdir(), 'hearth-page.png') });
  // Bob leaves: Ann's presence drops to 1
  await bob.close();
  await ann.waitForFunction(() => document.querySelector('#presence-count').textContent === '1', null, { timeout: 10000 });
  await ann.close();
});

test('switching rooms shows that room only', async () => {
  const p = await member('Cy');
  await api(h, 'publish', { channel: 'chat:random', data: { text: 'random thought', nick: 'bot' } });
  await p.click('#room-list a:text-is("chat:random")');
  await p.waitForFunction(() => document.querySelector('#room-title').textContent === 'chat:random', null, { timeout: 10000 });
  await p.waitForFunction(() => [...document.querySelectorAll('#messages .msg')].some((m) => m.textContent.includes('random thought')), null, { timeout: 10000 });
  const texts = await p.$$eval('#messages .msg', (els) => els.map((e) => e.textContent));
  assert.ok(!texts.some((t) => t.includes('hello from Ann')), 'lobby messages leaked into another room');
  await p.close();
});

test('the faces are served at /, /host and /insights (the query kept), with the SDK and uPlot from /vendor', async () => {
  for (const [path, marker] of [['/', 'live room'], ['/host?token=x.y.z', 'host console'], ['/insights', 'community dashboard']]) {
    const r = await fetch(`${h.http}${path}`, { redirect: 'manual' }); // no redirect: ?token= must stay
    assert.equal(r.status, 200, path);
    assert.match(r.headers.get('content-type'), /text\/html/, path);
    assert.ok((await r.text()).includes(marker), path);
  }
  for (const f of ['/vendor/centrifuge.js', '/vendor/uPlot.iife.min.js', '/vendor/uPlot.min.css']) {
    assert.equal((await fetch(`${h.http}${f}`)).status, 200, `${f} (scripts/web.sh installs it)`);
  }
  assert.equal((await fetch(`${h.http}/host/nothing-here`)).status, 404);
  assert.equal((await fetch(`${h.http}/host`, { method: 'POST', body: 'x' })).status, 405);
});

test('a big room shows a live count instead of a roster', async () => {
  const crowd = [];
  for (let i = 0; i < 51; i++) {
    const c = sdk(h);
    const s = c.newSubscription('chat:big');
    s.subscribe();
    c.connect();
    crowd.push([c, s]);
  }
  await Promise.all(crowd.map(([, s]) => once(s, 'subscribed')));
  const p = await browser.newPage();
  await p.goto(`${h.http}/?room=chat:big`);
  await p.waitForFunction(() => document.querySelector('#presence-count').textContent === '52', null, { timeout: 10000 });
  assert.equal(await p.locator('#presence .member').count(), 1, 'no roster of 52 names');
  assert.match(await p.textContent('#presence'), /big room/);
  crowd[0][0].disconnect();
  await p.waitForFunction(() => document.querySelector('#presence-count').textContent === '51', null, { timeout: 10000 });
  for (const [c] of crowd) c.disconnect();
  await p.close();
});

test('refusals read as sentences, not codes (web/common.js)', async () => {
  const p = await browser.newPage();
  await p.goto(`${h.http}/?token=${mintToken({ sub: 'zed' })}`);
  const got = await p.evaluate(async () => {
    const { sentence, closeSentence } = await import('/common.js');
    return [
      sentence({ code: 1001, message: 'held for review' }, 'Your message'),
      sentence({ code: 111, message: 'slow mode: wait 4 s' }, 'Your message'),
      sentence({ code: 103, message: 'muted' }, 'Your message'),
      sentence({ code: 103, message: 'banned' }, 'Joining this room'),
      sentence({ code: 103, message: 'blocked by a filter' }, 'Your message'),
      sentence({ code: 103, message: 'permission denied' }, 'Your message'),
      sentence({ code: 103, message: "not in this poll's audience" }, 'Your vote'),
      sentence({ code: 1, message: 'timeout' }, 'Your message'),
      closeSentence(3510, 'banned'),
      closeSentence(2011, 'banned'),
      closeSentence(2010, 'kicked'),
    ];
  });
  assert.deepEqual(got, [
    'Your message is waiting for a moderator to review it.',
    'Slow mode is on: you can send again in 4 s.',
    'You are muted here for now, so you cannot post or react.',
    'You are banned from this room.',
    'That message contains words this room does not allow.',
    'Your message is not allowed for you here right now.',
    'This pulse is for members who have been in the room a while: thanks for joining!',
    'Your message did not go through: you are offline for a moment. Try again once the status says connected.',
    'You are banned from this community.',
    'You were banned from this room.',
    'A moderator removed you from this room.',
  ]);
  for (const s of got) assert.doesNotMatch(s, /\b(1001|111|103)\b/, 'no bare codes');
  await p.close();
});
