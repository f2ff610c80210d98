/* server/main.c — hearthd's entry point: flags, config, the one libuv loop. */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <uv.h>

#include "config/config.h"
#include "util/log.h"
#include "server/server.h"

static void usage(FILE *f)
{
    fprintf(f,
            "usage: hearthd [--config FILE] [--listen HOST:PORT]\n"
            "  --config FILE       JSON config (see README.md); without it, demo defaults\n"
            "  --listen HOST:PORT  overrides the config's \"listen\"\n"
            "  --version           print the version\n");
}

int main(int argc, char **argv)
{
    const char *cfg_path = NULL, *listen = NULL;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--config") && i + 1 < argc)
            cfg_path = argv[++i];
        else if (!strcmp(argv[i], "--listen") && i + 1 < argc)
            listen = argv[++i];
        else if (!strcmp(argv[i], "--version")) {
            printf("hearthd %s\n", HEARTH_VERSION);
            return 0;
        } else if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
            usage(stdout);
            return 0;
        } else {
            usage(stderr);
            return 2;
        }
    }
    signal(SIGPIPE, SIG_IGN); /* before anything may write to a socket */
    /* past RLIMIT_FSIZE a write fails with EFBIG (the durable store reports
     * it as a full disk) instead of killing the process */
    signal(SIGXFSZ, SIG_IGN);

    struct config cfg;
    char err[512];
    if (config_load(&cfg, cfg_path, err, sizeof(err)) != 0 ||
        (listen && config_set_listen(&cfg, listen, err, sizeof(err)) != 0)) {
        fprintf(stderr, "hearthd: %s\n", err);
        config_free(&cfg);
        return 2;
    }
    enum log_level lvl;
    if (log_parse_level(cfg.log_level, &lvl) == 0)
        log_set_level(lvl);
    if (cfg.demo_defaults)
        log_info("config", "no --config given: demo defaults (anonymous allowed; namespaces \"\" "
                           "and \"chat\" with history, presence, join/leave and publishing)");

    uv_loop_t loop;
    uv_loop_init(&loop);
    struct server srv;
    int rc = 0;
    if (server_init(&srv, &loop, &cfg) == 0) {
        uv_run(&loop, UV_RUN_DEFAULT);
        log_info("server", "stopped");
    } else {
        rc = 1;
    }
    server_finish(&srv);
    if (uv_loop_close(&loop) != 0) {
        log_error("server", "loop still has open handles at exit");
        rc = rc ? rc : 1;
    }
    config_free(&cfg);
    return rc;
}
