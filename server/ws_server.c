/* server/ws_server.c — libwebsockets 4.1 on our libuv loop: context + one
 * explicit vhost (HTTP and WebSocket on one port), the WebSocket protocol
 * callbacks that drive struct client, static files from web_root at /, and
 * GET /health.
 *
 * Version notes (lws 4.1.6, Debian): the libuv event lib is a plugin
 * (package libwebsockets-evlib-uv); with a foreign loop lws_create_context()
 * may return an already-dying context when the default vhost fails, so we
 * create the vhost explicitly and check it; destruction takes two
 * lws_context_destroy() calls in different loop turns (ws_server_stop, then
 * ws_server_destroy after uv_run returns). */
#include <arpa/inet.h>
#include <libwebsockets.h>
#include <stdlib.h>
#include <string.h>

#include "clients/client.h"
#include "server/http.h"
#include "server/http_parse.h"
#include "server/admission.h"
#include "util/log.h"
#include "server/server.h"

#define WS_PATH "/connection/websocket"

static struct server *srv_of(struct lws *wsi)
{
    return lws_context_user(lws_get_context(wsi));
}

static bool path_is_ws(struct lws *wsi)
{
    char uri[256];
    int n = lws_hdr_copy(wsi, uri, sizeof(uri), WSI_TOKEN_GET_URI);
    if (n <= 0)
        return false;
    char *q = strchr(uri, '?');
    if (q)
        *q = 0;
    return strcmp(uri, WS_PATH) == 0 || strcmp(uri, WS_PATH "/") == 0;
}

/* Copies header h into buf; NULL when absent. */
static const char *header(struct lws *wsi, enum lws_token_indexes h, char *buf, int len)
{
    return lws_hdr_copy(wsi, buf, len, h) > 0 ? buf : NULL;
}

/* The upgrade request: right path, not shutting down, then admission
 * (Origin, connection limits). A refused upgrade gets an HTTP status. */
static int filter_upgrade(struct lws *wsi)
{
    struct server *srv = srv_of(wsi);
    if (!path_is_ws(wsi) || srv->node.stopping)
        return 1;
    /* the address as filter_accept saw it (the key ESTABLISHED and CLOSED
     * count under), without a getpeername */
    const struct admission_peer *peer = lws_get_opaque_user_data(wsi);
    if (!peer)
        return 1;
    const char *ip = peer->ip;
    char origin[256], host[256];
    enum admit a = admission_check(&srv->admission, srv->node.cfg, srv->node.nclients, ip,
                                   header(wsi, WSI_TOKEN_ORIGIN, origin, sizeof(origin)),
                                   header(wsi, WSI_TOKEN_HOST, host, sizeof(host)));
    if (a == ADMIT_OK)
        return 0;
    srv->node.stats.refused_connections[a]++;
    log_debug("server", "refused WebSocket from %s: %s", ip,
              a == ADMIT_ORIGIN ? "origin not allowed" : "connection limit");
    lws_return_http_status(wsi, a == ADMIT_ORIGIN ? HTTP_STATUS_FORBIDDEN
                                                  : HTTP_STATUS_SERVICE_UNAVAILABLE, NULL);
    return 1;
}

/* Is uri (not NUL-terminated) served by hearth-http (http.c) rather than
 * the static files? Mirrors lws's mount match: the mountpoint itself or
 * anything below it. */
static bool uri_is_dynamic(const char *uri, size_t len)
{
    static const char *const dyn[] = {"/health", "/metrics", "/api"};
    for (size_t i = 0; i < sizeof(dyn) / sizeof(dyn[0]); i++) {
        size_t n = strlen(dyn[i]);
        if (len >= n && !memcmp(uri, dyn[i], n) && (len == n || uri[n] == '/' || uri[n] == '?'))
            return true;
    }
    return false;
}

/* Every plain HTTP request, before routing. The static files take GET and
 * HEAD without a body; anything else there (a POST body trickled into a
 * file path, a body smuggled on a GET) is refused and the connection closed.
 * Requests for /health, /metrics and /api are checked in http.c. */
