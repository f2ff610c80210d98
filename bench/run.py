#!/usr/bin/env python3
"""bench/run.py — runs hearth and its peers side by side through the same
scenarios with bench/hearth-bench and writes bench/results/<date>.md (plus the
raw RESULT lines in <date>.jsonl). Called by bench/run.sh, which installs the
peers and builds first; `--smoke` is the CI variant (hearth only, tiny sizes,
checks loss and ordering, prints "-- bench-smoke: N passed, M failed").

Every server under test is pinned to CPU 0 and the generator to CPU 1
(taskset). Everything listens on and talks to 127.0.0.1 only, every run is
bounded in count and time, and every process started here is stopped here,
by its own pid.
"""
import argparse
import datetime
import json
import os
import platform
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
SERVER_CPU = '0'
GEN_CPU = '1'
API_KEY = 'bench-key'
PUB_CONNS = 32  # publisher keep-alive connections, one request in flight each (same for every server)
ONEBOT_INFLIGHT = 8  # the one-bot scenario: requests in flight at most (HTTP connections / WebSocket publishes)
RITUAL_CONFIG = os.path.join(HERE, 'configs', 'hearth-ritual.json')  # the ritual scenario's hearthd config
STARTED = []  # every Popen we own, stopped at exit


def log(*a):
    print(*a, file=sys.stderr, flush=True)


def free_port():
    s = socket.socket()
    s.bind(('127.0.0.1', 0))
    p = s.getsockname()[1]
    s.close()
    return p


def loadavg():
    with open('/proc/loadavg') as f:
        return ' '.join(f.read().split()[:3])


def softnet_drops():
    """Packets the kernel dropped from its per-CPU input backlogs (all CPUs)."""
    try:
        with open('/proc/net/softnet_stat') as f:
            return sum(int(line.split()[1], 16) for line in f if line.strip())
    except (OSError, IndexError, ValueError):
        return 0


def tcp_retransmits():
    """The kernel's TCP retransmitted segments so far (/proc/net/snmp RetransSegs): on loopback each
    one is a lost segment waiting out a retransmission timeout (>= 200 ms), i.e. a latency spike."""
    try:
        with open('/proc/net/snmp') as f:
            rows = [line.split() for line in f if line.startswith('Tcp:')]
        return int(rows[1][rows[0].index('RetransSegs')])
    except (OSError, ValueError, IndexError):
        return 0


def steal_ms():
    """CPU time the hypervisor took from this VM so far (/proc/stat steal), in ms."""
    try:
        with open('/proc/stat') as f:
            return int(f.readline().split()[8]) * 1000 // os.sysconf('SC_CLK_TCK')
    except (OSError, ValueError, IndexError):
        return 0


def wait_port(port, proc, timeout=10.0):
    end = time.time() + timeout
    while time.time() < end:
        if proc.poll() is not None:
            return False
        try:
            socket.create_connection(('127.0.0.1', port), timeout=0.2).close()
            return True
        except OSError:
            time.sleep(0.05)
    return False


def spawn(cmd, cpu=SERVER_CPU, env=None, cwd=None, logfile=None):
    out = open(logfile, 'wb') if logfile else subprocess.DEVNULL
    p = subprocess.Popen(['taskset', '-c', cpu] + cmd, stdout=out, stderr=subprocess.STDOUT,
                         env=env, cwd=cwd, start_new_session=True)
    STARTED.append(p)
    return p


