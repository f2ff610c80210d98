#!/usr/bin/env python3
"""bench/stallwatch.py — is a latency spike the machine's? Watches for stalls of the whole VM.

One real-time (SCHED_FIFO) sampler process per CPU wakes up every millisecond and records every
wake-up that came more than --gap ms late. A SCHED_FIFO thread runs before any ordinary process
(hearthd, the generator, builds), so a late wake-up on a CPU means that CPU did not run at all:
the hypervisor descheduled it (or an interrupt storm held it). When both CPUs report the same gap
at the same moment, the whole VM stalled. Alongside: the kernel's steal time (/proc/stat) and TCP
retransmissions (/proc/net/snmp), sampled every 100 ms, so a stall can be told from a TCP timeout.

    python3 bench/stallwatch.py --seconds 120 [--gap 20] [--json]

Prints one line per stall (time, CPU, how late) and a summary; needs root for SCHED_FIFO (falls
back to normal priority, and says so). Bounded: it stops by itself after --seconds.
"""
import argparse
import json
import multiprocessing as mp
import os
import time


def sampler(cpu, seconds, gap_ms, q):
    os.sched_setaffinity(0, {cpu})
    rt = True
    try:
        os.sched_setscheduler(0, os.SCHED_FIFO, os.sched_param(10))
    except (PermissionError, OSError):
        rt = False
    end = time.monotonic() + seconds
    stalls = []
    prev = time.monotonic()
    while prev < end:
        time.sleep(0.001)
        now = time.monotonic()
        late = (now - prev) * 1000 - 1.0
        if late > gap_ms:
            stalls.append((time.time() - (now - prev), round(late, 1)))
        prev = now
    q.put((cpu, rt, stalls))


def counters():
    steal = 0
    with open('/proc/stat') as f:
        for line in f:
            if line.startswith('cpu '):
                steal = int(line.split()[8])
                break
    retrans = 0
    with open('/proc/net/snmp') as f:
        rows = [line.split() for line in f if line.startswith('Tcp:')]
    if len(rows) >= 2:
        retrans = int(rows[1][rows[0].index('RetransSegs')])
    return steal, retrans


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument('--seconds', type=float, default=60)
    ap.add_argument('--gap', type=float, default=20, help='report wake-ups later than this (ms)')
    ap.add_argument('--json', action='store_true')
    a = ap.parse_args()
    q = mp.Queue()
    ncpu = os.cpu_count() or 1
    procs = [mp.Process(target=sampler, args=(c, a.seconds, a.gap, q)) for c in range(ncpu)]
    for p in procs:
        p.start()
    t0 = time.time()
    s0, r0 = counters()
    series = []  # (t, steal ticks, retransmits) every 100 ms
    while time.time() - t0 < a.seconds:
        time.sleep(0.1)
        s, r = counters()
        series.append((time.time(), s - s0, r - r0))
    res = [q.get() for _ in procs]
    for p in procs:
        p.join()
    stalls = sorted((t, cpu, late) for cpu, _, st in res for t, late in st)
    rt = all(r for _, r, _ in res)
    # a VM-wide stall: every CPU late within 5 ms of each other
    together = []
    for t, cpu, late in stalls:
        others = {c for tt, c, _ in stalls if abs(tt - t) < 0.005}
        if len(others) == ncpu and (not together or t - together[-1][0] > 0.05):
            together.append((t, late))
    for t, cpu, late in stalls:
        print(f'{time.strftime("%H:%M:%S", time.localtime(t))}.{int(t * 1000) % 1000:03d} cpu{cpu} '
              f'woke {late:.1f} ms late')
    steal_ms = series[-1][1] * 1000 / os.sysconf('SC_CLK_TCK') if series else 0
    retrans = series[-1][2] if series else 0
    summary = {'seconds': a.seconds, 'realtime_samplers': rt, 'stalls': len(stalls),
               'vm_wide_stalls': len(together), 'worst_ms': max((s[2] for s in stalls), default=0),
               'steal_ms': steal_ms, 'tcp_retransmits': retrans}
    print(('RESULT ' + json.dumps(summary)) if a.json else
          f'{len(stalls)} late wake-ups > {a.gap:.0f} ms ({len(together)} on every CPU at once, worst '
          f'{summary["worst_ms"]:.0f} ms); steal {steal_ms:.0f} ms; TCP retransmits {retrans}; '
          f'samplers {"SCHED_FIFO" if rt else "normal priority (not root): contention also shows"}')


if __name__ == '__main__':
    main()