static int filter_http(struct lws *wsi, const char *uri, size_t len)
{
    if (uri && uri_is_dynamic(uri, len))
        return 0;
    bool get = lws_hdr_total_length(wsi, WSI_TOKEN_GET_URI) > 0 ||
               lws_hdr_total_length(wsi, WSI_TOKEN_HEAD_URI) > 0;
    bool body = lws_hdr_total_length(wsi, WSI_TOKEN_HTTP_TRANSFER_ENCODING) > 0;
    char cl[32];
    int n = lws_hdr_copy(wsi, cl, sizeof(cl), WSI_TOKEN_HTTP_CONTENT_LENGTH);
    if (n != 0 && !(n == 1 && cl[0] == '0'))
        body = true;
    if (get && !body)
        return 0;
    lws_return_http_status(wsi, get ? HTTP_STATUS_BAD_REQUEST : HTTP_STATUS_METHOD_NOT_ALLOWED,
                           NULL);
    return 1;
}

/* The peer address of an accepted socket, as lws_get_peer_simple() would
 * print it (an IPv4-mapped IPv6 address is shown as IPv4). */
static void peer_ip(const struct lws_filter_network_conn_args *f, char *buf, size_t len)
{
    const struct sockaddr *sa = (const struct sockaddr *)&f->cli_addr;
    buf[0] = 0;
    if (sa->sa_family == AF_INET) {
        inet_ntop(AF_INET, &((const struct sockaddr_in *)sa)->sin_addr, buf, (socklen_t)len);
    } else if (sa->sa_family == AF_INET6) {
        const struct in6_addr *a = &((const struct sockaddr_in6 *)sa)->sin6_addr;
        if (IN6_IS_ADDR_V4MAPPED(a))
            inet_ntop(AF_INET, &a->s6_addr[12], buf, (socklen_t)len);
        else
            inet_ntop(AF_INET6, a, buf, (socklen_t)len);
    }
}

/* Every accepted socket, before lws adopts it: the descriptor reserve and
 * the per-address limit on sockets that are not WebSockets. The admission
 * reference is parked in srv until LWS_CALLBACK_SERVER_NEW_CLIENT_INSTANTIATED
 * (which lws delivers synchronously during adoption) hangs it on the new
 * wsi as its opaque user data; WSI_DESTROY gives it back. */
static int filter_accept(struct lws *wsi, const struct lws_filter_network_conn_args *f)
{
    struct server *srv = srv_of(wsi);
    char ip[ADMISSION_IP_MAX];
    peer_ip(f, ip, sizeof(ip));
    struct admission_peer *peer;
    enum admit a = admission_accept(&srv->admission, srv->node.cfg, ip, (int)f->accept_fd, &peer);
    if (a != ADMIT_OK) {
        srv->node.stats.refused_connections[a]++;
        log_debug("server", "refused connection from %s: %s", ip,
                  a == ADMIT_FDS ? "descriptor reserve reached" : "max_http_connections_per_ip");
        return 1;
    }
    admission_release(&srv->admission, srv->accepting); /* never adopted */
    srv->accepting = peer;
    return 0;
}

static int cb_ws(struct lws *wsi, enum lws_callback_reasons reason, void *user, void *in,
                 size_t len)
{
    /* the client rides in the wsi's opaque parent pointer (lws does not use
     * it on server sockets): no per-session allocation for an 8-byte pointer */
    struct client *cl = lws_get_opaque_parent_data(wsi);
    switch (reason) {
    case LWS_CALLBACK_FILTER_NETWORK_CONNECTION:
        return filter_accept(wsi, user);
    case LWS_CALLBACK_SERVER_NEW_CLIENT_INSTANTIATED: {
        struct server *srv = srv_of(wsi);
        lws_set_opaque_user_data(wsi, srv->accepting); /* the socket's reference */
        srv->accepting = NULL;
        return 0;
    }
    case LWS_CALLBACK_WSI_DESTROY: {
        struct admission_peer *peer = lws_get_opaque_user_data(wsi);
        if (peer) {
            lws_set_opaque_user_data(wsi, NULL);
            admission_release(&srv_of(wsi)->admission, peer);
        }
        return 0;
    }
    case LWS_CALLBACK_FILTER_HTTP_CONNECTION:
        return filter_http(wsi, in, len);
    case LWS_CALLBACK_FILTER_PROTOCOL_CONNECTION:
        return filter_upgrade(wsi);
    case LWS_CALLBACK_ESTABLISHED: {
        /* the socket's admission reference (filter_accept) names the peer:
         * no getpeername, and the client does not carry the address */
        struct server *srv = srv_of(wsi);
        const struct lws_protocols *p = lws_get_protocol(wsi);
        const struct admission_peer *peer = lws_get_opaque_user_data(wsi);
        if (!peer || admission_add(&srv->admission, peer->ip) != 0)
            return -1;
        cl = client_new(&srv->node, wsi, (enum wire)p->id);
        if (!cl) {
            admission_remove(&srv->admission, peer->ip);
            return -1;
        }
        lws_set_opaque_parent_data(wsi, cl);
        return 0;
    }
    case LWS_CALLBACK_RECEIVE:
        if (!cl)
            return -1;
        return client_on_receive(cl, in, len, lws_is_first_fragment(wsi),
                                 lws_is_final_fragment(wsi), lws_remaining_packet_payload(wsi),
                                 lws_frame_is_binary(wsi));
    case LWS_CALLBACK_SERVER_WRITEABLE:
        return cl ? client_on_writeable(cl) : -1;
    case LWS_CALLBACK_TIMER:
        return cl ? client_on_timer(cl) : -1;
    case LWS_CALLBACK_CLOSED:
        if (cl) {
            const struct admission_peer *peer = lws_get_opaque_user_data(wsi);
            admission_remove(&srv_of(wsi)->admission, peer->ip); /* set: ESTABLISHED checked */
            lws_set_opaque_parent_data(wsi, NULL);
            client_on_closed(cl);
        }
        return 0;
    default:
        break;
    }
    return lws_callback_http_dummy(wsi, reason, user, in, len);
}

