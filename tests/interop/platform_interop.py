"""Batch SQL, API keys and the DO token: the same operations through carto-python 1.11.3
(BatchSQLClient, APIKeyManager, DoTokenManager) and through cartoauth's C ABI (ctypes), against
one carto-emulator; each side reads what the other did, and both must see the same job states,
key lists, grants and token fields.

Run by tests/interop/run.sh with the venv of setup-venv.sh. Needs CARTOAUTH_LIB and the
carto-emulator binary (CARTO_EMULATOR_BIN, else target/{release,debug}/carto-emulator).
Prints "platform-interop: N passed, N failed".
"""
import ctypes
import json
import os
import subprocess
import sys
import tempfile
import time
import warnings

from carto.api_keys import APIKeyManager
from carto.auth import APIKeyAuthClient
from carto.do_token import DoTokenManager
from carto.sql import BatchSQLClient

warnings.simplefilter("ignore")  # carto-python warns about http:// base URLs

passed = failed = 0


def check(cond, what):
    global passed, failed
    if cond:
        passed += 1
    else:
        failed += 1
        print(f"FAILED: {what}", file=sys.stderr)


# ---- the emulator -------------------------------------------------------------------------

def emulator_binary():
    explicit = os.environ.get("CARTO_EMULATOR_BIN")
    if explicit:
        return explicit
    root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    target = os.environ.get("CARGO_TARGET_DIR", os.path.join(root, "target"))
    found = [os.path.join(target, p, "carto-emulator") for p in ("release", "debug")]
    found = [p for p in found if os.path.exists(p)]
    if not found:
        sys.exit("carto-emulator not found: build it (cargo build -p carto-emulator) or set CARTO_EMULATOR_BIN")
    return max(found, key=os.path.getmtime)


def start_emulator(workdir):
    info = os.path.join(workdir, "info.json")
    log = open(os.path.join(workdir, "emulator.log"), "w")
    process = subprocess.Popen(
        [emulator_binary(), "--fresh", "--exit-on-stdin-eof", "--info-file", info],
        stdin=subprocess.PIPE, stdout=log, stderr=log)
    deadline = time.time() + 180
    while time.time() < deadline:
        if os.path.exists(info) and os.path.getsize(info) > 0:
            try:
                return process, json.load(open(info))
            except ValueError:
                pass
        if process.poll() is not None:
            break
        time.sleep(0.1)
    process.kill()
    sys.exit("carto-emulator did not start: " + open(os.path.join(workdir, "emulator.log")).read())


# ---- cartoauth through its C ABI ----------------------------------------------------------

lib = ctypes.CDLL(os.environ["CARTOAUTH_LIB"])
P = ctypes.c_void_p
PP = ctypes.POINTER(P)
S = ctypes.c_char_p
PS = ctypes.POINTER(S)
SIZE = ctypes.c_size_t
I32 = ctypes.c_int32
lib.carto_last_error.restype = S
lib.carto_job_status_str.restype = S
lib.carto_job_status_str.argtypes = [I32]
lib.carto_string_free.argtypes = [P]
signatures = {
    "carto_credentials_new": [S, S, S, ctypes.c_bool, PP],
    "carto_credentials_free": [P],
    "carto_client_new": [P, P, PP],
    "carto_client_free": [P],
    "carto_batch_create": [P, ctypes.POINTER(S), SIZE, S, S, PP],
    "carto_batch_status": [P, S, PP],
    "carto_batch_cancel": [P, S, PP],
    "carto_batch_wait": [P, S, ctypes.c_uint64, P, P, PP],
    "carto_batch_job_free": [P],
    "carto_batch_job_id": [P, PS],
    "carto_batch_job_status": [P, ctypes.POINTER(I32)],
    "carto_batch_job_failed_reason": [P, PS],
    "carto_batch_job_query_count": [P, ctypes.POINTER(SIZE)],
    "carto_batch_job_query": [P, SIZE, PS, ctypes.POINTER(I32), PS],
    "carto_grants_new": [PP],
    "carto_grants_free": [P],
    "carto_grants_add_api": [P, S],
    "carto_grants_add_service": [P, S],
    "carto_grants_add_table": [P, S, S, S],
    "carto_api_keys_list": [P, PP],
    "carto_api_key_list_free": [P],
    "carto_api_key_list_count": [P, ctypes.POINTER(SIZE)],
    "carto_api_key_list_get": [P, SIZE, PP],
    "carto_api_key_get": [P, S, PP],
    "carto_api_key_create": [P, S, P, PP, ctypes.POINTER(P)],
    "carto_api_key_regenerate": [P, S, PP, ctypes.POINTER(P)],
    "carto_api_key_delete": [P, S],
    "carto_api_key_free": [P],
    "carto_api_key_describe": [P, PS, PS, PS, PS],
    "carto_api_key_apis": [P, PS, PS],
    "carto_api_key_grant_counts": [P, ctypes.POINTER(SIZE), ctypes.POINTER(SIZE)],
    "carto_api_key_table": [P, SIZE, PS, PS, PS],
    "carto_do_credentials_get": [P, PP],
    "carto_do_credentials_free": [P],
    "carto_do_credentials_access_token": [P, PS],
    "carto_do_credentials_places": [P, PS, PS, PS, PS, PS],
    "carto_do_credentials_instant_licensing": [P, ctypes.POINTER(ctypes.c_bool)],
}
for name, args in signatures.items():
    getattr(lib, name).argtypes = args


