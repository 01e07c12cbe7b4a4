#!/usr/bin/env python3
"""cartoauth's benchmark suite: the C ABI against libcurl / curl and carto-python 1.11.3.

Run it through benches/run.sh, which installs what it needs and builds everything first. This
script starts a fixed-response nginx on 127.0.0.1 (a free port, files in a temporary directory
on tmpfs), runs every benchmark as alternating rounds after one warm-up round, the order
rotating from round to round (A B C, B C A, C A B, ...), every table's rounds spread over the
whole run between the other tables' rounds (see `schedule`), checks every run (the programs check
every answer; nginx's access log is checked for the number of requests, connections and body
bytes), prints the tables and writes them into
benches/RESULTS.md (between the GENERATED markers) when run with the default sizes.

Environment knobs (defaults are the issue's):
  BENCH_REQUESTS=1000        sequential requests per run (request rate)
  BENCH_BYTES=1073741824     bytes streamed per download / upload run
  BENCH_GZIP_BYTES=67108864  bytes per run of the compressed uploads (gzip costs ~8 s per GiB)
  BENCH_RUNS=45              measured rounds per benchmark (after one warm-up round)
  BENCH_REQUEST_RUNS=60      measured rounds of the request-rate benchmark (default 4/3 of
                             BENCH_RUNS): its runs are the shortest, its ratios the noisiest
  BENCH_THREADS=8            threads of the threads benchmark (against 1 thread)
  BENCH_THREAD_REQUESTS=8000  requests per run of the threads benchmark (split over threads)
  BENCH_RESOLVE_CALLS=2000   carto_resolve calls per run
  BENCH_ONLY=requests,download,upload,threads,resolve   a subset, comma-separated
  BENCH_PYTHON=1             0 leaves out carto-python
  BENCH_NICE=-10             niceness of nginx and the clients when run as root (0: unchanged),
                             so that other processes on the machine disturb the runs less
  BENCH_PLACEMENT=pinned,unpinned   CPU placements, each benchmark runs under each: pinned =
                             nginx's worker on one core, the client on another (taskset)
  BENCH_MAX_LOAD=1           load average above which a run warns (and a run that writes results
                             waits up to BENCH_IDLE_WAIT=300 seconds, then refuses)
  BENCH_MAX_STEAL=2          a round during which the hypervisor stole more than this percentage
                             of the machine's CPU time is measured again (at most BENCH_RUNS times
                             per table)
  BENCH_RESULTS=path         where to write the report ("-": nowhere; default: benches/RESULTS.md
                             when every size knob is at its default, else nowhere)
Paths (set by run.sh): BENCH_BIN (C programs), BENCH_VENV_PYTHON, BENCH_LIB_DIR.
"""

import base64
import json
import math
import os
import platform
import random
import re
import shlex
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.parse
import urllib.request
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent

DEFAULTS = {
    "BENCH_REQUESTS": 1000,
    "BENCH_BYTES": 1 << 30,
    "BENCH_GZIP_BYTES": 64 << 20,
    "BENCH_RUNS": 45,
    "BENCH_REQUEST_RUNS": 60,  # 4/3 of BENCH_RUNS: main() derives it when unset
    "BENCH_THREADS": 8,
    "BENCH_THREAD_REQUESTS": 8000,
    "BENCH_RESOLVE_CALLS": 2000,
}
ALL_BENCHMARKS = ["requests", "download", "upload", "threads", "resolve"]

USERNAME = "demo"
API_KEY = "bench_0123456789abcdef0123456789abcdef"  # a made-up key: the server is ours
QUERY = "select cartodb_id, name from bench_points limit 1"
# 165 bytes, the SQL API's JSON shape (rows, time, fields, total_rows).
SQL_BODY = (
    '{"rows":[{"cartodb_id":1,"name":"a"}],"time":0.002,"fields":{"cartodb_id":{"type":"number",'
    '"pgtype":"int4"},"name":{"type":"string","pgtype":"text"}},"total_rows":1}'
)
assert len(SQL_BODY) == 165
COPY_FROM_BODY = '{"time":0.001,"total_rows":1}'
MIB = 1024 * 1024
CURL_FILE2MEMORY_MAX = 1 << 30  # curl's tool refuses to read a --data-binary @file this large


def knob(name, default=None):
    value = os.environ.get(name, "").strip()
    return int(value) if value else (DEFAULTS[name] if default is None else default)


def log(message):
    print(message, file=sys.stderr, flush=True)


# --------------------------------------------------------------------------------------------
# The fixed-response server


class Nginx:
    """nginx-light on 127.0.0.1:<free port>: a fixed 165-byte SQL API answer, a BYTES-long
    copyto answer served from tmpfs with sendfile, and a copyfrom sink (echo module's
    echo_read_request_body) that answers only after reading the whole body."""

    def __init__(self, workdir, data_file):
        self.dir = workdir / "nginx"
        self.dir.mkdir()
        self.access_log = self.dir / "access.log"
        self.log_offset = 0
        self.port = free_port()
        self.root = f"http://127.0.0.1:{self.port}"
        self.base_url = f"{self.root}/user/{USERNAME}"
        basic = base64.b64encode(f"{USERNAME}:{API_KEY}".encode()).decode()
        self.authorization = f"Basic {basic}"
        echo = Path("/usr/lib/nginx/modules/ngx_http_echo_module.so")
        if not echo.exists():
            raise SystemExit(f"{echo} is missing: apt-get install nginx-light (it depends on it)")
        unauthorized = "if ($bench_auth = 0) { return 401 '{\"error\":[\"Unauthorized\"]}'; }"
        d = self.dir
        self.conf = d / "nginx.conf"
        self.conf.write_text(f"""\
load_module {echo};
worker_processes 1;
daemon off;
pid {d}/nginx.pid;
error_log {d}/error.log error;
events {{ worker_connections 1024; }}
http {{
    log_format bench '$connection $connection_requests $request_method $status $request_length $bytes_sent $uri';
    access_log {d}/access.log bench buffer=1m flush=600s;
    client_body_temp_path {d}/body;
    client_body_buffer_size 1m;  # fewer, larger reads of upload bodies (then a tmpfs file)
    proxy_temp_path {d}/proxy;
    fastcgi_temp_path {d}/fastcgi;
    uwsgi_temp_path {d}/uwsgi;
    scgi_temp_path {d}/scgi;
    map_hash_bucket_size 256;
    keepalive_requests 100000000;
    keepalive_timeout 600s;
    sendfile on;
    server_tokens off;
    # Basic auth (cartoauth, curl) or ?api_key= (carto-python): anything else gets CARTO's 401.
    map "$http_authorization|$arg_api_key" $bench_auth {{
        "{self.authorization}|" 1;
        "|{API_KEY}" 1;
        default 0;
    }}
    server {{
        listen 127.0.0.1:{self.port};
        location = /user/{USERNAME}/api/v2/sql {{
            {unauthorized}
            default_type application/json;
            return 200 '{SQL_BODY}';
        }}
        location = /user/{USERNAME}/api/v2/sql/copyto {{
            {unauthorized}
            default_type application/octet-stream;
            alias {data_file};
        }}
        location = /user/{USERNAME}/api/v2/sql/copyfrom {{
            {unauthorized}
            client_max_body_size 0;
            echo_read_request_body;
            default_type application/json;
            echo '{COPY_FROM_BODY}';
        }}
    }}
}}
""")
        self.process = subprocess.Popen(
            ["nginx", "-p", str(d), "-c", str(self.conf)],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=open(d / "stderr.log", "wb"),
        )
        deadline = time.monotonic() + 10
        while True:
            if self.process.poll() is not None:
                raise SystemExit("nginx did not start:\n" + (d / "stderr.log").read_text())
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=0.2).close()
                break
            except OSError:
                if time.monotonic() > deadline:
                    raise SystemExit("nginx did not start listening in 10 s")
                time.sleep(0.05)

    def worker_pids(self):
        pids = []
        for entry in Path("/proc").iterdir():
            if entry.name.isdigit():
                try:
                    stat = (entry / "stat").read_text()
                except OSError:
                    continue
                if int(stat.rsplit(")", 1)[1].split()[1]) == self.process.pid:
                    pids.append(int(entry.name))
        return pids

    def pin(self, cpus):
        """Restricts nginx (master and worker) to `cpus`; None: every CPU of this process."""
        allowed = cpus or os.sched_getaffinity(0)
        for pid in [self.process.pid, *self.worker_pids()]:
            os.sched_setaffinity(pid, allowed)

    def cpu_seconds(self):
        """User + system CPU time of nginx's worker so far."""
        total = 0
        for pid in self.worker_pids():
            try:
                fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            total += int(fields[11]) + int(fields[12])
        return total / os.sysconf("SC_CLK_TCK")

    def new_log_lines(self, expected=True):
        """Access log lines written since the last call (SIGUSR1 makes the worker flush). When
        lines are `expected`, waits up to 2 s for the log to stop growing; otherwise looks once."""
        self.process.send_signal(signal.SIGUSR1)
        size = -1
        for _ in range(100 if expected else 1):
            time.sleep(0.02)
            current = self.access_log.stat().st_size if self.access_log.exists() else 0
            if current == size and current > self.log_offset:
                break
            size = current
        with open(self.access_log, "rb") as f:
            f.seek(self.log_offset)
            data = f.read()
        complete = data[: data.rfind(b"\n") + 1]
        self.log_offset += len(complete)
        lines = []
        for line in complete.decode().splitlines():
            conn, conn_requests, method, status, request_length, bytes_sent, uri = line.split()
            lines.append(
                {
                    "connection": int(conn),
                    "method": method,
                    "status": int(status),
                    "request_length": int(request_length),
                    "bytes_sent": int(bytes_sent),
                    "uri": uri,
                }
            )
        return lines

    def stop(self):
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