/* The faces' pages by exact path (query ignored): GET /host and
 * /insights are web_root's host.html and insights.html. NULL: not a face. */
static const char *face_file(struct lws *wsi)
{
    static const char *const faces[][2] = {{"/host", "host.html"}, {"/insights", "insights.html"}};
    char uri[256];
    int n = lws_hdr_copy(wsi, uri, sizeof(uri), WSI_TOKEN_GET_URI);
    if (n <= 0)
        return NULL;
    size_t pl = http_path_len(uri, (size_t)n);
    for (size_t i = 0; i < sizeof(faces) / sizeof(faces[0]); i++)
        if (pl == strlen(faces[i][0]) && !memcmp(uri, faces[i][0], pl))
            return faces[i][1];
    return NULL;
}

static int serve_face(struct lws *wsi, const char *file)
{
    const struct config *cfg = srv_of(wsi)->node.cfg;
    char path[1024];
    if ((size_t)snprintf(path, sizeof(path), "%s/%s", cfg->web_root, file) >= sizeof(path))
        return -1;
    static const char no_store[] = "cache-control: no-store\x0d\x0a";
    int n = lws_serve_http_file(wsi, path, "text/html", no_store, (int)strlen(no_store));
    if (n < 0 || (n > 0 && lws_http_transaction_completed(wsi)))
        return -1;
    return 0;
}

static int cb_http(struct lws *wsi, enum lws_callback_reasons reason, void *user, void *in,
                   size_t len)
{
    const char *face;
    if (reason == LWS_CALLBACK_HTTP && (face = face_file(wsi)))
        return serve_face(wsi, face);
    return http_callback(wsi, (int)reason, user, in, len);
}

/* protocols[0] is the default for a WebSocket that offers no subprotocol.
 * rx_buffer_size is lws's per-connection receive buffer (lws allocates it
 * for every WebSocket, idle or not): client commands are small — a
 * subscribe or a 64-byte publish fits — and larger messages arrive in pieces
 * that client.c reassembles, so it is kept small for idle memory (512 → 64
 * saved 448 B per connection, docs/design.md "Memory per connection"). tx_packet_size lets one send() carry a
 * whole batched frame (lws otherwise caps each send at rx_buffer_size and
 * buffers the rest, costing writeable round trips). */
#define WS_RX_BUFFER 64
#define WS_TX_PACKET (NODE_BATCH_MAX + 16)
static const struct lws_protocols protocols[] = {
    {"centrifuge-json", cb_ws, 0, WS_RX_BUFFER, WIRE_JSON, NULL, WS_TX_PACKET},
    {"hearth-msgpack", cb_ws, 0, WS_RX_BUFFER, WIRE_MSGPACK, NULL, WS_TX_PACKET},
    {"hearth-http", cb_http, sizeof(struct http_pss), 0, 100, NULL, 0},
    {NULL, NULL, 0, 0, 0, NULL, 0},
};

