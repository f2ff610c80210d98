/* tests/unit/redis_fixture.h — a throwaway redis-server for unit tests: the
 * test starts it on a free 127.0.0.1 port in a fresh temp dir (no RDB, no
 * AOF), talks to it synchronously for set-up and checks (hiredis), and
 * kills it at the end. The server dies with the test process too
 * (PR_SET_PDEATHSIG), so a crashed test leaves none behind. The binary is
 * $REDIS_SERVER or redis-server from PATH; a missing binary is an error,
 * not a skip (CI installs it). */
#ifndef HEARTH_TEST_REDIS_FIXTURE_H
#define HEARTH_TEST_REDIS_FIXTURE_H

#include <hiredis/hiredis.h>
#include <sys/types.h>

struct redis_server {
    pid_t pid;          /* 0 = not running */
    int port;
    char dir[64];       /* owned temp dir (removed by stop) */
};

/* Starts it and waits until it answers PING (up to 10 s). 0, or -1 with a
 * message on stderr (nothing left running). */
int redis_server_start(struct redis_server *rs);
/* Kills it (SIGKILL: nothing to save) and removes its dir. Idempotent. */
void redis_server_stop(struct redis_server *rs);
/* One command on database db through a fresh synchronous connection
 * (argv-style, binary-safe). Returns the reply (the caller frees it with
 * freeReplyObject) or NULL when the server did not answer. */
redisReply *redis_server_cmd(const struct redis_server *rs, int db, int argc, const char **argv,
                             const size_t *lens);
/* A 127.0.0.1 TCP port nothing listens on right now (bound, then closed). */
int redis_free_port(void);

#endif