# --------------------------------------------------------------------------------------------
# Running one measured program


class RunError(Exception):
    pass


def run_measured(argv, env=None, shell=False, cpus=None):
    """Runs argv under `/usr/bin/time -v` (and `taskset -c` when `cpus` is given) and returns
    its stdout, the process' wall time, its peak RSS (KiB) and its CPU seconds (user + system,
    with the children it waited for: the shell pipelines).

    The peak RSS is /usr/bin/time's: a process started straight from this script would inherit
    the script's own high-water mark through exec. The CPU time is wait4(2)'s of the whole
    tree (the program, and /usr/bin/time's own ~1 ms): the kernel's totals are exact, where
    /usr/bin/time's report rounds to 10 ms, too coarse for runs of a few tens of milliseconds."""
    with tempfile.NamedTemporaryFile("r", suffix=".time") as timing, \
            tempfile.TemporaryFile("w+") as out, tempfile.TemporaryFile("w+") as err:
        command = ["taskset", "-c", cpu_list(cpus)] if cpus else []  # taskset execs: same process
        command += ["/usr/bin/time", "-v", "-o", timing.name]
        command += ["sh", "-c", argv] if shell else argv
        actions = [(os.POSIX_SPAWN_DUP2, out.fileno(), 1), (os.POSIX_SPAWN_DUP2, err.fileno(), 2)]
        start = time.perf_counter()
        pid = os.posix_spawnp(command[0], command, os.environ if env is None else env,
                              file_actions=actions)
        _, status, usage = os.wait4(pid, 0)
        wall = time.perf_counter() - start
        report = timing.read()
        out.seek(0)
        err.seek(0)
        stdout, stderr = out.read(), err.read()
    code = os.waitstatus_to_exitcode(status)
    if code != 0:
        shown = argv if shell else shlex.join(argv)
        raise RunError(f"{shown} failed ({code}):\n{stderr}{stdout}")
    match = re.search(r"Maximum resident set size \(kbytes\): ([0-9]+)", report)
    if not match:
        raise RunError(f"no peak RSS in /usr/bin/time's report:\n{report}")
    return {
        "stdout": stdout,
        "process_wall": wall,
        "rss_kib": int(match.group(1)),
        "cpu": usage.ru_utime + usage.ru_stime,
    }


def program_result(measured):
    """Adds the JSON line a benchmark program printed to `measured`. A program that times a
    loop reports the loop's own CPU time too ("cpu_seconds"); that, not the whole process'
    (start-up, Python's imports), is then the client CPU, over the same interval as its time."""
    result = json_line(measured["stdout"])
    measured.update(result)
    if "cpu_seconds" in result:
        measured["process_cpu"], measured["cpu"] = measured["cpu"], result["cpu_seconds"]
    return measured


def json_line(stdout):
    for line in reversed(stdout.strip().splitlines()):
        line = line.strip()
        if line.startswith("{"):
            return json.loads(line)
    raise RunError(f"no JSON result line in {stdout!r}")


class Variant:
    """One contender of a benchmark: how to run it and how to check nginx's log of the run."""

    def __init__(self, key, label, command, run, check, work, unit, requests=True):
        self.key = key
        self.requests = requests  # whether a run sends requests to nginx (its log is awaited)
        self.label = label
        self.command = command  # shown in the report
        self._run = run
        self._check = check
        self.work = work  # requests or bytes per run, for rates
        self.unit = unit

    def run(self, server):
        before = server.cpu_seconds()
        busy_before = machine_busy_seconds()
        result = self._run()
        result["server_cpu"] = server.cpu_seconds() - before
        # CPU time the rest of the machine used meanwhile (other people's builds, ...).
        busy = machine_busy_seconds() - busy_before
        result["other_cpu"] = max(0.0, busy - result["cpu"] - result["server_cpu"])
        self._check(server.new_log_lines(expected=self.requests), result)
        return result


def proc_stat_cpu():
    """The machine's CPU time so far (all cores) from /proc/stat, in seconds: user, nice,
    system, idle, iowait, irq, softirq, steal."""
    fields = [int(x) for x in open("/proc/stat").readline().split()[1:9]]
    return [x / os.sysconf("SC_CLK_TCK") for x in fields + [0] * (8 - len(fields))]


def machine_busy_seconds():
    """Non-idle CPU time of the whole machine so far (all cores), steal left out."""
    user, nice, system, _idle, _iowait, irq, softirq, _steal = proc_stat_cpu()
    return user + nice + system + irq + softirq


def steal_seconds():
    """Time the hypervisor ran something else while this VM's CPUs wanted to run (all cores)."""
    return proc_stat_cpu()[7]


class StealMeter:
    """How much of the machine's CPU time the hypervisor stole since this was created."""

    def __init__(self):
        self.steal, self.started = steal_seconds(), time.monotonic()

    def stolen(self):
        """(seconds stolen, their share of the machine's CPU time over the elapsed time)."""
        stolen = steal_seconds() - self.steal
        return stolen, stolen / ((time.monotonic() - self.started) * os.cpu_count())


class Table:
    """One table of the report: a benchmark's contenders under one CPU placement, its measured
    rounds so far and the conditions during them. `report` holds report_table's arguments, `notes`
    what is said under the table."""

    def __init__(self, benchmark, placement, variants, runs, notes=(), **report):
        self.benchmark = benchmark
        self.placement = placement
        self.variants = variants
        self.runs = runs  # measured rounds wanted
        self.notes = list(notes)
        self.report = report
        self.results = {v.key: [] for v in variants}
        self.loads = []  # (before, after) 1-minute load average of each measured round
        self.repeated = []  # steal shares of the rounds measured again
        self.stolen = 0.0  # seconds the hypervisor stole during this table's rounds (all cores)
        self.elapsed = 0.0  # seconds its rounds took, the ones measured again included

    @property
    def done(self):
        return len(self.loads)

    @property
    def name(self):
        return f"{self.benchmark} ({self.placement.name})"

    def steal_share(self):
        return self.stolen / (self.elapsed * os.cpu_count()) if self.elapsed else 0.0


