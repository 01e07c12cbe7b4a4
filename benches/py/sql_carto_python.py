"""Request rate through carto-python 1.11.3: N sequential SQL API queries with one SQLClient
(one requests.Session, so one kept-alive connection), each answer parsed as JSON by the client.

    python sql_carto_python.py BASE_URL API_KEY N get|post

get: SQLClient.send(q, do_post=False), a GET like cartoauth's and curl's; post: the default
SQLClient.send(q), which POSTs a form. carto-python sends the key as ?api_key=... (its only
way); prints one JSON line: {"seconds": ..., "cpu_seconds": ..., "requests": N}.
"""

import json
import sys
import time
import warnings

QUERY = "select cartodb_id, name from bench_points limit 1"


def main():
    base_url, api_key, n, mode = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4]
    # carto-python warns once that http:// sends the key unencrypted (loopback here).
    warnings.simplefilter("ignore")
    from carto.auth import APIKeyAuthClient
    from carto.sql import SQLClient

    do_post = {"get": False, "post": True}[mode]
    start = time.perf_counter()
    cpu_start = time.process_time()
    sql = SQLClient(APIKeyAuthClient(base_url, api_key))
    for _ in range(n):
        answer = sql.send(QUERY, do_post=do_post)
        if answer["total_rows"] != 1 or not isinstance(answer["rows"], list):
            raise SystemExit(f"unexpected answer {answer!r}")
    seconds = time.perf_counter() - start
    cpu_seconds = time.process_time() - cpu_start
    print(json.dumps({"seconds": round(seconds, 6), "cpu_seconds": round(cpu_seconds, 6), "requests": n}))


if __name__ == "__main__":
    main()