def stop(p, timeout=5):
    if p.poll() is None:
        try:
            os.kill(p.pid, signal.SIGTERM)
            p.wait(timeout=timeout)
        except (subprocess.TimeoutExpired, ProcessLookupError):
            try:
                os.kill(p.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            p.wait()
    if p in STARTED:
        STARTED.remove(p)


def stop_all():
    for p in list(STARTED):
        stop(p)


def children(pid):
    try:
        with open(f'/proc/{pid}/task/{pid}/children') as f:
            return [int(x) for x in f.read().split()]
    except OSError:
        return []


class Server:
    """One server under test: its processes, how to subscribe and publish."""

    def __init__(self, name, dialect, urls, pub, pub_url, procs, pids, tmp):
        self.name, self.dialect, self.urls = name, dialect, urls
        self.pub, self.pub_url = pub, pub_url
        self.procs, self.pids, self.tmp = procs, pids, tmp

    def stop(self):
        """Stops every process (SIGTERM, then SIGKILL after 5 s); returns their exit codes."""
        for p in reversed(self.procs):
            stop(p, timeout=10)
        shutil.rmtree(self.tmp, ignore_errors=True)
        return [p.returncode for p in self.procs]


class Bench:
    def __init__(self, args):
        self.a = args
        self.results = []
        self.jsonl = None
        self.runs = 0

    # ---- servers ----

    def start_hearth(self, name, dialect, cfg_extra=None, nodes=1, redis_port=None, base=None):
        """base: a config file to start from (its listen is replaced) instead of the built-in one."""
        tmp = tempfile.mkdtemp(prefix='hearth-bench-')
        procs, pids, urls, ports = [], [], [], []
        for i in range(nodes):
            port = free_port()
            # every generator connection comes from 127.0.0.1: the per-address
            # connection cap and the per-client command rate are for real
            # deployments, so the bench nodes run without them (0 = off)
            cfg = {'listen': f'127.0.0.1:{port}', 'api_key': API_KEY, 'log_level': 'warn',
                   'max_connections_per_ip': 0, 'max_http_connections_per_ip': 0, 'client_command_rate': 0,
                   'data_dir': '',  # memory only: the durable store is measured by bench/durable.sh
                   'namespaces': [{'name': '', 'allow_publish': True}]}
            if base:
                with open(base) as f:
                    cfg = json.load(f)
                cfg['listen'] = f'127.0.0.1:{port}'
            cfg.update(cfg_extra or {})
            path = os.path.join(tmp, f'hearth{i}.json')
            with open(path, 'w') as f:
                json.dump(cfg, f)
            p = spawn([self.a.hearthd, '--config', path], logfile=os.path.join(tmp, f'hearth{i}.log'))
            procs.append(p)
            if not wait_port(port, p):
                with open(os.path.join(tmp, f'hearth{i}.log'), errors='replace') as f:
                    msg = f.read().strip()
                for q in procs:
                    stop(q)
                shutil.rmtree(tmp, ignore_errors=True)
                raise RuntimeError(f'hearthd did not start: {msg[-400:]}')
            pids.append(p.pid)
            ports.append(port)
            urls.append(f'ws://127.0.0.1:{port}/connection/websocket')
        return Server(name, dialect, urls, 'api', f'http://127.0.0.1:{ports[0]}/api/publish', procs, pids, tmp)

    def start_nchan(self):
        tmp = tempfile.mkdtemp(prefix='nchan-bench-')
        port = free_port()
        with open(os.path.join(HERE, 'peers', 'nginx-nchan.conf.in')) as f:
            conf = f.read().replace('@PORT@', str(port)).replace('@DIR@', tmp)
        path = os.path.join(tmp, 'nginx.conf')
        with open(path, 'w') as f:
            f.write(conf)
        p = spawn(['nginx', '-c', path, '-p', tmp], logfile=os.path.join(tmp, 'nginx.out'))
        if not wait_port(port, p):
            stop(p)
            raise RuntimeError('nginx/nchan did not start')
        time.sleep(0.2)
        workers = children(p.pid)
        return Server('nchan', 'raw', [f'ws://127.0.0.1:{port}/sub/{{room}}'], 'post',
                      f'http://127.0.0.1:{port}/pub/{{room}}', [p], workers or [p.pid], tmp)

    def start_node(self, name, script, dialect, nodes=1, redis_url=None):
        tmp = tempfile.mkdtemp(prefix='node-bench-')
        procs, pids, urls, ports = [], [], [], []
        env = dict(os.environ)
        if redis_url:
            env['REDIS_URL'] = redis_url
        for i in range(nodes):
            port = free_port()
            p = spawn(['node', os.path.join(HERE, 'peers', script), str(port)], env=env,
                      cwd=os.path.join(HERE, 'peers'), logfile=os.path.join(tmp, f'node{i}.log'))
            procs.append(p)
            if not wait_port(port, p, timeout=20):
                for q in procs:
                    stop(q)
                raise RuntimeError(f'{name} did not start')
            pids.append(p.pid)
            ports.append(port)
            if dialect == 'sio':
                urls.append(f'ws://127.0.0.1:{port}/socket.io/?EIO=4&transport=websocket')
            else:
                urls.append(f'ws://127.0.0.1:{port}/sub/{{room}}')
        return Server(name, dialect, urls, 'post', f'http://127.0.0.1:{ports[0]}/pub/{{room}}', procs, pids, tmp)

    def start_redis(self):
        port = free_port()
        tmp = tempfile.mkdtemp(prefix='redis-bench-')
        p = spawn(['redis-server', '--port', str(port), '--bind', '127.0.0.1', '--save', '',
                   '--appendonly', 'no', '--dir', tmp], logfile=os.path.join(tmp, 'redis.log'))
        if not wait_port(port, p):
            stop(p)
            raise RuntimeError('redis-server did not start')
        return p, port, tmp

    def start(self, name):
        if name == 'hearth-json':
            return self.start_hearth(name, 'json', base=self.a.hearth_config)
        if name == 'hearth-msgpack':
            return self.start_hearth(name, 'msgpack', base=self.a.hearth_config)
        if name == 'nchan':
            return self.start_nchan()
        if name == 'node-ws':
            return self.start_node(name, 'ws-server.mjs', 'raw')
        if name == 'socketio':
            return self.start_node(name, 'sio-server.mjs', 'sio')
        raise ValueError(name)

    # ---- one generator run ----

    def gen(self, srv, scenario, point, subs, rooms=1, rate=0.0, seconds=3.0, extra=None, timeout=90,
            ritual=None):
        """ritual: {'ns', 'secret', 'taps', 'chatters'}: a --ritual run (members chat and tap in one room)."""
        self.runs += 1  # a fresh room prefix per run: nothing carries over between runs on one server
        prefix = f'{ritual["ns"]}:b{self.runs}r.' if ritual else f'b{self.runs}r'
        cmd = ['taskset', '-c', GEN_CPU, self.a.gen, '--dialect', srv.dialect, '--subs', str(subs),
               '--room-prefix', prefix,
               '--rooms', str(rooms), '--rate', str(rate), '--seconds', str(seconds), '--json', '--quiet',
               '--timeout', str(timeout), '--label', f'{scenario}/{srv.name}']
        for u in srv.urls:
            cmd += ['--url', u]
        if ritual:
            cmd += ['--ritual', '--token-secret', ritual['secret'], '--taps', str(ritual['taps']),
                    '--chatters', str(ritual['chatters'])]
        elif rate > 0:
            cmd += ['--pub', srv.pub, '--pub-url', srv.pub_url, '--pub-conns', str(PUB_CONNS)]
            if srv.pub == 'api':
                cmd += ['--api-key', API_KEY]
        for pid in srv.pids:
            cmd += ['--server-pid', str(pid)]
        if not ritual and srv.name.startswith('hearth'):
            cmd += self.a.gen_arg
        cmd += extra or []
        la = loadavg()
        drops0, retrans0, steal0 = softnet_drops(), tcp_retransmits(), steal_ms()
        try:
            out = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout + 30)
        except subprocess.TimeoutExpired:
            log(f'  {scenario} {srv.name} {point}: generator timed out')
            return None
        res = None
        for line in out.stdout.splitlines():
            if line.startswith('RESULT '):
                res = json.loads(line[7:])
        if not res:
            log(f'  {scenario} {srv.name} {point}: no result (rc {out.returncode}): {out.stderr.strip()[-300:]}')
            return None
        res.update({'scenario': scenario, 'server': srv.name, 'point': point, 'loadavg': la,
                    'kernel_drops': softnet_drops() - drops0, 'tcp_retransmits': tcp_retransmits() - retrans0,
                    'steal_ms': steal_ms() - steal0,
                    'time': datetime.datetime.now().isoformat(timespec='seconds')})
        self.results.append(res)
        if self.jsonl:
            self.jsonl.write(json.dumps(res) + '\n')
            self.jsonl.flush()
        log(f'  {scenario:10} {srv.name:14} {point:>10}: subs {res["subscribed"]}/{subs} '
            f'pub {res["published"]}/{res["publish_target"]:.0f} loss {res["loss"]} '
            f'dps {res["deliveries_per_s"]:.0f} p50 {res["p50_ms"]:.2f} p99 {res["p99_ms"]:.2f} ms '
            f'srv {res["server_cpu_pct"]:.0f}% gen {res["gen_cpu_pct"]:.0f}% '
            f'rss/conn {res["rss_per_conn_b"]:.0f} B conn/s {res["connect_per_s"]:.0f} '
            f'drops {res["kernel_drops"]} retrans {res["tcp_retransmits"]} steal {res["steal_ms"]} ms '
            f'max {res.get("max_ms", 0):.0f} ms load {la}')
        if res.get('ritual'):
            log(f'  {"":10} {"":14} {"":>10}  taps {res["taps_sent"]}/{res["taps_target"]:.0f} accepted '
                f'{res["taps_accepted"]} over-limit {res["taps_refused"]} totals {res["totals_received"]}/'
                f'{res["totals_expected"]} exact {res["members_counts_exact"]}/{res["members"]} every {res["totals_interval_ms"]:.0f} ms '
                f'tap->totals p50 '
                f'{res["tap_totals_p50_ms"]:.1f} p99 {res["tap_totals_p99_ms"]:.1f} ms fan-out p99 '
                f'{res["totals_fanout_p99_ms"]:.2f} ms dps all {res["all_deliveries_per_s"]:.0f} '
                f'rss peak {res["server_hwm_kib"]} KiB')
        return res

    @staticmethod
    def metric(srv, name):
        """One counter from hearthd's /metrics (the first node), or None."""
        url = srv.pub_url.replace('/api/publish', '/metrics')
        try:
            with urllib.request.urlopen(url, timeout=5) as resp:
                for line in resp.read().decode().splitlines():
                    if line.startswith(name + ' '):
                        return float(line.split()[1])
        except OSError:
            return None
        return None

    @staticmethod
    def sustained(r, subs):
        return (r is not None and r['subscribed'] == subs and r['loss'] == 0 and r['duplicates'] == 0
                and r['out_of_order'] == 0 and r['p99_ms'] <= 100.0
                and r['published'] >= 0.97 * r['publish_target'] and r['closed_by_server'] == 0)

    # ---- scenarios ----

    def broadcast(self, servers, subs, ladder, seconds=3.0, scenario=None, modes=None):
        """modes(srv) -> [(scenario, extra generator flags)]: the publisher variants run on each server
        (default: one, the server's own publisher with PUB_CONNS connections)."""
        scenario = scenario or f'bcast{subs // 1000}k'
        for name in servers:
            srv = self.start(name)
            try:
                for scen, extra in (modes(srv) if modes else [(scenario, None)]):
                    self.ladder(srv, scen, subs, ladder, seconds, extra)
            finally:
                srv.stop()

    def onebot(self, servers, ladder, subs=1000, seconds=3.0):
        """One bot publishing into one 1,000-member room as a new user would: through the HTTP API on
        ONEBOT_INFLIGHT keep-alive connections (one request in flight each), and for hearth also as one
        WebSocket client with at most ONEBOT_INFLIGHT publishes awaiting their reply. nchan takes the
        HTTP variant (its publisher is HTTP)."""
        def modes(srv):
            m = [('onebot-http', ['--pub-conns', str(ONEBOT_INFLIGHT)])]
            if srv.name.startswith('hearth'):
                m.append(('onebot-ws', ['--pub', 'ws', '--pub-url', srv.urls[0],
                                        '--ws-inflight', str(ONEBOT_INFLIGHT)]))
            return m
        self.broadcast(servers, subs, ladder, seconds, modes=modes)

    def ladder(self, srv, scenario, subs, ladder, seconds, extra=None):
        """Steps the publish rate up until a point fails."""
        name = srv.name
        for target in ladder:
            rate = target / subs
            runs = [self.gen(srv, scenario, f'{target}', subs, 1, rate, seconds, extra)
                    for _ in range(self.a.reps)]
            ok = [self.sustained(r, subs) for r in runs]
            if not all(ok):
                if any(r and r['gen_saturated'] for r in runs):
                    log(f'  {name}: failed at {target}/s with the generator saturated: '
                        'this ceiling is the generator\'s, a lower bound for the server')
                break

    def manyrooms(self, servers, rates, rooms=1000, per_room=10, seconds=5.0):
        for name in servers:
            srv = self.start(name)
            try:
                for rate in rates:
                    for _ in range(self.a.reps):
                        self.gen(srv, 'manyrooms', f'{rate}', rooms * per_room, rooms, rate, seconds)
            finally:
                srv.stop()

    def idle(self, servers, n=10000):
        for name in servers:
            for _ in range(self.a.reps):
                srv = self.start(name)
                try:
                    time.sleep(0.5)
                    self.gen(srv, 'idle', f'{n}', n, n, 0, 0, ['--settle', '2', '--concurrency', '512'])
                finally:
                    srv.stop()

    def storm(self, servers, n=10000, conc=(256, 500, 1024, 4096)):
        for name in servers:
            srv = self.start(name)
            try:
                for c in conc:
                    for _ in range(self.a.reps):
                        r = self.gen(srv, 'storm', f'c{c}', n, n, 0, 0, ['--settle', '0', '--concurrency', str(c)])
                        time.sleep(0.5)
            finally:
                srv.stop()

    def crossnode(self, ladder, subs=1000, seconds=3.0):
        rp, rport, rtmp = self.start_redis()
        try:
            keys = json.loads(os.environ.get('HEARTH_BENCH_REDIS_KEYS', '{}')) or {
                'engine': 'redis', 'redis_url': f'redis://127.0.0.1:{rport}', 'redis_prefix': 'bench'}
            keys = json.loads(json.dumps(keys).replace('@REDIS_PORT@', str(rport)))
            pairs = []
            try:
                pairs.append(('hearth-redis', lambda: self.start_hearth('hearth-redis', 'json', keys, nodes=2)))
            except Exception:
                pass
            pairs.append(('socketio-redis', lambda: self.start_node('socketio-redis', 'sio-server.mjs', 'sio', 2,
                                                                    f'redis://127.0.0.1:{rport}')))
            for name, starter in pairs:
                try:
                    srv = starter()
                except RuntimeError as e:
                    msg = str(e)
                    log(f'  crossnode: {name} skipped: {msg}')
                    skip = {'scenario': 'crossnode', 'server': name, 'point': 'skipped', 'skipped': msg[:300],
                            'loadavg': loadavg(), 'time': datetime.datetime.now().isoformat(timespec='seconds')}
                    self.results.append(skip)
                    if self.jsonl:
                        self.jsonl.write(json.dumps(skip) + '\n')
                    continue
                srv.pids.append(rp.pid)
                try:
                    for target in ladder:
                        runs = [self.gen(srv, 'crossnode', f'{target}', subs, 1, target / subs, seconds)
                                for _ in range(self.a.reps)]
                        if not all(self.sustained(r, subs) for r in runs):
                            break
                finally:
                    srv.stop()
        finally:
            stop(rp)
            shutil.rmtree(rtmp, ignore_errors=True)

    def ritual_params(self, taps, chatters):
        with open(RITUAL_CONFIG) as f:
            secret = json.load(f)['token_hmac_secret']
        return {'ns': 'live', 'secret': secret, 'taps': taps, 'chatters': chatters}

    def ritual(self, servers, members=10000, taps=5000, rate=50, chatters=5, seconds=10.0):
        """A live ritual on one node: members of one chat room, reactions and chat together. hearth only:
        nchan, Node ws and Socket.IO have no server-side reaction aggregation to compare with."""
        if 'hearth-json' not in servers:
            log('  ritual: hearth-json only (the peers have nothing comparable); skipped')
            return
        others = [s for s in servers if s != 'hearth-json']
        if others:
            log(f'  ritual: {", ".join(others)} not run: no server-side reaction aggregation to compare with')
        srv = self.start_hearth('hearth-json', 'json', base=RITUAL_CONFIG)
        try:
            for _ in range(self.a.reps):
                self.gen(srv, 'ritual', f'{members}', members, 1, rate, seconds,
                         ['--concurrency', '512', '--settle', '1'], timeout=120,
                         ritual=self.ritual_params(taps, chatters))
        finally:
            srv.stop()

    # ---- CI smoke ----

    def smoke(self):
        """Tiny runs of every scenario against hearth only; correctness, not speed."""
        passed = failed = 0

        def check(name, r, subs, want_pub=True, extra=None):
            nonlocal passed, failed
            ok = r is not None and r['subscribed'] == subs and r['connect_errors'] == 0 and \
                r['closed_by_server'] == 0 and r['duplicates'] == 0 and r['out_of_order'] == 0 and \
                r['misrouted'] == 0 and r['loss'] == 0
            if want_pub:
                ok = ok and r['published'] == round(r['publish_target']) and r['expected'] > 0 and \
                    r['unique'] == r['expected'] and r['publish_errors'] == 0
            if extra:
                ok = ok and extra(r)
            print(f'bench-smoke {"ok  " if ok else "FAIL"} {name}' + ('' if r else ' (no result)'))
            if not ok and r:
                print('   ', json.dumps(r))
            passed += ok
            failed += not ok

        def check_exit(name, srv):
            # hearthd exits 0 after a graceful shutdown; a sanitizer finding or a crash does not
            nonlocal passed, failed
            codes = srv.stop()
            ok = all(c == 0 for c in codes)
            print(f'bench-smoke {"ok  " if ok else "FAIL"} {name}: hearthd exit codes {codes}')
            passed += ok
            failed += not ok

        for dialect in ('json', 'msgpack'):
            srv = self.start_hearth(f'hearth-{dialect}', dialect)
            stopped = False
            try:
                check(f'broadcast {dialect} 200 subs, API publish',
                      self.gen(srv, 'smoke-bcast', '20k', 200, 1, 100, 1.0, timeout=30), 200)
                check(f'broadcast {dialect} 100 subs, WebSocket publish',
                      self.gen(srv, 'smoke-bcast-ws', '10k', 100, 1, 100, 1.0, ['--pub', 'ws', '--pub-url',
                               srv.urls[0]], timeout=30), 100)
                check(f'many rooms {dialect} 50x4, 8 publisher streams',
                      self.gen(srv, 'smoke-rooms', '400', 200, 50, 400, 1.0, timeout=30), 200)
                if dialect == 'json':
                    # the self-batching fan-out: one bot (8 in flight) publishing as fast as its
                    # acknowledgements come back keeps the server saturated on any machine, so
                    # passes to the 2,000 members run back to back and get deferred; every
                    # acknowledged publication still reaches every member once and in order
                    def some_published(r):
                        return r['published'] >= 20 and r['publish_errors'] == 0 and \
                            r['unique'] == r['expected'] and r['expected'] == r['published'] * 2000
                    before = self.metric(srv, 'hearth_flush_deferred_total')
                    check(f'one bot {dialect} 2,000 subs, HTTP API, 8 in flight, flat out',
                          self.gen(srv, 'smoke-onebot', 'max', 2000, 1, 20000, 1.0,
                                   ['--pub-conns', str(ONEBOT_INFLIGHT)], timeout=40), 2000,
                          want_pub=False, extra=some_published)
                    check(f'one bot {dialect} 2,000 subs, WebSocket, 8 in flight, flat out',
                          self.gen(srv, 'smoke-onebot-ws', 'max', 2000, 1, 20000, 1.0,
                                   ['--pub', 'ws', '--pub-url', srv.urls[0], '--ws-inflight',
                                    str(ONEBOT_INFLIGHT)], timeout=40), 2000,
                          want_pub=False, extra=some_published)
                    after = self.metric(srv, 'hearth_flush_deferred_total')
                    ok = before is not None and after is not None and after > before
                    print(f'bench-smoke {"ok  " if ok else "FAIL"} one bot: fan-out passes were deferred '
                          f'(hearth_flush_deferred_total {before} -> {after})')
                    passed += ok
                    failed += not ok
                check(f'idle {dialect} 300 subs', self.gen(srv, 'smoke-idle', '300', 300, 300, 0, 0,
                                                           ['--settle', '0.2'], timeout=30), 300, False)
                check(f'connect storm {dialect} 500 subs', self.gen(srv, 'smoke-storm', '500', 500, 500, 0, 0,
                                                                    ['--settle', '0', '--concurrency', '500'],
                                                                    timeout=30), 500, False)
                stopped = True
                check_exit(f'clean shutdown after the {dialect} runs', srv)
            finally:
                if not stopped:
                    srv.stop()
        # the live ritual: every chat message to every member once and in order, and every member's
        # reaction totals summing to exactly the taps the server accepted
        def ritual_ok(r):
            return bool(r.get('ritual')) and r['gaps'] == 0 and r['taps_sent'] == round(r['taps_target']) and \
                r['taps_accepted'] > 0 and r['tap_errors'] == 0 and r['stray_replies'] == 0 and \
                r['totals_windows'] > 0 and r['totals_loss'] == 0 and r['totals_mismatch'] == 0 and \
                r['totals_bad'] == 0 and r['members_counts_exact'] == r['subs'] and \
                r['counts_received'] == r['taps_accepted'] * r['subs']
        srv = self.start_hearth('hearth-json', 'json', base=RITUAL_CONFIG)
        stopped = False
        try:
            check('ritual 50 members, 100 taps/s, 5 chat msgs/s',
                  self.gen(srv, 'smoke-ritual', '50', 50, 1, 5, 2.0, ['--settle', '0.2'], timeout=30,
                           ritual=self.ritual_params(100, 5)), 50, extra=ritual_ok)
            stopped = True
            check_exit('clean shutdown after the ritual run', srv)
        finally:
            if not stopped:
                srv.stop()
        # cross-node: runs once hearthd accepts the Redis engine, otherwise says why it is skipped
        rp, rport, rtmp = self.start_redis()
        try:
            keys = json.loads(os.environ.get('HEARTH_BENCH_REDIS_KEYS', '{}')) or {
                'engine': 'redis', 'redis_url': f'redis://127.0.0.1:{rport}', 'redis_prefix': 'smoke'}
            keys = json.loads(json.dumps(keys).replace('@REDIS_PORT@', str(rport)))
            try:
                srv = self.start_hearth('hearth-redis', 'json', keys, nodes=2)
            except RuntimeError as e:
                print(f'bench-smoke skip cross-node: hearthd refused the Redis engine config ({str(e)[-160:]})')
                srv = None
            if srv:
                srv.pids.append(rp.pid)
                stopped = False
                try:
                    check('cross-node json 2 nodes x 50 subs',
                          self.gen(srv, 'smoke-crossnode', '100', 100, 1, 50, 1.0, timeout=30), 100)
                    stopped = True
                    check_exit('clean shutdown of both nodes', srv)
                finally:
                    if not stopped:
                        srv.stop()
        finally:
            stop(rp)
            shutil.rmtree(rtmp, ignore_errors=True)
        print(f'-- bench-smoke{self.a.label}: {passed} passed, {failed} failed')
        return failed == 0