def schedule(tables):
    """The order of every table's measured rounds: each table's rounds spread evenly over the
    whole run, interleaved with the other tables' (round k of a table of n rounds sits at
    (k + 1/2) / n of the run). On a shared host the speed of one kind of program relative to
    another (an interpreter against a C loop) drifts by 10-15% over minutes; a table whose
    rounds all ran in one stretch of a few minutes took that stretch's ratio, and two runs of
    the suite disagreed. Spread over the run, every table sees the same mix of conditions."""
    slots = sorted(((k + 0.5) / t.runs, i) for i, t in enumerate(tables) for k in range(t.runs))
    return [tables[i] for _, i in slots]


def measure_round(server, table, max_steal):
    """One measured round of `table`: every contender once, the order rotating from round to
    round (A B C, B C A, C A B, ...), so that no contender always runs first, or always after
    the same one. Returns False when the round must be measured again: the hypervisor stole
    more than `max_steal` of the machine's CPU time during it (at most `table.runs` times per
    table), as contention on a shared host comes in bursts that slow a short run by up to 4x,
    in its CPU time too, and would pair a disturbed run with an undisturbed one."""
    variants = table.variants
    shift = table.done % len(variants)
    before = load_average()
    meter = StealMeter()
    measured = {v.key: v.run(server) for v in variants[shift:] + variants[:shift]}
    stolen, share = meter.stolen()
    table.stolen += stolen
    table.elapsed += time.monotonic() - meter.started
    tick = 1 / os.sysconf("SC_CLK_TCK")
    if stolen > 2 * tick and share > max_steal and len(table.repeated) < table.runs:
        table.repeated.append(share)
        log(f"    {table.name}: round {table.done + 1}/{table.runs} measured again: "
            f"the hypervisor stole {share * 100:.1f}% of the CPU")
        return False
    for key, result in measured.items():
        result["round_steal"] = share
        table.results[key].append(result)
    table.loads.append((before, load_average()))
    log(
        f"    {table.name}: round {table.done}/{table.runs} (load {before:.2f} -> {table.loads[-1][1]:.2f}, "
        f"steal {share * 100:.1f}%): "
        + ", ".join(f"{v.key} {table.results[v.key][-1]['seconds']:.3f} s" for v in variants)
    )
    return True


def load_average():
    """The machine's 1-minute load average."""
    return float(open("/proc/loadavg").read().split()[0])


def cpu_list(cpus):
    return ",".join(str(c) for c in sorted(cpus))


class Placement:
    """Where nginx's worker and the measured clients run. "pinned": nginx on one core and the
    client on another (taskset), so neither migrates nor competes for the other's core;
    "unpinned": the scheduler places both (as on a user's machine)."""

    def __init__(self, name, server_cpus, client_cpus):
        self.name = name
        self.server_cpus = server_cpus  # None: every CPU
        self.client_cpus = client_cpus

    def describe(self):
        if self.name == "unpinned":
            return "unpinned: the scheduler places nginx's worker and the client on any core"
        return (f"pinned: nginx's worker on CPU {cpu_list(self.server_cpus)}, the client on CPU "
                f"{cpu_list(self.client_cpus)} (`taskset -c {cpu_list(self.client_cpus)}`)")


def placements(names):
    cpus = sorted(os.sched_getaffinity(0))
    found = []
    for name in names:
        if name == "unpinned":
            found.append(Placement("unpinned", None, None))
        elif name == "pinned":
            if len(cpus) < 2:
                log("warning: pinned placement needs 2 CPUs; only unpinned is measured")
                continue
            found.append(Placement("pinned", {cpus[0]}, {cpus[1]}))
        else:
            raise SystemExit(f"BENCH_PLACEMENT: unknown placement {name!r} (pinned, unpinned)")
    return found


# --------------------------------------------------------------------------------------------
# Checks of nginx's access log


def expect(condition, message):
    if not condition:
        raise RunError(message)


def check_requests(expected_requests, expected_connections, uri_suffix="/api/v2/sql"):
    def check(lines, result):
        expect(len(lines) == expected_requests, f"nginx logged {len(lines)} requests, expected {expected_requests}")
        bad = [l for l in lines if l["status"] != 200 or not l["uri"].endswith(uri_suffix)]
        expect(not bad, f"unexpected requests: {bad[:3]}")
        connections = len({l["connection"] for l in lines})
        expect(
            connections == expected_connections,
            f"{connections} connections for {len(lines)} requests, expected {expected_connections}",
        )
        result["connections"] = connections

    return check


def check_download(size):
    def check(lines, result):
        expect(len(lines) == 1 and lines[0]["status"] == 200, f"unexpected log {lines}")
        expect(lines[0]["bytes_sent"] >= size, f"nginx sent {lines[0]['bytes_sent']} bytes")

    return check


def check_upload(size, compressed):
    def check(lines, result):
        expect(len(lines) == 1 and lines[0]["status"] == 200, f"unexpected log {lines}")
        received = lines[0]["request_length"]
        if compressed:
            expect(received < size, f"a gzip body of {received} bytes is not smaller than {size}")
        else:
            expect(received >= size, f"nginx read {received} bytes of a {size}-byte body")
        result["wire_bytes"] = received

    return check


# --------------------------------------------------------------------------------------------
# Test data


def write_data_file(path, size):
    """CSV-like rows (varied numbers and names), so gzip level 1 compresses them as it would a
    COPY upload: a 1 MiB block of distinct rows, repeated (far beyond deflate's 32 KiB window)."""
    lines = []
    length = 0
    i = 0
    while length < MIB:
        x = (i * 7919) % 360000 / 1000 - 180
        y = (i * 104729) % 170000 / 1000 - 85
        line = f"{i},point {i * 2654435761 % 1000003},{(i * 31) % 997 / 7:.4f},SRID=4326;POINT({x:.3f} {y:.3f})\n"
        lines.append(line)
        length += len(line)
        i += 1
    block = "".join(lines).encode()[:MIB]
    with open(path, "wb") as f:
        remaining = size
        while remaining > 0:
            chunk = block[: min(len(block), remaining)]
            f.write(chunk)
            remaining -= len(chunk)


# --------------------------------------------------------------------------------------------
# The benchmarks