class CartoAuthError(Exception):
    def __init__(self, status):
        self.status = status
        super().__init__(f"status {status}: {lib.carto_last_error().decode()}")


def ok(status):
    if status != 0:
        raise CartoAuthError(status)


def text(p):
    return None if p.value is None else p.value.decode()


def take_string(p):
    value = ctypes.cast(p, S).value.decode()
    lib.carto_string_free(p)
    return value


class CartoAuth:
    """The operations of the interop test, through the C ABI."""

    def __init__(self, base_url, key):
        creds = P()
        ok(lib.carto_credentials_new(None, key.encode(), base_url.encode(), True, ctypes.byref(creds)))
        self.client = P()
        try:
            ok(lib.carto_client_new(creds, None, ctypes.byref(self.client)))
        finally:
            lib.carto_credentials_free(creds)

    def close(self):
        lib.carto_client_free(self.client)

    @staticmethod
    def _job(handle):
        try:
            id_, reason, count, status = S(), S(), SIZE(), I32()
            ok(lib.carto_batch_job_id(handle, ctypes.byref(id_)))
            ok(lib.carto_batch_job_status(handle, ctypes.byref(status)))
            ok(lib.carto_batch_job_failed_reason(handle, ctypes.byref(reason)))
            ok(lib.carto_batch_job_query_count(handle, ctypes.byref(count)))
            queries = []
            for i in range(count.value):
                sql, qs, qr = S(), I32(), S()
                ok(lib.carto_batch_job_query(handle, i, ctypes.byref(sql), ctypes.byref(qs), ctypes.byref(qr)))
                queries.append((text(sql), lib.carto_job_status_str(qs.value).decode()))
            return {"job_id": text(id_), "status": lib.carto_job_status_str(status.value).decode(),
                    "failed_reason": text(reason), "queries": queries}
        finally:
            lib.carto_batch_job_free(handle)

    def batch_create(self, queries):
        array = (S * len(queries))(*[q.encode() for q in queries])
        out = P()
        ok(lib.carto_batch_create(self.client, array, len(queries), None, None, ctypes.byref(out)))
        return self._job(out)

    def batch(self, fn, job_id, *extra):
        out = P()
        ok(fn(self.client, job_id.encode(), *extra, ctypes.byref(out)))
        return self._job(out)

    def batch_wait(self, job_id, timeout_ms):
        out = P()
        status = lib.carto_batch_wait(self.client, job_id.encode(), timeout_ms, None, None, ctypes.byref(out))
        return status, (self._job(out) if status == 0 else None)

    @staticmethod
    def _key(handle):
        name, type_, created, updated, apis, services = S(), S(), S(), S(), S(), S()
        ok(lib.carto_api_key_describe(handle, ctypes.byref(name), ctypes.byref(type_),
                                      ctypes.byref(created), ctypes.byref(updated)))
        ok(lib.carto_api_key_apis(handle, ctypes.byref(apis), ctypes.byref(services)))
        n_tables, n_schemas = SIZE(), SIZE()
        ok(lib.carto_api_key_grant_counts(handle, ctypes.byref(n_tables), ctypes.byref(n_schemas)))
        tables = []
        for i in range(n_tables.value):
            schema, table, perms = S(), S(), S()
            ok(lib.carto_api_key_table(handle, i, ctypes.byref(schema), ctypes.byref(table), ctypes.byref(perms)))
            tables.append((text(schema), text(table), sorted(text(perms).split(","))))
        split = lambda s: [x for x in (text(s) or "").split(",") if x]
        return {"name": text(name), "type": text(type_), "apis": split(apis),
                "services": split(services), "tables": tables}

    def api_keys(self):
        lst = P()
        ok(lib.carto_api_keys_list(self.client, ctypes.byref(lst)))
        try:
            count = SIZE()
            ok(lib.carto_api_key_list_count(lst, ctypes.byref(count)))
            keys = []
            for i in range(count.value):
                key = P()
                ok(lib.carto_api_key_list_get(lst, i, ctypes.byref(key)))
                try:
                    keys.append(self._key(key))
                finally:
                    lib.carto_api_key_free(key)
            return keys
        finally:
            lib.carto_api_key_list_free(lst)

    def api_key(self, name):
        key = P()
        ok(lib.carto_api_key_get(self.client, name.encode(), ctypes.byref(key)))
        try:
            return self._key(key)
        finally:
            lib.carto_api_key_free(key)

    def create_key(self, name, apis, tables=(), services=()):
        grants = P()
        ok(lib.carto_grants_new(ctypes.byref(grants)))
        try:
            for a in apis:
                ok(lib.carto_grants_add_api(grants, a.encode()))
            for s in services:
                ok(lib.carto_grants_add_service(grants, s.encode()))
            for schema, table, perms in tables:
                ok(lib.carto_grants_add_table(grants, schema.encode() if schema else None,
                                              table.encode(), ",".join(perms).encode()))
            key, token = P(), P()
            ok(lib.carto_api_key_create(self.client, name.encode(), grants, ctypes.byref(key), ctypes.byref(token)))
            try:
                return self._key(key), take_string(token)
            finally:
                lib.carto_api_key_free(key)
        finally:
            lib.carto_grants_free(grants)

    def regenerate_key(self, name):
        token = P()
        ok(lib.carto_api_key_regenerate(self.client, name.encode(), None, ctypes.byref(token)))
        return take_string(token)

    def delete_key(self, name):
        ok(lib.carto_api_key_delete(self.client, name.encode()))

    def do_token(self):
        out = P()
        ok(lib.carto_do_credentials_get(self.client, ctypes.byref(out)))
        try:
            token = S()
            places = [S() for _ in range(5)]
            instant = ctypes.c_bool()
            ok(lib.carto_do_credentials_access_token(out, ctypes.byref(token)))
            ok(lib.carto_do_credentials_places(out, *[ctypes.byref(p) for p in places]))
            ok(lib.carto_do_credentials_instant_licensing(out, ctypes.byref(instant)))
            names = ["bq_public_project", "gcp_execution_project", "bq_project", "bq_dataset", "gcs_bucket"]
            fields = {n: text(p) for n, p in zip(names, places)}
            fields.update(access_token=text(token), instant_licensing=instant.value)
            return fields
        finally:
            lib.carto_do_credentials_free(out)


