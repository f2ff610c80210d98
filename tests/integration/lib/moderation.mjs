// tests/integration/lib/moderation.mjs — the config the moderation suites
// share: a chat namespace with filters, and a chat namespace with slow mode.
import { BASE_CONFIG } from './hearthd.mjs';

export const CHAT = {
  name: 'chat', chat: true, history_size: 100, history_ttl: 300, presence: true, join_leave: true,
  allow_publish: true, force_recovery: true,
  filters: { block: ['badword', 'very bad phrase'], hold: ['holdme', 'links'] },
};
export const SLOW = { name: 'slow', chat: true, history_size: 50, history_ttl: 300, allow_publish: true, slow_mode: 2 };
export const MOD_CONFIG = {
  namespaces: [...BASE_CONFIG.namespaces.filter((n) => n.name !== 'chat'), CHAT, SLOW],
};