class Suite:
    def __init__(self, workdir, server, data_file, config):
        self.workdir = workdir
        self.server = server
        self.data_file = data_file
        self.config = config
        self.bin = Path(os.environ.get("BENCH_BIN", ROOT / "target" / "bench" / "bin"))
        self.python = os.environ.get("BENCH_VENV_PYTHON", "")
        self.with_python = os.environ.get("BENCH_PYTHON", "1") != "0"
        if self.with_python and not self.python:
            raise SystemExit("BENCH_VENV_PYTHON is not set (run benches/run.sh)")
        self.env = dict(os.environ)
        for name in list(self.env):
            if name.lower() in ("http_proxy", "https_proxy", "all_proxy", "no_proxy") or name.startswith("CARTO_"):
                del self.env[name]
        self.sections = []  # (title, text)
        self.placement = Placement("unpinned", None, None)
        self.raw = []  # every measured run of every table, for RESULTS.rounds.json
        self.max_steal = float(os.environ.get("BENCH_MAX_STEAL", "2")) / 100

    def place(self, placement):
        """Runs what follows with nginx and the clients placed as `placement` says."""
        self.placement = placement
        self.server.pin(placement.server_cpus)

    def run_client(self, argv, env=None, shell=False):
        return run_measured(argv, env=env, shell=shell, cpus=self.placement.client_cpus)

    def table(self, benchmark, variants, runs=None, **report):
        """A table of `variants` under the current placement; runs: measured rounds (default
        BENCH_RUNS)."""
        return Table(benchmark, self.placement, variants, runs or self.config["BENCH_RUNS"], **report)

    def measure(self, tables):
        """A warm-up round of every table, then every table's measured rounds in `schedule`'s
        order, nginx and the clients placed as each table says."""
        for table in tables:
            log(f"== warm-up: {table.name}: " + ", ".join(v.key for v in table.variants))
            self.place(table.placement)
            for variant in table.variants:
                variant.run(self.server)
        order = schedule(tables)
        log(f"== {len(order)} measured rounds, the tables interleaved")
        for table in order:
            self.place(table.placement)
            while not measure_round(self.server, table, self.max_steal):
                pass

    def c_program(self, name, *args):
        return [str(self.bin / name), *map(str, args)]

    def program_variant(self, key, label, argv, check, work, unit, shown=None, process_wall=False):
        """process_wall: time the whole process (streaming benchmarks, where curl's own timer
        would leave out reading the file); otherwise the program's own timer (the loop)."""

        def run():
            measured = program_result(self.run_client(argv, env=self.env))
            if process_wall:
                measured["transfer_seconds"] = measured["seconds"]
                measured["seconds"] = measured["process_wall"]
            return measured

        return Variant(key, label, shown or shlex.join(argv), run, check, work, unit)

    # 1. request rate ---------------------------------------------------------------------
    def request_loops(self, n):
        """(key, label, argv) of the C request loops, `n` requests each."""
        s = self.server
        url = f"{s.base_url}/api/v2/sql?" + urllib.parse.urlencode({"q": QUERY})
        return [
            ("cartoauth", "cartoauth C ABI (carto_client_sql)",
             self.c_program("sql_cartoauth", s.base_url, API_KEY, n, "sql")),
            ("cartoauth-request", "cartoauth C ABI (one carto_request, carto_client_send)",
             self.c_program("sql_cartoauth", s.base_url, API_KEY, n, "request")),
            ("libcurl", "libcurl (one reused easy handle)",
             self.c_program("sql_curl", url, f"Authorization: {s.authorization}", n)),
        ]

    def bench_requests(self):
        n = self.config["BENCH_REQUESTS"]
        s = self.server
        check = check_requests(n, 1)
        variants = [self.program_variant(key, label, argv, check, n, "req")
                    for key, label, argv in self.request_loops(n)]
        if self.with_python:
            for mode, label in (("get", "carto-python SQLClient.send(do_post=False): GET"),
                                ("post", "carto-python SQLClient.send(): POST, its default")):
                variants.append(self.program_variant(
                    f"carto-python-{mode}", label,
                    [self.python, str(HERE / "py" / "sql_carto_python.py"), s.base_url, API_KEY, str(n), mode],
                    check, n, "req"))
        return self.table("requests", variants, self.config["BENCH_REQUEST_RUNS"],
                          title="1. Request rate", what=f"{n} sequential authenticated SQL API requests on one kept-alive connection, each answer's JSON parsed", baseline="cartoauth", rate="req/s")

    # 1b. the request loop's work, counted ------------------------------------------------
    def request_work(self, short=500, long=1500):
        """User-space instructions (callgrind) and system calls (strace) per request of each C
        request loop: counts, not times, so they do not vary with the host's contention. Each
        is the difference between a run of `long` and one of `short` requests, divided by the
        difference in requests, which leaves out start-up and the first connection."""
        def counted(argv, n):
            with tempfile.TemporaryDirectory() as d:
                trace = Path(d) / "strace"
                subprocess.run(["strace", "-f", "-c", "-o", str(trace), *argv], env=self.env,
                               check=True, capture_output=True)
                self.check_counted_run(n)
                calls, failed = {}, {}
                for line in trace.read_text().splitlines():
                    # % time, seconds, usecs/call, calls, [errors,] syscall
                    fields = line.split()
                    if len(fields) >= 5 and fields[3].isdigit() and fields[-1] != "total":
                        calls[fields[-1]] = int(fields[3])
                        failed[fields[-1]] = int(fields[4]) if len(fields) == 6 else 0
                grind = subprocess.run(["valgrind", "--tool=callgrind", "--callgrind-out-file=/dev/null", *argv],
                                       env=self.env, check=True, capture_output=True, text=True)
                self.check_counted_run(n)
                instructions = int(re.search(r"Collected : ([0-9]+)", grind.stderr).group(1))
            return instructions, calls, failed

        rows = ["| client | instructions per request (user space) | × libcurl's | system calls per request | which (failed ones) |",
                "|---|---|---|---|---|"]
        measured = {}
        for (key, label, short_argv), (_, _, long_argv) in zip(self.request_loops(short), self.request_loops(long)):
            i1, c1, f1 = counted(short_argv, short)
            i2, c2, f2 = counted(long_argv, long)
            per = lambda a, b: (b - a) / (long - short)
            calls = {name: per(c1.get(name, 0), c2[name]) for name in c2}
            calls = {name: n for name, n in calls.items() if n >= 0.01}
            failed = {name: per(f1.get(name, 0), f2.get(name, 0)) for name in calls}
            measured[key] = (label, per(i1, i2), calls, failed)
        curl_instructions = measured["libcurl"][1]
        for key, (label, instructions, calls, failed) in measured.items():
            which = ", ".join(f"{name} {n:.2f}" + (f" ({failed[name]:.2f})" if failed[name] >= 0.01 else "")
                              for name, n in sorted(calls.items(), key=lambda kv: -kv[1]))
            rows.append(f"| {markdown_cell(label)} | {instructions:,.0f} | {instructions / curl_instructions:.2f} | "
                        f"{sum(calls.values()):.2f} | {which} |")
        text = (f"The C request loops of table 1, counted instead of timed: `valgrind --tool=callgrind` "
                f"(instructions executed in user space: the program and every library it uses) and "
                f"`strace -f -c` (system calls), each over a run of {short} and one of {long} requests; a "
                f"figure per request is the difference between the two runs divided by {long - short}, "
                f"which leaves out start-up and connecting. The kernel's share of a request's CPU time "
                f"follows from its system calls, the rest from its instructions.\n\n" + "\n".join(rows) + "\n")
        self.sections.append(("1b. Work per request, counted", text))
        print(f"\n## 1b. Work per request, counted\n\n{text}", flush=True)

    def check_counted_run(self, n):
        lines = self.server.new_log_lines()
        check_requests(n, 1)(lines, {})

    # 2. streaming download ------------------------------------------------------------------
    def bench_download(self):
        size = self.config["BENCH_BYTES"]
        s = self.server
        copy_query = "COPY (SELECT * FROM bench_points) TO STDOUT"
        url = f"{s.base_url}/api/v2/sql/copyto?" + urllib.parse.urlencode({"q": copy_query})
        check = check_download(size)
        curl_argv = ["curl", "-sS", "-o", "/dev/null", "-w", "%{http_code} %{size_download} %{time_total}",
                     "-H", f"Authorization: {s.authorization}", url]

        def run_curl():
            measured = self.run_client(curl_argv, env=self.env)
            status, downloaded, seconds = measured["stdout"].split()
            expect(status == "200" and int(downloaded) == size, f"curl: {measured['stdout']}")
            measured.update(seconds=measured["process_wall"], transfer_seconds=float(seconds), bytes=int(downloaded))
            return measured

        variants = [
            self.program_variant("cartoauth", "cartoauth C ABI (response writer callback, discards)",
                                 self.c_program("download_cartoauth", s.base_url, API_KEY, size), check, size, "B", process_wall=True),
            Variant("curl", "curl -o /dev/null", shlex.join(curl_argv).replace(s.authorization, "Basic …"),
                    run_curl, check, size, "B"),
        ]
        if self.with_python:
            variants.append(self.program_variant(
                "carto-python", "carto-python CopySQLClient.copyto_file_object (discarding file object)",
                [self.python, str(HERE / "py" / "copy_carto_python.py"), "to", s.base_url, API_KEY, str(size)],
                check, size, "B", process_wall=True))
        return self.table("download", variants, title="2. Streaming download",
                          what=f"{fmt_bytes(size)} COPY TO answer streamed and discarded", baseline="cartoauth", rate="MiB/s")

    # 3. streaming upload --------------------------------------------------------------------
    def bench_upload(self):
        size = self.config["BENCH_BYTES"]
        s = self.server
        copy_query = "COPY bench_points FROM STDIN WITH (FORMAT csv)"
        url = f"{s.base_url}/api/v2/sql/copyfrom?" + urllib.parse.urlencode({"q": copy_query})
        auth = ["-H", f"Authorization: {s.authorization}"]
        gzip_size = self.config["BENCH_GZIP_BYTES"]
        gzip_data = str(self.workdir / "data-gzip.csv")
        plain, gz = check_upload(size, False), check_upload(gzip_size, True)

        def curl_variant(key, label, curl_args, check, shell_prefix=None, work=size):
            argv = ["curl", "-sS", "-o", "/dev/null", "-w", "%{http_code} %{size_upload} %{time_total}",
                    *auth, *curl_args, url]
            if shell_prefix:
                command = f"{shell_prefix} | {shlex.join(argv)}"
            else:
                command = argv

            def run():
                measured = self.run_client(command, env=self.env, shell=bool(shell_prefix))
                status, uploaded, seconds = measured["stdout"].split()
                expect(status == "200", f"curl: {measured['stdout']}")
                measured.update(seconds=measured["process_wall"], transfer_seconds=float(seconds),
                                bytes=work, sent=int(uploaded))
                return measured

            shown = command if shell_prefix else shlex.join(command)
            return Variant(key, label, shown.replace(s.authorization, "Basic …"), run, check, work, "B")

        octet = ["-H", "Content-Type: application/octet-stream"]
        data = str(self.data_file)
        variants = [
            self.program_variant("cartoauth", "cartoauth C ABI (read callback, Content-Length)",
                                 self.c_program("upload_cartoauth", s.base_url, API_KEY, data, "plain"), plain, size, "B", process_wall=True),
        ]
        notes = []
        if size < CURL_FILE2MEMORY_MAX:
            variants.append(curl_variant(
                "curl-data-binary", "curl --data-binary @file (reads the whole file into memory first)",
                ["--data-binary", f"@{data}", *octet], plain))
        else:
            notes.append(
                f"`curl --data-binary @file` cannot send {fmt_bytes(size)}: curl reads the file into memory first "
                "and refuses files of 1 GiB or more (`curl: option --data-binary: out of memory`, its "
                "MAX_FILE2MEMORY limit), so the upload is compared with `curl -T file -X POST`, which streams.")
        variants += [
            curl_variant("curl-T", "curl -T file -X POST (streams the file)",
                         ["-T", data, "-X", "POST", *octet], plain),
            self.program_variant("cartoauth-gzip", f"cartoauth C ABI, carto_request_set_gzip (level 1, chunked), {fmt_bytes(gzip_size)}",
                                 self.c_program("upload_cartoauth", s.base_url, API_KEY, gzip_data, "gzip"), gz, gzip_size, "B", process_wall=True),
            curl_variant("gzip|curl", f"gzip -1 | curl -T - (curl cannot compress a body: 2 processes), {fmt_bytes(gzip_size)}",
                         ["-T", "-", "-X", "POST", *octet, "-H", "Content-Encoding: gzip"], gz,
                         shell_prefix=f"gzip -1 -c {shlex.quote(gzip_data)}", work=gzip_size),
        ]
        if self.with_python:
            for mode, check, path, work in (("plain", plain, data, size), ("gzip", gz, gzip_data, gzip_size)):
                variants.append(self.program_variant(
                    f"carto-python-{mode}",
                    f"carto-python CopySQLClient.copyfrom_file_path(compress={mode == 'gzip'})"
                    + (f", {fmt_bytes(gzip_size)}" if mode == "gzip" else ""),
                    [self.python, str(HERE / "py" / "copy_carto_python.py"), "from", s.base_url, API_KEY, path, mode],
                    check, work, "B", process_wall=True))
        return self.table("upload", variants, notes=notes, title="3. Streaming upload", what=f"{fmt_bytes(size)} COPY FROM body (CSV-like rows), and {fmt_bytes(gzip_size)} for the compressed uploads (the first {fmt_bytes(gzip_size)} of the same rows: gzip -1 costs about 8 s of CPU per GiB); nginx reads the whole body before answering", baseline="cartoauth", rate="MiB/s",
                          extra_baselines={"cartoauth-gzip": ["gzip|curl", "carto-python-gzip"]})

    # 4. threads -----------------------------------------------------------------------------
    def bench_threads(self):
        total = self.config["BENCH_THREAD_REQUESTS"]
        threads = self.config["BENCH_THREADS"]
        s = self.server
        variants = [
            self.program_variant(f"{threads} threads", f"{threads} threads, one shared carto_client",
                                 self.c_program("threads_cartoauth", s.base_url, API_KEY, threads, total),
                                 check_requests(total, threads), total, "req"),
            self.program_variant("1 thread", "1 thread",
                                 self.c_program("threads_cartoauth", s.base_url, API_KEY, 1, total),
                                 check_requests(total, 1), total, "req"),
        ]
        return self.table("threads", variants, title="4. Threads", what=f"{total} SQL API requests split over the threads of one process, one shared client",
                          baseline=f"{threads} threads", rate="req/s", speedup=True)

    # 5. credential resolution ---------------------------------------------------------------
    def bench_resolve(self):
        calls = self.config["BENCH_RESOLVE_CALLS"]
        config_dir = self.workdir / "config"
        config_dir.mkdir(mode=0o700, exist_ok=True)  # again for the second placement
        creds = config_dir / "cartocreds.json"
        creds.write_text(json.dumps({"APIKEY": API_KEY, "USERNAME": USERNAME,
                                     "USERURL": "https://{username}.carto.com/"}))
        creds.chmod(0o600)
        env = dict(self.env, CARTO_CONFIG_DIR=str(config_dir), HOME=str(self.workdir))

        def variant(key, label, argv):
            def run():
                measured = program_result(self.run_client(argv, env=env))
                return measured

            return Variant(key, label, "CARTO_CONFIG_DIR=<tmp>/config " + shlex.join(argv), run,
                           lambda lines, result: expect(not lines, "resolution made requests"), calls, "call",
                           requests=False)

        variants = [
            variant("carto_resolve", "carto_resolve(NULL) → <config dir>/cartocreds.json",
                    self.c_program("resolve_cartoauth", "resolve", calls)),
            variant("carto_credentials_load", "carto_credentials_load(path) of the same file",
                    self.c_program("resolve_cartoauth", "load", calls, creds)),
        ]
        return self.table("resolve", variants, title="5. Credential resolution", what=f"{calls} calls per run, each resolving (or loading) a cartocreds.json and freeing the handle",
                          baseline="carto_resolve", per_call=True)

    # report ---------------------------------------------------------------------------------
    def add_table(self, table):
        self.report_table(table, **table.report)

    def report_table(self, table, title, what, baseline, rate=None, speedup=False, per_call=False,
                     extra_baselines=None):
        variants, results = table.variants, table.results
        rows = ["| client | time (s) median [min–max] | " + (
            "µs per call median [min–max]" if per_call else f"{rate} median") +
            " | peak RSS MiB median [max] | client CPU s median | nginx CPU s | other CPU s |"
            " paired ratio [95% CI] | paired client-CPU ratio [95% CI] |",
            "|---|---|---|---|---|---|---|---|---|"]
        base = results[baseline]
        groups = {baseline: None}
        for head, members in (extra_baselines or {}).items():
            for m in members:
                groups[m] = head
        for v in variants:
            runs = results[v.key]
            secs = [r["seconds"] for r in runs]
            rss = [r["rss_kib"] / 1024 for r in runs]
            if per_call:
                middle = f"{fmt_range([s / v.work * 1e6 for s in secs], 2)}"
            elif rate == "MiB/s":
                middle = f"{statistics.median(v.work / MIB / s for s in secs):.0f}"
            else:
                middle = f"{statistics.median(v.work / s for s in secs):.0f}"
            ref_key = groups.get(v.key, baseline) or baseline
            if v.key == baseline or v.key in (extra_baselines or {}):
                time_text = "1 (reference)" if v.key == baseline else "1 (reference for gzip rows)"
                cpu_text = time_text
            else:
                ref = results[ref_key]
                time_interval = fmt_ratio(paired_time(runs, ref))
                cpu_interval = fmt_ratio(paired_cpu(runs, ref))
                if speedup:
                    time_text = f"speed-up {time_interval}× (1-thread time / {ref_key} time)"
                    cpu_text = f"{cpu_interval}× the CPU of {ref_key} (per request: same work)"
                else:
                    time_text = f"{time_interval}× the time of {ref_key}"
                    cpu_text = f"{cpu_interval}× the CPU of {ref_key}"
            rows.append(
                f"| {markdown_cell(v.label)} | {fmt_range(secs, 3)} | {middle} | {statistics.median(rss):.1f} [{max(rss):.1f}] | "
                f"{statistics.median(r['cpu'] for r in runs):.3f} | {statistics.median(r['server_cpu'] for r in runs):.2f} | {statistics.median(r['other_cpu'] for r in runs):.2f} | {time_text} | {cpu_text} |")
            self.raw.append({"table": title, "placement": table.placement.name, "client": v.key,
                             "runs": [{k: x for k, x in r.items() if k != "stdout"} for r in runs]})
        commands = "\n".join(f"- `{v.key}`: `{v.command}`" for v in variants)
        if table.notes:
            commands += "\n\n" + "\n".join(f"Note: {n}" for n in table.notes)
        during = [x for pair in table.loads for x in pair]
        conditions = (f"Load average (1 min): {table.loads[0][0]:.2f} before the first measured round, "
                      f"{min(during):.2f}–{max(during):.2f} during the rounds, {table.loads[-1][1]:.2f} after the last. "
                      f"Steal (CPU time the hypervisor gave to others): {table.steal_share() * 100:.1f}% of the machine's "
                      f"during this table's rounds; "
                      + (f"{len(table.repeated)} rounds measured again because more than {self.max_steal * 100:g}% was stolen during them "
                         f"({', '.join(f'{s * 100:.1f}%' for s in table.repeated)})." if table.repeated
                         else f"no round had more than {self.max_steal * 100:g}% stolen."))
        text = (f"{what}. {len(base)} rounds after a warm-up round, each running "
                f"{', '.join(v.key for v in variants)} once, the order rotating from round to round; "
                f"the rounds spread over the whole run, between the other tables' rounds. "
                f"CPU placement: {table.placement.describe()}.\n\n" + "\n".join(rows) +
                f"\n\n{conditions}\n\nCommands:\n{commands}\n")
        title = f"{title} ({table.placement.name})"
        self.sections.append((title, text))
        print(f"\n## {title}\n\n{text}", flush=True)


