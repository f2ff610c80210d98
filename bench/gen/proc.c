/* bench/gen/proc.c — CPU and memory of processes from /proc: utime+stime
 * (/proc/PID/stat), VmRSS and VmHWM (/proc/PID/status) of the generator
 * itself and of every --server-pid, sampled at the edges of the load window
 * and at the end of a run. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bench.h"

int read_proc(int pid, struct proc_sample *s)
{
    char path[64], buf[4096];
    memset(s, 0, sizeof(*s));
    snprintf(path, sizeof(path), pid ? "/proc/%d/stat" : "/proc/self/stat", pid);
    FILE *f = fopen(path, "r");
    if (!f)
        return -1;
    size_t n = fread(buf, 1, sizeof(buf) - 1, f);
    fclose(f);
    buf[n] = 0;
    char *p = strrchr(buf, ')');
    if (!p)
        return -1;
    /* fields after ")": 3 state ... 14 utime 15 stime */
    unsigned long long ut = 0, st = 0;
    int field = 2;
    for (char *t = p + 1; *t && field < 15; t++) {
        if (*t == ' ') {
            field++;
            if (field == 14)
                ut = strtoull(t + 1, NULL, 10);
            else if (field == 15)
                st = strtoull(t + 1, NULL, 10);
        }
    }
    s->ticks = ut + st;
    snprintf(path, sizeof(path), pid ? "/proc/%d/status" : "/proc/self/status", pid);
    f = fopen(path, "r");
    if (!f)
        return -1;
    char line[256];
    while (fgets(line, sizeof(line), f))
        if (strncmp(line, "VmRSS:", 6) == 0)
            s->rss_kib = strtoull(line + 6, NULL, 10);
        else if (strncmp(line, "VmHWM:", 6) == 0)
            s->hwm_kib = strtoull(line + 6, NULL, 10);
    fclose(f);
    return 0;
}

uint64_t server_rss_hwm(struct bench *b, bool hwm)
{
    uint64_t sum = 0;
    for (int i = 0; i < b->o.nserver_pids; i++) {
        struct proc_sample s;
        if (read_proc(b->o.server_pids[i], &s) == 0)
            sum += hwm ? s.hwm_kib : s.rss_kib;
    }
    return sum;
}

uint64_t server_rss(struct bench *b) { return server_rss_hwm(b, false); }

void sample(struct bench *b, struct proc_sample *gen, struct proc_sample *srv, int64_t *t)
{
    *t = now_us();
    read_proc(0, gen);
    for (int i = 0; i < b->o.nserver_pids; i++)
        read_proc(b->o.server_pids[i], &srv[i]);
}
