"""carto-auth 0.2.0 in the CARTO 3 token soak's loop, for comparison (run by benches/carto3_soak.rs).

N processes x M threads, each process with one CartoAuth.from_m2m() sharing carto-auth's token
cache file, every thread calling get_access_token() and then the SQL API v3 with that token, for
the same time and against the same kind of emulator (tokens of the same lifetime). The emulator
counts the tokens minted and the requests that came with an expired token; this prints them.

carto-auth writes CARTO's URLs as literals, so CARTO's names are routed to the emulator as in
emulator/tests/carto_auth_client.py (whose helpers this imports): --namespace (as root, under
`unshare --net --mount`: a private /etc/hosts, the emulator on 443) or --resolver (this
process's resolver).

Usage: carto3_soak_carto_auth.py --namespace|--resolver EMULATOR WORK SECONDS PROCESSES THREADS PAUSE_MS LIFETIME_S
       carto3_soak_carto_auth.py --worker ...  (internal)
"""
import json
import os
import subprocess
import sys
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "emulator", "tests"))
import carto_auth_client as helpers  # noqa: E402


def start_emulator(binary, work, port, lifetime):
    info = os.path.join(work, "info.json")
    ca = os.path.join(work, "ca.pem")
    err = open(os.path.join(work, "emulator.stderr"), "w")
    proc = subprocess.Popen(
        [binary, "--fresh", "--exit-on-stdin-eof", "--info-file", info, "--tls",
         "--ca-cert-out", ca, "--port", str(port), "--carto3", "--carto3-hosts", "carto",
         "--carto3-token-lifetime-s", str(lifetime)],
        stdin=subprocess.PIPE, stdout=subprocess.DEVNULL, stderr=err)
    deadline = time.time() + 120
    while not os.path.exists(info):
        if proc.poll() is not None or time.time() > deadline:
            sys.exit("the emulator did not start: " + open(err.name).read())
        time.sleep(0.05)
    time.sleep(0.05)
    return proc, json.load(open(info)), ca


def worker(creds, cache, ca, seconds, threads, pause_ms, routed):
    if routed != "-":
        helpers.route_carto_hosts(int(routed))
    os.environ["REQUESTS_CA_BUNDLE"] = ca
    import requests
    from carto_auth import CartoAuth

    counts = {"requests": 0, "status": {}, "startup_failures": 0, "errors": 0}
    lock = threading.Lock()
    auth = None
    for _ in range(20):
        try:
            auth = CartoAuth.from_m2m(creds, cache_filepath=cache)
            break
        except Exception:  # noqa: BLE001 - a half-written cache file: carto-auth's own race
            counts["startup_failures"] += 1
            time.sleep(0.1)
    if auth is None:
        print(json.dumps({"soak": "carto-auth worker", **counts}), flush=True)
        return
    api = auth.get_api_base_url()
    deadline = time.time() + seconds

    def loop():
        session = requests.Session()  # one per thread, as a careful user would
        while time.time() < deadline:
            try:
                token = auth.get_access_token()
                r = session.get(api + "/v3/sql/carto_dw/query", params={"q": "select 1 as n"},
                                headers={"Authorization": "Bearer " + token}, timeout=60)
                status = str(r.status_code)
            except Exception:  # noqa: BLE001 - counted, the loop goes on
                status = "exception"
            with lock:
                counts["requests"] += 1
                counts["status"][status] = counts["status"].get(status, 0) + 1
            time.sleep(pause_ms / 1000.0)

    pool = [threading.Thread(target=loop) for _ in range(threads)]
    for t in pool:
        t.start()
    for t in pool:
        t.join()
    print(json.dumps({"soak": "carto-auth worker", **counts}), flush=True)


def main():
    if sys.argv[1] == "--worker":
        creds, cache, ca, seconds, threads, pause_ms, routed = sys.argv[2:9]
        worker(creds, cache, ca, float(seconds), int(threads), int(pause_ms), routed)
        return
    mode, binary, work, seconds, processes, threads, pause_ms, lifetime = sys.argv[1:9]
    if mode == "--namespace":
        helpers.setup_namespace(work)
        proc, info, ca = start_emulator(binary, work, 443, lifetime)
        routed = "-"
    else:
        proc, info, ca = start_emulator(binary, work, 0, lifetime)
        routed = info["root_url"].rsplit(":", 1)[1]
    try:
        c3 = info["carto3"]
        m2m = c3["accounts"][0]["m2m_clients"][0]
        creds = os.path.join(work, "carto_credentials.json")
        with open(creds, "w") as f:
            json.dump({"api_base_url": c3["api_base_url"], "client_id": m2m["client_id"],
                       "client_secret": m2m["client_secret"]}, f)
        cache = os.path.join(work, "token_m2m.json")
        started = time.time()
        children = [subprocess.Popen(
            [sys.executable, os.path.abspath(__file__), "--worker", creds, cache, ca, seconds,
             threads, pause_ms, routed], stdout=subprocess.PIPE, text=True)
            for _ in range(int(processes))]
        total = {"requests": 0, "status": {}, "startup_failures": 0}
        for child in children:
            out, _ = child.communicate()
            line = [l for l in out.splitlines() if l.startswith('{"soak"')][-1]
            report = json.loads(line)
            total["requests"] += report["requests"]
            total["startup_failures"] += report["startup_failures"]
            for k, v in report["status"].items():
                total["status"][k] = total["status"].get(k, 0) + v
        elapsed = time.time() - started
        if routed != "-":
            helpers.route_carto_hosts(int(routed))
        counters = helpers.admin(info, "/carto3/counters", ca)
        minted = counters["minted"].get(m2m["client_id"], 0)
        print("carto-auth: %d requests in %.0f s, statuses %s, %d start-up failures; emulator: %d minted, "
              "%d requests with an expired token"
              % (total["requests"], elapsed, json.dumps(total["status"]), total["startup_failures"],
                 minted, counters["expired_token_requests"]), flush=True)
    finally:
        proc.stdin.close()
        proc.wait(timeout=60)


if __name__ == "__main__":
    main()
