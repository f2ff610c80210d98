// tests/integration/chat-redis.test.mjs — chat.test.mjs again on the Redis
// engine: a real redis-server and two hearthd nodes; users and readers sit
// on different nodes, so every chat state (nonces, edits, deletes,
// reactions, typing, pins) made on one node is seen from the other.
process.env.HEARTH_CHAT_REDIS = '1';
await import('./chat.test.mjs');