# ---- carto-python -------------------------------------------------------------------------

def python_key(api_key):
    """An APIKey of carto-python (its Grants resource) as comparable fields."""
    grants = api_key.grants
    tables = [(t.schema, t.name, sorted(t.permissions or [])) for t in (grants.tables or [])]
    return {"name": api_key.name, "type": api_key.type, "apis": list(grants.apis or []),
            "services": list(grants.services or []), "tables": tables}


def python_wait(batch, job_id, seconds=30):
    deadline = time.time() + seconds
    while time.time() < deadline:
        job = batch.read(job_id)
        if job["status"] not in ("pending", "running"):
            return job
        time.sleep(0.2)
    return batch.read(job_id)


def python_queries(job):
    q = job["query"]
    if isinstance(q, str):
        return [(q, job["status"])]
    return [(item["query"], item["status"]) for item in q]


def main():
    workdir = tempfile.mkdtemp(prefix="platform-interop-")
    process, info = start_emulator(workdir)
    try:
        account = info["accounts"]["demo"]
        base_url = account["base_url"]
        master_key = next(k["token"] for k in account["keys"] if k["type"] == "master")
        regular_key = next(k["token"] for k in account["keys"] if k["type"] == "regular")
        py_auth = APIKeyAuthClient(base_url + "/", master_key)
        ours = CartoAuth(base_url, master_key)
        run(py_auth, ours, base_url, regular_key)
        ours.close()
    finally:
        process.stdin.close()
        process.wait(timeout=60)
    print(f"platform-interop: {passed} passed, {failed} failed")
    return 0 if failed == 0 else 1


