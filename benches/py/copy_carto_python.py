"""Streaming COPY through carto-python 1.11.3's CopySQLClient.

    python copy_carto_python.py to BASE_URL API_KEY EXPECTED_BYTES
    python copy_carto_python.py from BASE_URL API_KEY FILE gzip|plain

to: CopySQLClient.copyto_file_object into a file object that only counts what it is given
(carto-python reads the streamed answer in 8 KiB blocks). from: copyfrom_file_path, which
reads the file in 8 KiB chunks and sends them chunked, gzip level 1 by default (compress=True)
or raw (compress=False). Prints one JSON line: {"seconds": ..., "bytes": ...}.
"""

import json
import os
import sys
import time
import warnings


class Discard:
    def __init__(self):
        self.bytes = 0

    def write(self, block):
        self.bytes += len(block)
        return len(block)


def main():
    direction, base_url, api_key = sys.argv[1], sys.argv[2], sys.argv[3]
    warnings.simplefilter("ignore")  # http:// on loopback
    from carto.auth import APIKeyAuthClient
    from carto.sql import CopySQLClient

    start = time.perf_counter()
    copy = CopySQLClient(APIKeyAuthClient(base_url, api_key))
    if direction == "to":
        expected = int(sys.argv[4])
        sink = Discard()
        copy.copyto_file_object("COPY (SELECT * FROM bench_points) TO STDOUT", sink)
        moved = sink.bytes
        if moved != expected:
            raise SystemExit(f"received {moved} bytes, expected {expected}")
    elif direction == "from":
        path, mode = sys.argv[4], sys.argv[5]
        answer = copy.copyfrom_file_path(
            "COPY bench_points FROM STDIN WITH (FORMAT csv)", path, compress=(mode == "gzip")
        )
        if "total_rows" not in answer:
            raise SystemExit(f"unexpected answer {answer!r}")
        moved = os.path.getsize(path)
    else:
        raise SystemExit("usage: copy_carto_python.py to|from ...")
    seconds = time.perf_counter() - start
    print(json.dumps({"seconds": round(seconds, 6), "bytes": moved}))


if __name__ == "__main__":
    main()