def markdown_cell(text):
    """`text` as one cell of a Markdown table row: a bar (`gzip -1 | curl`) would end the cell."""
    return text.replace("|", "\\|")


def paired_time(runs, ref):
    """This contender's time over the reference's, round by round."""
    return [r["seconds"] / b["seconds"] for r, b in zip(runs, ref)]


TRIM = 0.2  # share of the paired ratios dropped at each end before averaging


def trimmed_geomean(ratios):
    """The geometric mean of the paired ratios, the lowest and highest 20% left out. On a VM
    a run's speed varies by ±15% from one process to the next whatever its length (measured:
    runs of 4 ms to 4 s vary alike), so the estimate must average many short rounds; this
    uses them better than the median and is not moved by the outliers of a burst of the host's
    contention (the 20% trimmed mean, a standard robust estimate of a location)."""
    logs = sorted(math.log(r) for r in ratios)
    cut = int(len(logs) * TRIM)
    kept = logs[cut:len(logs) - cut] or logs
    return math.exp(statistics.fmean(kept))


def ratio_summary(ratios):
    """(estimate, low, high): the trimmed geometric mean and its 95% bootstrap interval
    (2000 resamples of the rounds, a fixed seed so that a report can be recomputed)."""
    estimate = trimmed_geomean(ratios)
    rng = random.Random(1)
    boot = sorted(trimmed_geomean(rng.choices(ratios, k=len(ratios))) for _ in range(2000))
    return estimate, boot[int(0.025 * len(boot))], boot[int(0.975 * len(boot)) - 1]


