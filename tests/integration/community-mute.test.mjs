// tests/integration/community-mute.test.mjs — a mute silences a member
// everywhere the community lets them speak, with the official SDK: chat
// messages, chat reactions, typing and edits (community/chat), live reactions
// and Q&A questions (community/live_react, qa), until the mute ends by itself.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { api, mintToken, once, sdk, sleep, startHearthd, waitFor, signedIn } from './lib/hearthd.mjs';

let h;
const clients = [];
const user = (id, roles) => signedIn(h, clients, id, roles);
before(async () => {
  h = await startHearthd({ namespaces: [
    { name: 'live', chat: true, history_size: 100, history_ttl: 3600, allow_publish: true }] });
});
after(async () => { for (const c of clients) c.disconnect(); await sleep(100); await h.stop(); });

test('muted: messages, reactions, typing, edits, live reactions and questions are 103 until it ends', async () => {
  const ch = 'live:mute.1';
  const m = await user('mia');
  const s = m.newSubscription(ch);
  s.subscribe();
  await once(s, 'subscribed');
  await s.publish({ text: 'before the mute' });
  const { offset } = (await s.history({ limit: 1, reverse: true })).publications[0];
  assert.equal((await api(h, 'mod.mute', { channel: ch, user: 'mia', duration: 2, reason: 'cool off' })).status, 200);
  const tries = {
    publish: () => s.publish({ text: 'muted?' }),
    'chat.react': () => m.rpc('chat.react', { channel: ch, offset, emoji: '👍' }),
    'chat.typing': () => m.rpc('chat.typing', { channel: ch }),
    'chat.edit': () => m.rpc('chat.edit', { channel: ch, offset, text: 'edited while muted' }),
    'live.react': () => m.rpc('live.react', { channel: ch, emoji: '🔥' }),
    'qa.ask': () => m.rpc('qa.ask', { channel: ch, text: 'a question' }),
  };
  for (const [what, f] of Object.entries(tries)) await assert.rejects(f(), (e) => e.code === 103, what);
  // the mute ends by itself
  await waitFor(async () => { try { await s.publish({ text: 'back' }); return true; } catch { return false; } }, 6000, 'the mute to end');
  await m.rpc('chat.react', { channel: ch, offset, emoji: '👍' });
  await m.rpc('live.react', { channel: ch, emoji: '🔥' });
  await m.rpc('qa.ask', { channel: ch, text: 'a question' });
});
