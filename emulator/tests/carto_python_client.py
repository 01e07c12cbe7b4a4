"""carto-python 1.11.3, unchanged, against a running carto-emulator.

Run by tests/carto_python.rs (which sets the environment), or by hand:
  CARTO_EMULATOR_INFO=/path/to/info.json python3 emulator/tests/carto_python_client.py
Exits non-zero on the first failed check.
"""
import json
import os
import sys
import warnings

from carto.api_keys import APIKeyManager
from carto.auth import APIKeyAuthClient, AuthAPIClient
from carto.do_token import DoTokenManager
from carto.exceptions import CartoException, CartoRateLimitException
from carto.sql import BatchSQLClient, CopySQLClient, SQLClient

warnings.simplefilter("ignore")  # carto-python warns about http:// base URLs

info = json.load(open(os.environ["CARTO_EMULATOR_INFO"]))
demo = info["accounts"]["demo"]
base_url = demo["base_url"] + "/"
tokens = {k["name"]: k["token"] for k in demo["keys"]}
master = tokens["Master"]


def check(cond, what):
    if not cond:
        print("FAILED: " + what)
        sys.exit(1)
    print("ok: " + what)


client = APIKeyAuthClient(base_url, master)
sql = SQLClient(client)

res = sql.send("select cartodb_id, name from points_private order by cartodb_id")
check(res["total_rows"] == 2 and res["rows"][0]["name"] == "Secret A", "SQLClient POST query")
check("time" in res and res["fields"]["name"]["type"] == "string", "SQLClient fields")
res = sql.send("select 1 as one", do_post=False)
check(res["rows"] == [{"one": 1}], "SQLClient GET query")
fc = sql.send("select * from points_public", format="geojson")
check(fc["type"] == "FeatureCollection" and len(fc["features"]) == 3, "SQLClient geojson")

try:
    SQLClient(APIKeyAuthClient(base_url, "default_public")).send("select * from points_private")
    check(False, "public key reading the private table fails")
except CartoException as e:
    # pyrestcli turns any 403 into "Access denied" (the body is checked by the Rust tests).
    check("Access denied" in str(e), "public key gets a 403")

try:
    sql.send("select * from no_such_table")
    check(False, "bad SQL fails")
except CartoException as e:
    check('relation "no_such_table" does not exist' in str(e), "SQL errors carry PostgreSQL's message")

sql.send("drop table if exists py_copy; create table py_copy (a int, b text)")
copy = CopySQLClient(client)
data = [b"a,b\n", b"1,one\n", b"2,two\n", b"3,three\n"]
res = copy.copyfrom("COPY py_copy (a, b) FROM stdin WITH (FORMAT csv, HEADER true)", iter(data))
check(res["total_rows"] == 3, "CopySQLClient copyfrom (gzip, chunked)")
res = copy.copyfrom("COPY py_copy (a, b) FROM stdin WITH (FORMAT csv, HEADER true)", iter(data), compress=False)
check(res["total_rows"] == 3, "CopySQLClient copyfrom uncompressed")
out = copy.copyto("COPY (SELECT a, b FROM py_copy ORDER BY a, b LIMIT 2) TO stdout").content
check(out == b"1\tone\n1\tone\n", "CopySQLClient copyto")
try:
    copy.copyfrom("COPY any_wrong_table (a) FROM stdin", iter([b"1\n"]))
    check(False, "copy into a missing table fails")
except CartoException as e:
    check('relation "any_wrong_table" does not exist' in str(e), "copyfrom error message")

batch = BatchSQLClient(client)
job = batch.create_and_wait_for_completion("UPDATE py_copy SET b = 'batched'")
check(job["status"] == "done", "BatchSQLClient create_and_wait_for_completion")
res = sql.send("select count(*) as n from py_copy where b = 'batched'")
check(res["rows"][0]["n"] == 6, "batch job changed the table")
job = batch.create(["SELECT 1"])
check(job["status"] in ("pending", "running", "done"), "BatchSQLClient create with a list")
batch.create_and_wait_for_completion("SELECT 1")
check(batch.cancel(job["job_id"]) == "done", "cancel of a done job returns 'done'")

auth_client = AuthAPIClient(base_url, master)
check(auth_client.is_valid_api_key(), "AuthAPIClient.is_valid_api_key (master)")
check(AuthAPIClient(base_url, "default_public").is_valid_api_key(), "is_valid_api_key (default_public)")
check(not AuthAPIClient(base_url, "wadus").is_valid_api_key(), "is_valid_api_key (wrong key)")
me = auth_client.send("api/v3/me", "get").json()
check(me["config"]["user_name"] == "demo", "AuthAPIClient /api/v3/me")

manager = APIKeyManager(auth_client)
check(len(manager.filter(type="master")) == 1, "APIKeyManager filter(type=master)")
check(len(manager.filter(type="default,master")) == 2, "APIKeyManager filter(type=default,master)")
check(len(manager.all()) >= 2, "APIKeyManager all()")
key = manager.create(name="py_key", apis=["sql"], tables=[{"name": "py_copy", "permissions": ["select"]}])
check(key.type == "regular" and key.token, "APIKeyManager create")
res = SQLClient(APIKeyAuthClient(base_url, key.token)).send("select count(*) as n from py_copy")
check(res["rows"][0]["n"] == 6, "the created key reads its table")
check(manager.get("py_key").name == "py_key", "APIKeyManager get")
manager.get("py_key").delete()
try:
    manager.get("py_key")
    check(False, "a deleted key is gone")
except Exception as e:
    check("API key not found" in str(e), "a deleted key is gone (404)")
try:
    SQLClient(APIKeyAuthClient(base_url, key.token)).send("select 1")
    check(False, "a deleted key cannot query")
except CartoException as e:
    check("Access denied" in str(e), "a deleted key gets 401 (pyrestcli: Access denied)")

do = DoTokenManager(client).get()
check(do.access_token and do.bq_project and do.instant_licensing is False, "DoTokenManager.get")
print("carto-python: all checks passed")