def fmt_ratio(ratios, digits=2):
    estimate, low, high = ratio_summary(ratios)
    return f"{estimate:.{digits}f} [{low:.{digits}f}–{high:.{digits}f}]"


def paired_cpu(runs, ref):
    """Client CPU time over the reference's, round by round (a run of no measurable CPU counts
    as one microsecond)."""
    tick = 1e-6
    return [max(r["cpu"], tick) / max(b["cpu"], tick) for r, b in zip(runs, ref)]


def fmt_range(values, digits):
    return f"{statistics.median(values):.{digits}f} [{min(values):.{digits}f}–{max(values):.{digits}f}]"


def fmt_bytes(n):
    if n % (1 << 30) == 0:
        return f"{n >> 30} GiB"
    if n % MIB == 0:
        return f"{n // MIB} MiB"
    return f"{n} bytes"


# --------------------------------------------------------------------------------------------
# Targets and machine


def time_ratio(results, a, b):
    return trimmed_geomean(paired_time(results[a], results[b]))


def cpu_ratio(results, a, b):
    return trimmed_geomean(paired_cpu(results[a], results[b]))


def targets(by_placement, config):
    """by_placement: {placement name: {benchmark: results}}; every target for each placement."""
    lines = []
    for placement, all_results in by_placement.items():
        lines += placement_targets(placement, all_results, config)
    return "| | placement | target: measured (paired ratio, trimmed geometric mean over the rounds) |\n|---|---|---|\n" + "\n".join(lines) + "\n"