# ---- report ----

def fmt_int(x):
    return f'{x:,.0f}'


def write_report(results, path, meta, notes):
    by = {}
    for r in results:
        by.setdefault((r['scenario'], r['server']), []).append(r)
    L = [f'# hearth benchmark results — {meta["date"]}', '']
    L += ['Produced by `bash bench/run.sh` (see bench/README.md). Machine and conditions:', '']
    for k, v in meta.items():
        L.append(f'- **{k}**: {v}')
    L += ['', 'Every server under test runs pinned to CPU 0 and hearth-bench to CPU 1 (`taskset`), on '
          'loopback. The machine is shared with other developers building and testing, so the 1/5/15-minute '
          'load average is recorded with every run; treat figures taken under load as lower bounds. '
          f'Each point was run {meta["repetitions per point"]} times.', '']
    L += notes

    def sustained_best(scen, srv, subs):
        runs = [r for r in by.get((scen, srv), []) if r.get('point') != 'skipped']
        pts = {}
        for r in runs:
            pts.setdefault(r['point'], []).append(r)
        best = None
        for p, rs in pts.items():
            if all(Bench.sustained(r, subs) for r in rs) and len(rs) >= 1:
                dps = sum(r['deliveries_per_s'] for r in rs) / len(rs)
                if not best or dps > best[0]:
                    best = (dps, max(r['p99_ms'] for r in rs), sum(r['p50_ms'] for r in rs) / len(rs),
                            sum(r['server_cpu_pct'] for r in rs) / len(rs), p, rs)
        return best

    def servers_in(scen):
        seen = []
        for r in results:
            if r['scenario'] == scen and r['server'] not in seen:
                seen.append(r['server'])
        return seen

    # broadcast summaries
    for scen, subs, title in (('bcast1k', 1000, 'Broadcast: 1 room × 1,000 subscribers, 64-byte payloads'),
                              ('onebot-http', 1000, f'One bot: HTTP API, {ONEBOT_INFLIGHT} keep-alive connections '
                                                    '(one request in flight each), 1 room × 1,000 subscribers'),
                              ('onebot-ws', 1000, f'One bot: one WebSocket client, at most {ONEBOT_INFLIGHT} '
                                                  'publishes in flight, 1 room × 1,000 subscribers (peer: '
                                                  'its HTTP one-bot figure)'),
                              ('bcast10k', 10000, 'Broadcast: 1 room × 10,000 subscribers, 64-byte payloads'),
                              ('crossnode', 1000, 'Cross-node: 2 nodes on Redis, 1,000 subscribers split, '
                                                  'publisher on node 1')):
        srvs = servers_in(scen)
        if not srvs:
            continue
        L += [f'## {title}', '',
              'Publish rate stepped up until a point failed (loss, duplicates, reordering, p99 > 100 ms, or the '
              'server could not take the publishes: < 97 % of the target accepted). "Highest sustained" is the '
              'highest point where every run passed; deliveries/s is measured (unique deliveries over the time '
              'from the first publish to the last delivery), not the target.', '',
              'Messages per frame: deliveries per WebSocket frame the subscribers received (hearth writes one '
              'frame per write, so this is messages per write; nchan sends one message per frame).', '',
              '| server | highest sustained deliveries/s | p50 ms | p99 ms (worst run) | server CPU % | '
              'messages per frame | hearth ÷ peer |',
              '|---|---:|---:|---:|---:|---:|---:|']
        hearth_best = None
        for s in srvs:
            if s.startswith('hearth') and not s.endswith('-before'):
                b = sustained_best(scen, s, subs)
                if b and (not hearth_best or b[0] > hearth_best[0]):
                    hearth_best = b
        peers = list(srvs)
        if scen == 'onebot-ws':  # nchan publishes over HTTP only: compare with its HTTP one-bot figure
            peers += [s for s in servers_in('onebot-http') if not s.startswith('hearth') and s not in peers]
        for s in peers:
            pscen = scen if (scen, s) in by else 'onebot-http'
            skipped = [r for r in by.get((pscen, s), []) if r.get('point') == 'skipped']
            if skipped:
                L.append(f'| {s} | skipped: {skipped[0]["skipped"][:120]} | | | | | |')
                continue
            b = sustained_best(pscen, s, subs)
            if not b:
                L.append(f'| {s} | none of the points passed | | | | | |')
                continue
            mpf = sum(r.get('msgs_per_frame', 0) for r in b[5]) / len(b[5])
            ratio = f'{hearth_best[0] / b[0]:.2f}×' if hearth_best and not s.startswith('hearth') else ''
            name = s if pscen == scen else f'{s} (HTTP)'
            L.append(f'| {name} | {fmt_int(b[0])} | {b[2]:.2f} | {b[1]:.2f} | {b[3]:.0f} | {mpf:.1f} | {ratio} |')
        L.append('')

    # many rooms
    srvs = servers_in('manyrooms')
    if srvs:
        L += ['## Many rooms: 1,000 rooms × 10 subscribers', '',
              '| server | publishes/s | deliveries/s | loss | p50 ms | p99 ms | max ms | server CPU % | '
              'p99 hearth ÷ peer |', '|---|---:|---:|---:|---:|---:|---:|---:|---:|']
        pts = sorted({r['point'] for r in results if r['scenario'] == 'manyrooms'}, key=float)
        for p in pts:
            hrs = [r for r in results if r['scenario'] == 'manyrooms' and r['point'] == p and
                   r['server'] == 'hearth-json']
            h99 = max(r['p99_ms'] for r in hrs) if hrs else None
            for s in srvs:
                rs = [r for r in by.get(('manyrooms', s), []) if r['point'] == p]
                if not rs:
                    continue
                p99 = max(r['p99_ms'] for r in rs)
                ratio = f'{h99 / p99:.2f}' if h99 and not s.startswith('hearth') and p99 > 0 else ''
                L.append(f'| {s} | {p} | {fmt_int(sum(r["deliveries_per_s"] for r in rs) / len(rs))} | '
                         f'{sum(r["loss"] for r in rs)} | {sum(r["p50_ms"] for r in rs) / len(rs):.2f} | {p99:.2f} | '
                         f'{max(r["max_ms"] for r in rs):.2f} | '
                         f'{sum(r["server_cpu_pct"] for r in rs) / len(rs):.0f} | {ratio} |')
        L += ['', 'p99 ratio below 1 means hearth\'s tail is shorter.', '']

    srvs = servers_in('idle')
    if srvs:
        L += ['## Idle: 10,000 subscribed idle connections (one room each)', '',
              'Server RSS growth from before connecting to 2 s after the last subscribe, divided by the '
              'connections (user-space memory; the kernel\'s socket memory, ~4 KB per socket, is not in RSS).', '',
              '| server | RSS per connection (runs) | RSS with 10k connected | peer ÷ hearth |', '|---|---:|---:|---:|']
        h = [r['rss_per_conn_b'] for r in by.get(('idle', 'hearth-json'), [])]
        hm = sum(h) / len(h) if h else None
        for s in srvs:
            rs = by.get(('idle', s), [])
            v = [r['rss_per_conn_b'] for r in rs]
            m = sum(v) / len(v)
            ratio = f'{m / hm:.2f}×' if hm and not s.startswith('hearth') else ''
            L.append(f'| {s} | {" / ".join(f"{x:,.0f} B" for x in v)} | '
                     f'{" / ".join(str(r["server_rss_subscribed_kib"]) + " KiB" for r in rs)} | {ratio} |')
        L.append('')

    srvs = servers_in('storm')
    if srvs:
        L += ['## Connect storm: 10,000 connections + subscribes, N connects in flight', '',
              '| server | in flight | subscribed/s (runs) | errors | connect→subscribed p99 ms |',
              '|---|---:|---:|---:|---:|']
        for s in srvs:
            rs = by.get(('storm', s), [])
            pts = []
            for r in rs:
                if r['point'] not in pts:
                    pts.append(r['point'])
            for p in pts:
                pr = [r for r in rs if r['point'] == p]
                L.append(f'| {s} | {p[1:]} | {" / ".join(fmt_int(r["connect_per_s"]) for r in pr)} | '
                         f'{sum(r["connect_errors"] + (r["subs"] - r["subscribed"]) for r in pr)} | '
                         f'{max(r["connect_p99_ms"] for r in pr):.1f} |')
        L.append('')

    rs = [r for r in results if r['scenario'] == 'ritual' and r.get('ritual')]
    if rs:
        L += ['## Live ritual: one chat room, reactions and chat together (hearth only)', '',
              'Every member connects with its own HS256 token and joins one room of the `live` chat namespace '
              '(bench/configs/hearth-ritual.json). Chatters (members) publish `{"text": ...}` messages; tappers '
              '(members) send `live.react` rpcs at 2.5 taps/s each, half the 5 per user per second the server '
              'counts. Chat latency is publish → delivery; tap → totals is from the earliest accepted tap of a '
              'tapper\'s window to that window\'s `reaction_totals` arriving at the tapper, so it includes the wait '
              'for the 250 ms window by design; the window figure is, per totals publication, its earliest tap to '
              'the last member\'s copy (the room-wide worst case); totals fan-out is from the first member\'s copy '
              'of a window to each member\'s. Deliveries/s are measured (chat: unique messages; totals: publications received). '
              'nchan, Node `ws` and Socket.IO have no server-side reaction aggregation: nothing comparable to run.', '',
              '| members | taps/s sent (accepted, over limit) | chat msgs/s | deliveries/s chat / totals / all | '
              'chat loss | totals loss | totals every ms | chat p50 / p99 ms | tap→totals p50 / p99 ms | '
              'window: earliest tap → last member p50 / max ms | totals fan-out p99 ms | '
              'server CPU % | server RSS subscribed / end / peak KiB | gen CPU % | load avg |',
              '|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|']
        for r in rs:
            sec = r['seconds'] or 1
            L.append(f'| {r["members"]} | {r["taps_sent"] / sec:,.0f} ({r["taps_accepted"]:,}, {r["taps_refused"]:,}) | '
                     f'{r["published"] / sec:.0f} | {fmt_int(r["chat_deliveries_per_s"])} / '
                     f'{fmt_int(r["totals_deliveries_per_s"])} / {fmt_int(r["all_deliveries_per_s"])} | {r["loss"]} | '
                     f'{r["totals_loss"]} | {r.get("totals_interval_ms", 0):.0f} | {r["p50_ms"]:.2f} / {r["p99_ms"]:.2f} | {r["tap_totals_p50_ms"]:.0f} / '
                     f'{r["tap_totals_p99_ms"]:.0f} | {r.get("window_p50_ms", 0):.0f} / {r.get("window_max_ms", 0):.0f} | '
                     f'{r["totals_fanout_p99_ms"]:.2f} | {r["server_cpu_pct"]:.0f} | '
                     f'{r["server_rss_subscribed_kib"]:,} / {r["server_rss_end_kib"]:,} / {r["server_hwm_kib"]:,} | '
                     f'{r["gen_cpu_pct"]:.0f}{" (sat)" if r["gen_saturated"] else ""} | {r["loadavg"]} |')
        L.append('')

    L += ['## Every run', '',
          '| scenario | server | point | subscribed | published/target | expected | loss | dup | order | '
          'deliveries/s | msgs/frame | p50 | p90 | p99 | max ms | srv CPU % | gen CPU % | RSS/conn B | conn/s | '
          'kernel drops | TCP retrans | steal ms | load avg |',
          '|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|']
    for r in results:
        if r.get('point') == 'skipped':
            L.append(f'| {r["scenario"]} | {r["server"]} | skipped | {r["skipped"][:100]} |' + ' |' * 19)
            continue
        L.append(f'| {r["scenario"]} | {r["server"]} | {r["point"]} | {r["subscribed"]}/{r["subs"]} | '
                 f'{r["published"]}/{r["publish_target"]:.0f} | {r["expected"]} | {r["loss"]} | {r["duplicates"]} | '
                 f'{r["out_of_order"]} | {fmt_int(r["deliveries_per_s"])} | {r["msgs_per_frame"]:.1f} | '
                 f'{r["p50_ms"]:.2f} | {r["p90_ms"]:.2f} | {r["p99_ms"]:.2f} | {r["max_ms"]:.1f} | '
                 f'{r["server_cpu_pct"]:.0f} | {r["gen_cpu_pct"]:.0f}{" (sat)" if r["gen_saturated"] else ""} | '
                 f'{r["rss_per_conn_b"]:.0f} | {fmt_int(r["connect_per_s"])} | {r.get("kernel_drops", "")} | '
                 f'{r.get("tcp_retransmits", "")} | {r.get("steal_ms", "")} | {r["loadavg"]} |')
    L.append('')
    with open(path, 'w') as f:
        f.write('\n'.join(L))