def run(py_auth, ours, base_url, regular_key):
    batch = BatchSQLClient(py_auth)

    # A good job and a failing one, made by each side, read by both.
    good = ["create table interop_t (n int)", "insert into interop_t values (1)"]
    bad = ["select 1", "select * from interop_missing", "select 2"]
    for label, queries in (("good", good), ("bad", bad)):
        if label == "good":
            ours_job = ours.batch_create(queries)
            status, waited = ours.batch_wait(ours_job["job_id"], 30000)
            check(status == 0 and waited["status"] == "done", f"{label}: cartoauth waited to done")
            seen = python_wait(batch, ours_job["job_id"])
            check(seen["status"] == "done", f"{label}: carto-python sees done: {seen['status']}")
            check(python_queries(seen) == waited["queries"], f"{label}: same per-query statuses")
        else:
            job = batch.create(queries)
            check(job["status"] in ("pending", "running"), "bad: carto-python created a pending job")
            status, _ = ours.batch_wait(job["job_id"], 30000)
            check(status == 800, f"bad: cartoauth's wait says the job failed (800), got {status}")
            seen = python_wait(batch, job["job_id"])
            mine = ours.batch(lib.carto_batch_status, job["job_id"])
            check(seen["status"] == mine["status"] == "failed", "bad: both see failed")
            check(seen.get("failed_reason") == mine["failed_reason"], "bad: same failed_reason")
            check(python_queries(seen) == mine["queries"],
                  f"bad: same per-query statuses: {python_queries(seen)} vs {mine['queries']}")
            check(ours.batch(lib.carto_batch_cancel, job["job_id"])["status"] == "failed",
                  "bad: cartoauth's cancel of a finished job returns it")

    # A running job cancelled by cartoauth, seen cancelled by carto-python, and the reverse.
    slow = batch.create("select pg_sleep(60)")
    ours_cancel = ours.batch(lib.carto_batch_cancel, slow["job_id"])
    check(ours_cancel["status"] == "cancelled", "cartoauth cancelled carto-python's job")
    check(batch.read(slow["job_id"])["status"] == "cancelled", "carto-python sees it cancelled")
    slow2 = ours.batch_create(["select pg_sleep(60)"])
    status, _ = ours.batch_wait(slow2["job_id"], 300)
    check(status == 802, f"cartoauth's wait timed out (802), got {status}")
    check(batch.cancel(slow2["job_id"]) == "cancelled", "carto-python cancelled cartoauth's job")
    check(ours.batch(lib.carto_batch_status, slow2["job_id"])["status"] == "cancelled",
          "cartoauth sees it cancelled")

    # API keys: the same list, the same grants whoever created the key.
    manager = APIKeyManager(py_auth)
    mine_key, token = ours.create_key("interop reader", ["sql", "maps"],
                                      tables=[(None, "points_private", ["select", "insert"])],
                                      services=["geocoding"])
    seen = python_key(manager.get("interop reader"))
    check(seen == mine_key, f"carto-python reads cartoauth's key the same: {seen} vs {mine_key}")
    check(manager.get("interop reader").token == token, "the token cartoauth returned is the key's")
    created = manager.create(name="interop python", apis=["sql"],
                             tables=[{"schema": "public", "name": "points_public",
                                      "permissions": ["select"]}])
    check(python_key(created) == ours.api_key("interop python"),
          "cartoauth reads carto-python's key the same")
    for i in range(20):  # more than one page of CARTO's default 20
        manager.create(name=f"interop page {i:02d}", apis=["sql"])
    python_list = [python_key(k) for k in manager.all()]
    our_list = ours.api_keys()
    check(len(our_list) >= 24, f"cartoauth listed every page: {len(our_list)} keys")
    check([k["name"] for k in our_list] == [k["name"] for k in python_list],
          "both list the same keys in the same order")
    check(our_list == python_list, "both see the same grants for every key")
    renewed = ours.regenerate_key("interop python")
    check(manager.get("interop python").token == renewed, "carto-python sees cartoauth's new token")
    ours.delete_key("interop python")
    try:
        manager.get("interop python")
        check(False, "carto-python still finds the key cartoauth deleted")
    except Exception as e:  # carto-python raises CartoException on the 404
        check("not found" in str(e).lower(), f"carto-python: key not found: {e}")

    # A regular key: carto-python gets the raw 401; cartoauth says 403 and why.
    regular = CartoAuth(base_url, regular_key)
    try:
        regular.create_key("nope", ["sql"])
        check(False, "a regular key created a key")
    except CartoAuthError as e:
        check(e.status == 403 and "master key" in str(e), f"regular key: clear 403: {e}")
        check(regular_key not in str(e), "regular key: the message holds no key")
    regular.close()

    # DO token: the same fields.
    token = DoTokenManager(py_auth).get()
    mine = ours.do_token()
    for field in ("access_token", "bq_public_project", "gcp_execution_project", "bq_project",
                  "bq_dataset", "gcs_bucket", "instant_licensing"):
        check(getattr(token, field) == mine[field], f"DO token field {field}")


if __name__ == "__main__":
    sys.exit(main())