def placement_targets(placement, all_results, config):
    lines = []

    def line(ok, text):
        lines.append(f"| {'met' if ok else '**missed**'} | {placement} | {text} |")

    r = all_results.get("requests")
    if r:
        ratio = time_ratio(r, "cartoauth", "libcurl")
        line(ratio <= 1.0, f"request loop ≤ 1.0× libcurl's wall time: {ratio:.2f}×")
        cpu = cpu_ratio(r, "cartoauth", "libcurl")
        line(cpu <= 1.0, f"request loop client CPU ≤ 1.0× libcurl's: {cpu:.2f}×")
        if "carto-python-get" in r:
            faster = time_ratio(r, "carto-python-get", "cartoauth")
            line(faster >= 8, f"request loop ≥ 8× faster than carto-python (GET): {faster:.1f}×")
        rss = max(x["rss_kib"] for x in r["cartoauth"]) / 1024
        line(rss <= 12, f"request loop peak RSS ≤ 12 MiB: {rss:.1f} MiB (max of the runs)")
    r = all_results.get("download")
    if r:
        ratio = time_ratio(r, "cartoauth", "curl")
        line(ratio <= 1.1, f"{fmt_bytes(config['BENCH_BYTES'])} download ≤ 1.1× curl's wall time: {ratio:.2f}×")
        cpu = cpu_ratio(r, "cartoauth", "curl")
        line(cpu <= 1.1, f"{fmt_bytes(config['BENCH_BYTES'])} download ≤ 1.1× curl's client CPU: {cpu:.2f}×")
        rss = max(x["rss_kib"] for x in r["cartoauth"]) / 1024
        line(rss <= 16, f"download peak RSS ≤ 16 MiB: {rss:.1f} MiB")
    r = all_results.get("upload")
    if r:
        for other in [k for k in ("curl-data-binary", "curl-T") if k in r]:
            throughput = 1 / time_ratio(r, "cartoauth", other)
            line(throughput >= 0.9, f"upload throughput ≥ 0.9× {other}'s: {throughput:.2f}× "
                 f"(client CPU {cpu_ratio(r, 'cartoauth', other):.2f}× {other}'s)")
        rss = max(x["rss_kib"] for key in ("cartoauth", "cartoauth-gzip") for x in r[key]) / 1024
        line(rss <= 16, f"upload in constant memory: peak RSS {rss:.1f} MiB, plain ({fmt_bytes(config['BENCH_BYTES'])}) or gzip ({fmt_bytes(config['BENCH_GZIP_BYTES'])})")
    r = all_results.get("threads")
    if r:
        threads = config["BENCH_THREADS"]
        speedup = time_ratio(r, "1 thread", f"{threads} threads")
        text = f"{threads} threads ≥ 1.6× one thread's requests/s: {speedup:.2f}×"
        if placement == "pinned":  # every client thread on one core: a target for unpinned only
            lines.append(f"| (not a target) | {placement} | {text}, the client's threads confined to one core |")
        else:
            line(speedup >= 1.6, text)
    return lines


def command_output(argv):
    try:
        return subprocess.run(argv, capture_output=True, text=True, timeout=30).stdout + \
            subprocess.run(argv, capture_output=True, text=True, timeout=30).stderr
    except (OSError, subprocess.TimeoutExpired):
        return ""


def loopback_floor(bin_dir):
    """The floor under a request loop on this host, before any round: `c/roundtrip`'s one byte
    there and back on loopback TCP, between the two CPUs of the pinned placement and on one of
    them (the median of 3 runs of 20000 each). Across vCPUs, every message wakes the other CPU
    through the hypervisor, and what that costs depends on the host: it is most of a pinned
    request's time on some hosts (77-81 us of 99 on one), so the report shows it."""
    cpus = sorted(os.sched_getaffinity(0))
    if len(cpus) < 2:
        return "not measured (one CPU)"

    def median_of_runs(server_cpu, client_cpu):
        runs = [json_line(run_measured([str(bin_dir / "roundtrip"), str(server_cpu), str(client_cpu)])["stdout"])
                for _ in range(3)]
        return (statistics.median(r["round_trip_us"] for r in runs),
                statistics.median(r["client_cpu_us"] for r in runs))

    across, alone = median_of_runs(cpus[0], cpus[1]), median_of_runs(cpus[1], cpus[1])
    return (f"CPU {cpus[0]} ↔ CPU {cpus[1]}: {across[0]:.1f} µs ({across[1]:.1f} µs of the client's CPU); "
            f"both on CPU {cpus[1]}: {alone[0]:.1f} µs ({alone[1]:.1f} µs), one byte there and back "
            f"on loopback TCP (`c/roundtrip`, median of 3 runs of 20000, before the rounds)")


def machine(python, floor):
    cpu = next((l.split(":", 1)[1].strip() for l in open("/proc/cpuinfo") if l.startswith("model name")), "?")
    mem = next((l.split()[1] for l in open("/proc/meminfo") if l.startswith("MemTotal")), "0")
    lock = (ROOT / "Cargo.lock").read_text()
    ureq = re.search(r'name = "ureq"\nversion = "([^"]+)"', lock)
    os_name = next((l.split("=", 1)[1].strip().strip('"') for l in open("/etc/os-release") if l.startswith("PRETTY_NAME=")), "?")
    carto = command_output([python, "-c", "import importlib.metadata as m; print(m.version('carto'), m.version('requests'), m.version('urllib3'))"]).split() if python else []
    pkg = lambda p: command_output(["dpkg-query", "-W", "-f=${Version}", p]).strip() or "?"
    items = [
        ("CPU", f"{cpu}, {os.cpu_count()} cores"),
        ("memory", f"{int(mem) / 1024 / 1024:.1f} GiB"),
        ("OS / kernel", f"{os_name} / {platform.release()}"),
        ("rustc", command_output(["rustc", "--version"]).strip()),
        ("ureq", ureq.group(1) if ureq else "?"),
        ("curl / libcurl", command_output(["curl", "--version"]).splitlines()[0] if command_output(["curl", "--version"]) else "?"),
        ("libcurl4-openssl-dev", pkg("libcurl4-openssl-dev")),
        ("nginx", command_output(["nginx", "-v"]).strip() + f" (nginx-light {pkg('nginx-light')}, echo module {pkg('libnginx-mod-http-echo')})"),
        ("cJSON (libcjson-dev)", pkg("libcjson-dev")),
        ("C compiler", command_output(["cc", "--version"]).splitlines()[0] if command_output(["cc", "--version"]) else "?"),
        ("Python", command_output([python, "--version"]).strip() if python else platform.python_version()),
        ("carto / requests / urllib3", " / ".join(carto) if carto else "not measured"),
        ("loopback round trip", floor),
        ("cartoauth commit", command_output(["git", "-C", str(ROOT), "rev-parse", "--short", "HEAD"]).strip()),
    ]
    return "| | |\n|---|---|\n" + "\n".join(f"| {k} | {v} |" for k, v in items) + "\n"


# --------------------------------------------------------------------------------------------


