// bench/peers/sio-server.mjs — the Socket.IO 4 peer: clients connect over
// the WebSocket transport, emit "join" with a room name (acknowledged), and
// receive "m" events; POST /pub/<room> emits the body to the room. With
// REDIS_URL set, rooms span processes through @socket.io/redis-adapter (the
// cross-node scenario).
// Usage: [REDIS_URL=redis://127.0.0.1:P] node sio-server.mjs PORT
import http from 'node:http';
import { Server } from 'socket.io';

const port = Number(process.argv[2] || 0);
const server = http.createServer((req, res) => {
  const m = req.url.match(/^\/pub\/([^/?]+)/);
  if (req.method !== 'POST' || !m) { res.writeHead(404).end(); return; }
  const chunks = [];
  req.on('data', (c) => chunks.push(c));
  req.on('end', () => {
    io.to(m[1]).emit('m', Buffer.concat(chunks).toString());
    res.writeHead(200, { 'Content-Type': 'text/plain', 'Content-Length': 2 }).end('ok');
  });
});
const io = new Server(server, { transports: ['websocket'], serveClient: false, perMessageDeflate: false });
io.on('connection', (socket) => {
  socket.on('join', (room, ack) => { socket.join(String(room)); if (typeof ack === 'function') ack('ok'); });
});

if (process.env.REDIS_URL) {
  const { createClient } = await import('redis');
  const { createAdapter } = await import('@socket.io/redis-adapter');
  const pub = createClient({ url: process.env.REDIS_URL });
  const sub = pub.duplicate();
  await Promise.all([pub.connect(), sub.connect()]);
  io.adapter(createAdapter(pub, sub));
}

server.keepAliveTimeout = 60000;
server.listen(port, '127.0.0.1', () => console.log(`sio-server listening on ${server.address().port}`));
const stop = () => { io.close(); setTimeout(() => process.exit(0), 1000).unref(); };
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
