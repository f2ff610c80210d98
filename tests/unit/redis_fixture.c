/* tests/unit/redis_fixture.c — the throwaway redis-server (see
 * redis_fixture.h). Owns the child process and its temp dir. */
#include "tests/unit/redis_fixture.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

int redis_free_port(void)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    if (fd < 0)
        return -1;
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = 0};
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof(a);
    int port = -1;
    if (bind(fd, (struct sockaddr *)&a, sizeof(a)) == 0 &&
        getsockname(fd, (struct sockaddr *)&a, &len) == 0)
        port = ntohs(a.sin_port);
    close(fd);
    return port;
}

static void sleep_ms(long ms)
{
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

static bool answers(const struct redis_server *rs)
{
    const char *argv[1] = {"PING"};
    size_t lens[1] = {4};
    redisReply *r = redis_server_cmd(rs, 0, 1, argv, lens);
    bool ok = r && r->type == REDIS_REPLY_STATUS && !strcmp(r->str, "PONG");
    if (r)
        freeReplyObject(r);
    return ok;
}

int redis_server_start(struct redis_server *rs)
{
    memset(rs, 0, sizeof(*rs));
    snprintf(rs->dir, sizeof(rs->dir), "/tmp/hearth-test-redis-XXXXXX");
    if (!mkdtemp(rs->dir)) {
        fprintf(stderr, "redis fixture: mkdtemp: %s\n", strerror(errno));
        return -1;
    }
    rs->port = redis_free_port();
    const char *bin = getenv("REDIS_SERVER") ? getenv("REDIS_SERVER") : "redis-server";
    char port[16], log[96];
    snprintf(port, sizeof(port), "%d", rs->port);
    snprintf(log, sizeof(log), "%s/redis.log", rs->dir);
    pid_t pid = fork();
    if (pid < 0) {
        fprintf(stderr, "redis fixture: fork: %s\n", strerror(errno));
        rmdir(rs->dir);
        return -1;
    }
    if (pid == 0) {
        prctl(PR_SET_PDEATHSIG, SIGKILL);
        int fd = open(log, O_WRONLY | O_CREAT | O_TRUNC, 0600);
        if (fd >= 0) {
            dup2(fd, 1);
            dup2(fd, 2);
        }
        execlp(bin, bin, "--port", port, "--bind", "127.0.0.1", "--save", "", "--appendonly",
               "no", "--dir", rs->dir, "--databases", "16", (char *)NULL);
        fprintf(stderr, "exec %s: %s\n", bin, strerror(errno));
        _exit(127);
    }
    rs->pid = pid;
    for (int i = 0; i < 200; i++) {
        int status;
        if (waitpid(pid, &status, WNOHANG) == pid) {
            fprintf(stderr,
                    "redis fixture: %s exited at start (status %d; is redis-server installed? "
                    "scripts/deps.sh --test installs it); its output:\n",
                    bin, WIFEXITED(status) ? WEXITSTATUS(status) : -1);
            char cmd[160];
            snprintf(cmd, sizeof(cmd), "cat %s >&2", log);
            if (system(cmd) != 0)
                fprintf(stderr, "(no output)\n");
            rs->pid = 0;
            redis_server_stop(rs);
            return -1;
        }
        if (answers(rs))
            return 0;
        sleep_ms(50);
    }
    fprintf(stderr, "redis fixture: %s on port %d did not answer within 10 s\n", bin, rs->port);
    redis_server_stop(rs);
    return -1;
}

void redis_server_stop(struct redis_server *rs)
{
    if (rs->pid > 0) {
        kill(rs->pid, SIGKILL);
        waitpid(rs->pid, NULL, 0);
        rs->pid = 0;
    }
    if (rs->dir[0]) {
        char log[96];
        snprintf(log, sizeof(log), "%s/redis.log", rs->dir);
        unlink(log);
        rmdir(rs->dir);
        rs->dir[0] = 0;
    }
}

redisReply *redis_server_cmd(const struct redis_server *rs, int db, int argc, const char **argv,
                             const size_t *lens)
{
    struct timeval tv = {2, 0};
    redisContext *c = redisConnectWithTimeout("127.0.0.1", rs->port, tv);
    if (!c)
        return NULL;
    redisReply *r = NULL;
    if (!c->err && redisSetTimeout(c, tv) == REDIS_OK) {
        if (db) {
            redisReply *s = redisCommand(c, "SELECT %d", db);
            if (s)
                freeReplyObject(s);
        }
        r = redisCommandArgv(c, argc, argv, lens);
    }
    redisFree(c);
    return r;
}