def compare(before_path, after_path):
    """Markdown: hearth's figures in two runs (before/after an optimisation)."""
    def load(path):
        with open(path) as f:
            return [json.loads(line) for line in f if line.strip()]

    def best(results, scen, srv, subs):
        pts = {}
        for r in results:
            if r['scenario'] == scen and r['server'] == srv and r.get('point') != 'skipped':
                pts.setdefault(r['point'], []).append(r)
        ok = [(sum(x['deliveries_per_s'] for x in rs) / len(rs), max(x['p99_ms'] for x in rs))
              for rs in pts.values() if all(Bench.sustained(x, subs) for x in rs)]
        return max(ok) if ok else None

    def pick(results, scen, srv, point, key, agg=max):
        v = [r[key] for r in results if r['scenario'] == scen and r['server'] == srv and r['point'] == point]
        return agg(v) if v else None

    b, a = load(before_path), load(after_path)
    L = ['| hearth figure | before | after |', '|---|---:|---:|']
    for srv in ('hearth-json', 'hearth-msgpack'):
        for scen, subs in (('bcast1k', 1000), ('bcast10k', 10000)):
            x, y = best(b, scen, srv, subs), best(a, scen, srv, subs)
            if any(r['scenario'] == scen and r['server'] == srv for r in b + a):
                f = lambda t: f'{t[0]:,.0f} (p99 {t[1]:.1f} ms)' if t else 'no point passed'
                L.append(f'| {srv} {scen}: highest sustained deliveries/s | {f(x)} | {f(y)} |')
        for rate in ('2000', '5000', '10000'):
            x = pick(b, 'manyrooms', srv, rate, 'p99_ms')
            y = pick(a, 'manyrooms', srv, rate, 'p99_ms')
            xa = pick(b, 'manyrooms', srv, rate, 'deliveries_per_s', min)
            ya = pick(a, 'manyrooms', srv, rate, 'deliveries_per_s', min)
            if x is not None or y is not None:
                f = lambda p99, d: f'p99 {p99:.2f} ms, {d:,.0f}/s' if p99 is not None else '—'
                L.append(f'| {srv} many rooms at {rate} publishes/s: worst p99, lowest deliveries/s | '
                         f'{f(x, xa)} | {f(y, ya)} |')
    x = [r['rss_per_conn_b'] for r in b if r['scenario'] == 'idle' and r['server'] == 'hearth-json']
    y = [r['rss_per_conn_b'] for r in a if r['scenario'] == 'idle' and r['server'] == 'hearth-json']
    if x or y:
        L.append(f'| hearth-json idle: RSS per subscribed connection | {" / ".join(f"{v:,.0f} B" for v in x)} | '
                 f'{" / ".join(f"{v:,.0f} B" for v in y)} |')
    for c in ('c256', 'c1024', 'c4096'):
        x = [r['connect_per_s'] for r in b if r['scenario'] == 'storm' and r['server'] == 'hearth-json' and r['point'] == c]
        y = [r['connect_per_s'] for r in a if r['scenario'] == 'storm' and r['server'] == 'hearth-json' and r['point'] == c]
        if x or y:
            L.append(f'| hearth-json connect storm, {c[1:]} in flight: subscribed/s | '
                     f'{" / ".join(f"{v:,.0f}" for v in x)} | {" / ".join(f"{v:,.0f}" for v in y)} |')
    return '\n'.join(L) + '\n'


