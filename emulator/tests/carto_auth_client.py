"""carto-auth 0.2.0, unchanged, against carto-emulator's CARTO 3.

carto-auth writes CARTO's URLs as literals inside its functions (https://auth.carto.com/oauth/token,
https://accounts.app.carto.com/accounts, https://{tenant}/config.yaml), so their host names must
lead to the emulator, in one of two ways:
  --namespace: in a network namespace of its own (tests/carto_auth.rs starts the script under
    `unshare --net --mount`), bring up its loopback, map CARTO's names to 127.0.0.1 with a
    private /etc/hosts and run the emulator there on port 443;
  --resolver: where namespaces are not available, run the emulator on a free port and have this
    process's resolver (socket.getaddrinfo) answer CARTO's names with 127.0.0.1 and that port.
Either way the emulator's TLS certificate covers those names and REQUESTS_CA_BUNDLE trusts its
CA; carto-auth's files are never touched. It drives carto-auth's own code paths:

  - CartoAuth.from_m2m() + get_access_token() + get_carto_dw_credentials(), twice (the second
    time from carto-auth's token cache, minting nothing);
  - CartoAuth.from_oauth(): the browser flow, with a "browser" (BROWSER=…) that follows the
    authorize redirect to carto-auth's loopback callback, then discovery of the API base URL
    through /accounts and config.yaml, and the DW credentials.

Usage: carto_auth_client.py --namespace|--resolver EMULATOR_BINARY WORK_DIR
       carto_auth_client.py --browse URL CA_FILE LOG_FILE PORT|-  (the "browser"; internal)
Prints one JSON object (the checks and the emulator's counters) as its last line; exits non-zero
on the first failed check.
"""
import base64
import json
import os
import subprocess
import sys
import time

HOSTS = ["auth.carto.com", "accounts.app.carto.com", "clausa.app.carto.com",
         "gcp-us-east1.api.carto.com", "app.carto.com"]


def route_carto_hosts(port):
    """CARTO's host names resolve to the emulator (any port asked for becomes its port)."""
    import socket
    real = socket.getaddrinfo

    def getaddrinfo(host, p, *args, **kwargs):
        if host in HOSTS:
            return real("127.0.0.1", port, *args, **kwargs)
        return real(host, p, *args, **kwargs)

    socket.getaddrinfo = getaddrinfo


def browse(url, ca, log, port):
    """A browser that follows /authorize's redirect to the loopback callback."""
    if port != "-":
        route_carto_hosts(int(port))
    import requests
    with open(log, "a") as out:
        try:
            r = requests.get(url, allow_redirects=False, verify=ca, timeout=30)
            out.write("authorize: %d %s\n" % (r.status_code, r.headers.get("location", "")[:60]))
            location = r.headers["location"]
            # carto-auth's one-shot server answers once its handle_request() runs.
            cb = requests.get(location, timeout=30)
            out.write("callback: %d\n" % cb.status_code)
        except Exception as e:  # noqa: BLE001 - the log is the report
            out.write("browser failed: %r\n" % (e,))


def check(cond, what):
    if not cond:
        print("FAILED: " + what, flush=True)
        sys.exit(1)
    print("ok: " + what, flush=True)


def claims(token):
    payload = token.split(".")[1]
    return json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))


def setup_namespace(work):
    subprocess.run(["ip", "link", "set", "lo", "up"], check=True)
    hosts = os.path.join(work, "hosts")
    with open(hosts, "w") as f:
        f.write("127.0.0.1 localhost\n")
        for h in HOSTS:
            f.write("127.0.0.1 %s\n" % h)
    # The mount namespace is private (unshare's default), so the host's /etc/hosts is untouched.
    subprocess.run(["mount", "--bind", hosts, "/etc/hosts"], check=True)


def start_emulator(binary, work, port):
    info = os.path.join(work, "info.json")
    ca = os.path.join(work, "ca.pem")
    err = open(os.path.join(work, "emulator.stderr"), "w")
    proc = subprocess.Popen(
        [binary, "--fresh", "--exit-on-stdin-eof", "--info-file", info, "--tls",
         "--ca-cert-out", ca, "--port", str(port), "--carto3", "--carto3-hosts", "carto"],
        stdin=subprocess.PIPE, stdout=subprocess.DEVNULL, stderr=err)
    deadline = time.time() + 120
    while not os.path.exists(info):
        if proc.poll() is not None or time.time() > deadline:
            err.close()
            sys.exit("the emulator did not start: " + open(err.name).read())
        time.sleep(0.05)
    time.sleep(0.05)  # written atomically: complete once it exists
    return proc, json.load(open(info)), ca


def admin(info, path, ca):
    import requests
    r = requests.get(info["root_url"] + "/_emulator" + path, verify=ca,
                     headers={"Authorization": "Bearer " + info["admin_token"]}, timeout=30)
    r.raise_for_status()
    return r.json()


