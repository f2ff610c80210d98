// bench/peers/ws-server.mjs — the plain Node `ws` broadcast server hearth is
// compared with: WebSocket subscribers at /sub/<room>, publishes by
// POST /pub/<room> (the body is sent as one text message to every member, the
// way a ws broadcast is usually written: a loop of client.send()).
// Usage: node ws-server.mjs PORT   (listens on 127.0.0.1 only)
import http from 'node:http';
import { WebSocketServer } from 'ws';

const port = Number(process.argv[2] || 0);
const rooms = new Map(); // room -> Set<WebSocket>
const wss = new WebSocketServer({ noServer: true, perMessageDeflate: false });

const server = http.createServer((req, res) => {
  const m = req.url.match(/^\/pub\/([^/?]+)/);
  if (req.method !== 'POST' || !m) { res.writeHead(404).end(); return; }
  const chunks = [];
  req.on('data', (c) => chunks.push(c));
  req.on('end', () => {
    const body = Buffer.concat(chunks).toString();
    const members = rooms.get(m[1]);
    if (members) for (const ws of members) ws.send(body);
    res.writeHead(200, { 'Content-Type': 'text/plain', 'Content-Length': 2 }).end('ok');
  });
});

server.on('upgrade', (req, socket, head) => {
  const m = req.url.match(/^\/sub\/([^/?]+)/);
  if (!m) { socket.destroy(); return; }
  wss.handleUpgrade(req, socket, head, (ws) => {
    const room = m[1];
    if (!rooms.has(room)) rooms.set(room, new Set());
    rooms.get(room).add(ws);
    ws.on('close', () => {
      const s = rooms.get(room);
      if (s) { s.delete(ws); if (!s.size) rooms.delete(room); }
    });
    ws.on('error', () => {});
  });
});

server.keepAliveTimeout = 60000;
server.listen(port, '127.0.0.1', () => console.log(`ws-server listening on ${server.address().port}`));
const stop = () => { for (const ws of wss.clients) ws.terminate(); server.close(() => process.exit(0)); setTimeout(() => process.exit(0), 2000).unref(); };
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