def main():
    config = {name: knob(name) for name in DEFAULTS}
    config["BENCH_REQUEST_RUNS"] = knob("BENCH_REQUEST_RUNS", round(config["BENCH_RUNS"] * 4 / 3))
    only = [b.strip() for b in os.environ.get("BENCH_ONLY", ",".join(ALL_BENCHMARKS)).split(",") if b.strip()]
    unknown = set(only) - set(ALL_BENCHMARKS)
    if unknown:
        raise SystemExit(f"BENCH_ONLY: unknown benchmarks {sorted(unknown)}")
    if min(config["BENCH_RUNS"], config["BENCH_REQUEST_RUNS"]) < 1 or config["BENCH_THREAD_REQUESTS"] % config["BENCH_THREADS"]:
        raise SystemExit("BENCH_RUNS and BENCH_REQUEST_RUNS must be ≥ 1, and BENCH_THREADS must divide BENCH_THREAD_REQUESTS")
    results_path = os.environ.get("BENCH_RESULTS", "")
    defaults = all(config[k] == DEFAULTS[k] for k in DEFAULTS) and only == ALL_BENCHMARKS
    if results_path == "":
        results_path = str(HERE / "RESULTS.md") if defaults else "-"

    nice = int(os.environ.get("BENCH_NICE", "-10"))
    if nice and os.geteuid() == 0:
        os.nice(nice)  # inherited by nginx and every client: other processes disturb less
    else:
        nice = 0
    config["nice"] = nice
    chosen = placements(
        [p.strip() for p in os.environ.get("BENCH_PLACEMENT", "pinned,unpinned").split(",") if p.strip()])
    if not chosen:
        raise SystemExit("BENCH_PLACEMENT: no placement to measure")
    config["load_at_start"] = check_idle(results_path != "-")
    started = time.time()
    base = "/dev/shm" if os.path.isdir("/dev/shm") and os.access("/dev/shm", os.W_OK) else None
    workdir = Path(tempfile.mkdtemp(prefix="cartoauth-bench-", dir=base))
    workdir.chmod(0o755)  # nginx's worker (nobody when started as root) reads the data file
    server = None

    def on_signal(signum, frame):
        raise SystemExit(128 + signum)

    for signum in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
        signal.signal(signum, on_signal)
    try:
        data_file = workdir / "data.csv"
        if {"download", "upload"} & set(only):
            log(f"== writing {fmt_bytes(config['BENCH_BYTES'])} of CSV-like rows to {data_file}")
            write_data_file(data_file, config["BENCH_BYTES"])
            write_data_file(workdir / "data-gzip.csv", config["BENCH_GZIP_BYTES"])
            (workdir / "data-gzip.csv").chmod(0o644)
        else:
            data_file.write_bytes(b"")
        data_file.chmod(0o644)
        server = Nginx(workdir, data_file)
        log(f"== nginx on {server.root} (pid {server.process.pid}, files in {server.dir})")
        sanity_check(server, config["BENCH_BYTES"] if {"download", "upload"} & set(only) else 0)
        suite = Suite(workdir, server, data_file, config)
        config["loopback_floor"] = loopback_floor(suite.bin)
        log(f"== loopback round trip: {config['loopback_floor']}")
        tables = []
        for name in only:
            for placement in chosen:
                suite.place(placement)
                tables.append(getattr(suite, f"bench_{name}")())
        suite.measure(tables)
        all_results = {}
        for table in tables:
            suite.add_table(table)
            all_results.setdefault(table.placement.name, {})[table.benchmark] = table.results
            if table.benchmark == "requests" and table.placement is chosen[-1]:
                log("== requests: instructions and system calls per request")
                suite.place(Placement("unpinned", None, None))
                suite.request_work()
        elapsed = time.time() - started
        report = build_report(suite, all_results, config, elapsed)
        print("\n## Targets\n\n" + targets(all_results, config))
        if results_path != "-":
            write_results(Path(results_path), report)
            rounds_path = Path(results_path).with_suffix(".rounds.json")
            write_rounds(rounds_path, suite.raw, config)
            log(f"== wrote {results_path} and {rounds_path}")
        log(f"== done in {elapsed:.0f} s")
    finally:
        if server is not None:
            server.stop()
        shutil.rmtree(workdir, ignore_errors=True)


def check_idle(publishing):
    """The load average before starting. Above BENCH_MAX_LOAD (default 1) the numbers would
    measure the other processes too: a run that writes RESULTS waits up to BENCH_IDLE_WAIT
    seconds (default 300) for the load to fall, then refuses; any other run only warns."""
    limit = float(os.environ.get("BENCH_MAX_LOAD", "1"))
    wait = float(os.environ.get("BENCH_IDLE_WAIT", "300")) if publishing else 0
    deadline = time.monotonic() + wait
    load = load_average()
    while load > limit and time.monotonic() < deadline:
        log(f"== load average {load:.2f} > {limit:g}: waiting for the machine to be idle")
        time.sleep(15)
        load = load_average()
    if load > limit:
        message = (f"load average {load:.2f} is above {limit:g} (BENCH_MAX_LOAD): other processes "
                   "would be measured too")
        if publishing:
            raise SystemExit(f"{message}; not writing results (stop them, or raise BENCH_MAX_LOAD)")
        log(f"warning: {message}; these numbers are not publishable")
    else:
        log(f"== load average {load:.2f} (limit {limit:g})")
    return load


def sanity_check(server, size):
    """The server answers what the benchmarks expect, and refuses a request without the key."""
    url = f"{server.base_url}/api/v2/sql?" + urllib.parse.urlencode({"q": QUERY})
    request = urllib.request.Request(url, headers={"Authorization": server.authorization})
    with urllib.request.urlopen(request, timeout=10) as answer:
        body = answer.read()
        assert answer.status == 200 and len(body) == 165 and json.loads(body)["total_rows"] == 1
    try:
        urllib.request.urlopen(url, timeout=10)
        raise SystemExit("nginx answered a request without credentials")
    except urllib.error.HTTPError as e:
        assert e.code == 401, e.code
    if size:
        copyto = urllib.request.Request(f"{server.base_url}/api/v2/sql/copyto?q=x", method="HEAD",
                                        headers={"Authorization": server.authorization})
        with urllib.request.urlopen(copyto, timeout=10) as answer:
            assert int(answer.headers["Content-Length"]) == size
    sink = urllib.request.Request(f"{server.base_url}/api/v2/sql/copyfrom?q=x", data=b"x" * 100000,
                                  headers={"Authorization": server.authorization})
    with urllib.request.urlopen(sink, timeout=10) as answer:
        assert json.loads(answer.read())["total_rows"] == 1
    lines = server.new_log_lines()
    assert lines[-1]["request_length"] >= 100000, lines[-1]


def build_report(suite, all_results, config, elapsed):
    knobs = " ".join(f"{k}={v}" for k, v in config.items() if k in DEFAULTS)
    knobs += (f"; nginx and the clients ran at nice {config['nice']}; load average (1 min) before starting: "
              f"{config['load_at_start']:.2f} (limit BENCH_MAX_LOAD={os.environ.get('BENCH_MAX_LOAD', '1')}), "
              f"at the end: {load_average():.2f}")
    parts = [
        f"Generated by `benches/run.sh` on {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())} "
        f"in {elapsed / 60:.1f} minutes ({knobs}).\n",
        "### Machine\n\n" + machine(suite.python, config["loopback_floor"]),
        "### Targets\n\n" + targets(all_results, config),
    ]
    for title, text in suite.sections:
        parts.append(f"### {title}\n\n{text}")
    return "\n".join(parts)


BEGIN = "<!-- BEGIN GENERATED (benches/bench.py rewrites this part) -->"
END = "<!-- END GENERATED -->"


def write_rounds(path, raw, config):
    """Every measured run behind the report's tables (times, CPU, RSS, nginx's CPU), one client
    of one table per line, so that any statistic can be recomputed from the published runs."""
    def rounded(run):
        return {k: round(v, 6) if isinstance(v, float) else v for k, v in run.items()}

    lines = [json.dumps({"config": config, "commit": command_output(["git", "-C", str(ROOT), "rev-parse", "HEAD"]).strip()})]
    lines += [json.dumps(dict(entry, runs=[rounded(r) for r in entry["runs"]])) for entry in raw]
    path.write_text("[\n" + ",\n".join(lines) + "\n]\n")


def write_results(path, report):
    text = path.read_text() if path.exists() else f"# Benchmark results\n\n{BEGIN}\n{END}\n"
    if BEGIN not in text or END not in text:
        text += f"\n{BEGIN}\n{END}\n"
    head, rest = text.split(BEGIN, 1)
    _, tail = rest.split(END, 1)
    path.write_text(f"{head}{BEGIN}\n{report}\n{END}{tail}")


if __name__ == "__main__":
    try:
        main()
    except RunError as e:
        log(f"benchmark failed: {e}")
        sys.exit(1)