def versions():
    v = {}
    try:
        v['hearth'] = subprocess.run(['git', '-C', ROOT, 'describe', '--always', '--dirty'], capture_output=True,
                                     text=True).stdout.strip()
    except OSError:
        pass
    for pkg in ('nginx', 'libnginx-mod-nchan', 'libwebsockets17', 'libuv1'):
        out = subprocess.run(['dpkg-query', '-W', '-f=${Version}', pkg], capture_output=True, text=True)
        if out.returncode == 0:
            v[pkg] = out.stdout
    v['node'] = subprocess.run(['node', '--version'], capture_output=True, text=True).stdout.strip()
    for mod in ('ws', 'socket.io', '@socket.io/redis-adapter'):
        try:
            with open(os.path.join(HERE, 'peers', 'node_modules', mod, 'package.json')) as f:
                v[mod] = json.load(f)['version']
        except OSError:
            pass
    return v


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument('--hearthd', default=os.path.join(ROOT, 'build-bench', 'hearthd'))
    ap.add_argument('--gen', default=None)
    ap.add_argument('--smoke', action='store_true')
    ap.add_argument('--label', default='', help='suffix for the smoke summary line, e.g. " (asan)"')
    ap.add_argument('--reps', type=int, default=2)
    ap.add_argument('--only', default='bcast1k,onebot,bcast10k,manyrooms,idle,storm,crossnode,ritual')
    ap.add_argument('--servers', default='hearth-json,hearth-msgpack,nchan,node-ws,socketio')
    ap.add_argument('--hearth-config', default=None,
                    help='a config file the hearth servers start from (its listen is replaced), e.g. '
                         'bench/configs/hearth-chat.json; default: the built-in one')
    ap.add_argument('--gen-arg', action='append', default=[],
                    help='an extra hearth-bench flag for the hearth runs (repeatable), e.g. --gen-arg=--chat')
    ap.add_argument('--out', default=None, help='results file (default bench/results/<date>.md)')
    ap.add_argument('--note', action='append', default=[], help='a line for the report header')
    ap.add_argument('--report', metavar='JSONL', help='only rewrite the report from a saved .jsonl')
    ap.add_argument('--compare', nargs=2, metavar=('BEFORE', 'AFTER'),
                    help='print a markdown table of hearth\'s figures in two saved .jsonl runs')
    a = ap.parse_args()
    a.hearthd = os.path.abspath(a.hearthd)
    a.gen = os.path.abspath(a.gen or os.path.join(os.path.dirname(a.hearthd), 'bench', 'hearth-bench'))
    for exe in (a.hearthd, a.gen):
        if not os.access(exe, os.X_OK):
            sys.exit(f'run.py: {exe} not found (build first: see bench/README.md)')
    if a.compare:
        print(compare(*a.compare))
        return
    if a.report:
        with open(a.report) as f:
            results = [json.loads(line) for line in f if line.strip()]
        out = a.out or os.path.splitext(a.report)[0] + '.md'
        meta = {'date': results[0]['time'] if results else '', 'repetitions per point': a.reps,
                'note': 'report rebuilt from ' + os.path.basename(a.report)}
        write_report(results, out, meta, [f'> {n}' for n in a.note] + ([''] if a.note else []))
        log(f'wrote {out}')
        return
    b = Bench(a)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(1))
    try:
        if a.smoke:
            a.reps = 1
            sys.exit(0 if b.smoke() else 1)
        only = a.only.split(',')
        servers = a.servers.split(',')
        date = datetime.datetime.now().strftime('%Y-%m-%d')
        out = a.out or os.path.join(HERE, 'results', f'{date}.md')
        os.makedirs(os.path.dirname(out), exist_ok=True)
        b.jsonl = open(os.path.splitext(out)[0] + '.jsonl', 'w')
        t0 = time.time()
        meta = {'date': datetime.datetime.now().isoformat(timespec='minutes'),
                'machine': f'{os.cpu_count()} CPUs ({platform.processor() or platform.machine()}), '
                           f'kernel {platform.release()}',
                'load average at start': loadavg(),
                'repetitions per point': a.reps,
                'net.core.netdev_max_backlog': open('/proc/sys/net/core/netdev_max_backlog').read().strip(),
                'versions': ', '.join(f'{k} {v}' for k, v in versions().items()),
                'publishing': f'hearth: HTTP server API `POST /api/publish` ({PUB_CONNS} keep-alive connections, one '
                              'request in flight each); nchan, Node ws, Socket.IO: `POST /pub/<room>` the same way'}
        if 'bcast1k' in only:
            log('== broadcast, 1 room x 1,000 subscribers')
            b.broadcast(servers, 1000, [50000, 100000, 150000, 200000, 300000, 400000, 500000, 700000,
                                        1000000, 1300000, 1600000, 2000000])
        if 'onebot' in only:
            log(f'== one bot ({ONEBOT_INFLIGHT} in flight), 1 room x 1,000 subscribers')
            b.onebot([s for s in servers if s in ('hearth-json', 'nchan')],
                     [50000, 100000, 200000, 400000, 700000, 1000000, 1300000, 1600000, 2000000])
        if 'bcast10k' in only:
            log('== broadcast, 1 room x 10,000 subscribers')
            b.broadcast([s for s in servers if s != 'hearth-msgpack'], 10000,
                        [50000, 100000, 200000, 300000, 400000, 500000, 700000, 1000000, 1300000, 1600000])
        if 'manyrooms' in only:
            log('== many rooms, 1,000 rooms x 10 subscribers')
            b.manyrooms(servers, [2000, 5000, 10000])
        if 'idle' in only:
            log('== idle, 10,000 subscribed connections')
            b.idle([s for s in servers if s != 'hearth-msgpack'])
        if 'storm' in only:
            log('== connect storm, 10,000 connections')
            b.storm([s for s in servers if s != 'hearth-msgpack'])
        if 'crossnode' in only:
            log('== cross-node, 2 nodes on Redis')
            b.crossnode([50000, 100000, 200000, 300000, 400000, 600000, 800000, 1000000, 1300000, 1600000,
                         2000000])
        if 'ritual' in only:
            log('== live ritual, 10,000 members, 5,000 taps/s, 50 chat messages/s (hearth only)')
            b.ritual(servers)
        meta['load average at end'] = loadavg()
        meta['wall time'] = f'{(time.time() - t0) / 60:.1f} min'
        write_report(b.results, out, meta, [f'> {n}' for n in a.note] + ([''] if a.note else []))
        log(f'wrote {out}')
    finally:
        stop_all()


if __name__ == '__main__':
    main()
