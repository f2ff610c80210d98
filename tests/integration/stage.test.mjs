// tests/integration/stage.test.mjs — the stage (community/stage.c) with the
// official SDK: members raise and lower hands, hosts accept and dismiss,
// everyone in the room sees {"type":"stage",...}, members cannot accept.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mintToken, once, sdk, sleep, startHearthd, waitFor, signedIn } from './lib/hearthd.mjs';

const CONFIG = {
  namespaces: [{ name: 'live', chat: true, history_size: 100, history_ttl: 3600, allow_publish: true }],
};

let h;
const clients = [];
const user = (id, roles) => signedIn(h, clients, id, roles);
before(async () => { h = await startHearthd(CONFIG); });
after(async () => { for (const c of clients) c.disconnect(); await sleep(100); await h.stop(); });

test('hands, speakers, and who may move them', async () => {
  const ch = 'live:stage.1';
  const [ann, ben] = await Promise.all([user('ann'), user('ben')]);
  const host = await user('hal', ['host']);
  const sub = ann.newSubscription(ch);
  const seen = [];
  sub.on('publication', (p) => { if (p.data.type === 'stage') seen.push(p.data); });
  sub.subscribe();
  await once(sub, 'subscribed');
  await ann.rpc('stage.raise_hand', { channel: ch });
  await ben.rpc('stage.raise_hand', { channel: ch });
  await ben.rpc('stage.raise_hand', { channel: ch }); // once
  assert.deepEqual((await ann.rpc('stage.get', { channel: ch })).data, { speakers: [], hands: ['ann', 'ben'] });
  await assert.rejects(ann.rpc('stage.accept', { channel: ch, user: 'ben' }), (e) => e.code === 103);
  const acc = await host.rpc('stage.accept', { channel: ch, user: 'ben' });
  assert.deepEqual(acc.data, { speakers: ['ben'], hands: ['ann'] });
  await assert.rejects(host.rpc('stage.accept', { channel: ch, user: 'zed' }), (e) => e.code === 107);
  await ann.rpc('stage.lower_hand', { channel: ch });
  await host.rpc('stage.dismiss', { channel: ch, user: 'ben' });
  assert.deepEqual((await ben.rpc('stage.get', { channel: ch })).data, { speakers: [], hands: [] });
  await waitFor(() => seen.length >= 4, 5000, 'stage publications');
  assert.deepEqual(seen.map((s) => [s.speakers, s.hands]),
    [[[], ['ann']], [[], ['ann', 'ben']], [['ben'], ['ann']], [['ben'], []], [[], []]].slice(0, seen.length));
  await assert.rejects(ann.rpc('stage.raise_hand', { channel: 'nochat:x' }), (e) => e.code === 107);
});