def main():
    if sys.argv[1] == "--browse":
        browse(*sys.argv[2:6])
        return
    mode, binary, work = sys.argv[1:4]
    if mode == "--namespace":
        setup_namespace(work)
        proc, info, ca = start_emulator(binary, work, 443)
        routed = "-"
    else:
        proc, info, ca = start_emulator(binary, work, 0)
        routed = info["root_url"].rsplit(":", 1)[1]
        route_carto_hosts(int(routed))
    try:
        run(info, ca, work, routed)
    finally:
        proc.stdin.close()
        proc.wait(timeout=60)


def run(info, ca, work, routed):
    os.environ["REQUESTS_CA_BUNDLE"] = ca
    home = os.path.join(work, "home")
    os.makedirs(home)
    os.environ["HOME"] = home
    from carto_auth import CartoAuth
    import carto_auth
    import requests

    c3 = info["carto3"]
    check(c3["issuer"].startswith("https://auth.carto.com"), "the emulator speaks as auth.carto.com")
    m2m = c3["accounts"][0]["m2m_clients"][0]
    api_base_url = c3["api_base_url"]

    # --- machine to machine ---------------------------------------------------------------
    creds = os.path.join(work, "carto_credentials.json")
    with open(creds, "w") as f:
        json.dump({"api_base_url": api_base_url, "client_id": m2m["client_id"],
                   "client_secret": m2m["client_secret"]}, f)
    auth = CartoAuth.from_m2m(creds)
    token = auth.get_access_token()
    c = claims(token)
    check(c["iss"] == c3["issuer"] and c["azp"] == m2m["client_id"]
          and c["gty"] == "client-credentials", "from_m2m() + get_access_token(): an M2M token")
    check(auth.get_api_base_url() == api_base_url, "the API base URL from carto_credentials.json")
    project, dw_token = auth.get_carto_dw_credentials()
    check(bool(project) and bool(dw_token), "get_carto_dw_credentials() with the M2M token")
    r = requests.get(api_base_url + "/v3/sql/carto_dw/query",
                     params={"q": "SELECT count(*) AS n FROM points_public"},
                     headers={"Authorization": "Bearer " + token}, timeout=30)
    check(r.status_code == 200 and r.json()["rows"][0]["n"] == 3, "the token reads the SQL API")
    check(os.path.exists(os.path.join(home, ".carto-auth", "token_m2m.json")),
          "carto-auth cached the token in ~/.carto-auth/token_m2m.json")
    again = CartoAuth.from_m2m(creds)
    check(again.get_access_token() == token, "a second from_m2m() reuses the cached token")
    minted = admin(info, "/carto3/counters", ca)["minted"].get(m2m["client_id"], 0)
    check(minted == 1, "one M2M token minted for both (%d)" % minted)

    # --- the browser flow -----------------------------------------------------------------
    log = os.path.join(work, "browser.log")
    browser = os.path.join(work, "browser.sh")
    with open(browser, "w") as f:
        # In the background: carto-auth answers the callback only after the browser returns.
        f.write('#!/bin/sh\n"%s" "%s" --browse "$1" "%s" "%s" "%s" &\n'
                % (sys.executable, os.path.abspath(__file__), ca, log, routed))
    os.chmod(browser, 0o755)
    os.environ["BROWSER"] = browser + " %s"
    user = CartoAuth.from_oauth()
    user_token = user.get_access_token()
    c = claims(user_token)
    check(c["azp"] == carto_auth.pkce.CLIENT_ID and c["sub"].startswith("auth0|"),
          "from_oauth(): a user token for carto-auth's client, via the loopback callback")
    check(c["http://app.carto.com/email"] == c3["accounts"][0]["email"], "the user's e-mail claim")
    check(user.get_api_base_url() == api_base_url,
          "the API base URL discovered through /accounts and the tenant's config.yaml")
    project, dw_token = user.get_carto_dw_credentials()
    check(bool(project) and bool(dw_token), "get_carto_dw_credentials() with the user token")
    check("callback: 200" in open(log).read(), "the browser reached carto-auth's callback")
    counters = admin(info, "/carto3/counters", ca)
    check(counters["minted"].get(carto_auth.pkce.CLIENT_ID) == 1, "one user token minted")
    requests_log = admin(info, "/requests", ca)
    paths = [e["path"] for e in requests_log]
    for p in ["/oauth/token", "/authorize", "/accounts", "/config.yaml",
              "/v3/connections/carto-dw/token"]:
        check(p in paths, "carto-auth called " + p)
    check(all(token not in json.dumps(e) and user_token not in json.dumps(e)
              for e in requests_log), "no token in the emulator's request log")
    print(json.dumps({"checks": "all passed", "counters": counters,
                      "routing": "namespace" if routed == "-" else "resolver"}))


if __name__ == "__main__":
    main()