static void emit_lws_log(int level, const char *line)
{
    char msg[512];
    snprintf(msg, sizeof(msg), "%s", line);
    size_t n = strlen(msg);
    while (n && (msg[n - 1] == '\n' || msg[n - 1] == '\r'))
        msg[--n] = 0;
    log_emit(level == LLL_ERR ? LOG_ERROR : level == LLL_WARN ? LOG_WARN : LOG_INFO, "lws", "%s",
             msg);
}

int ws_server_start(struct server *srv)
{
    const struct config *cfg = srv->node.cfg;
    lws_set_log_level(LLL_ERR | LLL_WARN, emit_lws_log);

    /* lws keeps pointing at the mounts for the vhost's life: they live in srv.
     * /host and /insights (the faces, web/) are callback mounts too: a file
     * mount would redirect /host to /host/ and lose the ?token= query, so
     * cb_http serves their page itself (serve_face). */
    static const char *const dynamic[] = {"/health", "/metrics", "/api", "/host", "/insights"};
    enum { NDYN = 5 };
    struct lws_http_mount *mounts = calloc(NDYN + 1, sizeof(*mounts));
    if (!mounts)
        return -1;
    srv->mounts = mounts;
    for (int i = 0; i < NDYN; i++) {
        mounts[i].mountpoint = dynamic[i];
        mounts[i].mountpoint_len = (unsigned char)strlen(dynamic[i]);
        mounts[i].origin = "hearth-http";
        mounts[i].origin_protocol = LWSMPRO_CALLBACK;
        mounts[i].mount_next = &mounts[i + 1];
    }
    mounts[NDYN].mountpoint = "/";
    mounts[NDYN].mountpoint_len = 1;
    mounts[NDYN].origin = cfg->web_root;
    mounts[NDYN].def = "index.html";
    mounts[NDYN].origin_protocol = LWSMPRO_FILE;

    /* hearth runs its own ping/pong (client_tick). lws's default retry
     * policy would give every connection a "validity" timer, re-armed on
     * traffic; lws keeps those in a sorted list, so each insert walks all
     * connections (O(n) per connection: it dominated connect storms). With
     * secs_since_valid_hangup = 0 lws arms no validity timer at all. */
    static const lws_retry_bo_t no_validity = {.secs_since_valid_ping = 0, .secs_since_valid_hangup = 0};
    void *loops[1] = {srv->node.loop};
    struct lws_context_creation_info info;
    memset(&info, 0, sizeof(info));
    info.options = LWS_SERVER_OPTION_LIBUV | LWS_SERVER_OPTION_EXPLICIT_VHOSTS |
                   LWS_SERVER_OPTION_VALIDATE_UTF8;
    if (cfg->tls_cert)
        info.options |= LWS_SERVER_OPTION_DO_SSL_GLOBAL_INIT;
    info.foreign_loops = loops;
    info.pcontext = &srv->lws;
    info.user = srv;
    info.port = CONTEXT_PORT_NO_LISTEN;
    /* many concurrent half-open handshakes must not starve real clients */
    info.max_http_header_pool = 4096;
    info.max_http_header_data = 4096;
    info.timeout_secs = cfg->handshake_timeout; /* slow headers (slowloris) */
    info.retry_and_idle_policy = &no_validity;
    server_lws_alloc_install();
    srv->lws = lws_create_context(&info);
    if (!srv->lws) {
        log_error("server", "libwebsockets context creation failed (is libwebsockets-evlib-uv installed?)");
        return -1;
    }
    info.port = cfg->listen_port;
    info.iface = cfg->listen_host;
    info.protocols = protocols;
    info.mounts = mounts;
    info.vhost_name = "hearth";
    info.ssl_cert_filepath = cfg->tls_cert;
    info.ssl_private_key_filepath = cfg->tls_key;
    srv->vhost = lws_create_vhost(srv->lws, &info);
    if (!srv->vhost) {
        log_error("server", "cannot listen on %s:%d", cfg->listen_host, cfg->listen_port);
        return -1;
    }
    log_info("server", "listening on %s://%s:%d (WebSocket %s)", cfg->tls_cert ? "https" : "http",
             cfg->listen_host,
             lws_get_vhost_listen_port(srv->vhost), WS_PATH);
    return 0;
}

void ws_server_stop(struct server *srv)
{
    if (srv->lws)
        lws_context_destroy(srv->lws);
}

void ws_server_destroy(struct server *srv)
{
    if (srv->lws)
        lws_context_destroy(srv->lws);
    srv->lws = NULL;
    free(srv->mounts);
    srv->mounts = NULL;
}
