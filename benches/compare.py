#!/usr/bin/env python3
"""Compares the paired ratios of two benchmark reports (RESULTS.md files written by
benches/run.sh, or what it printed): every wall-time and client-CPU ratio of every table, side by side, and whether
the second run agrees with the first within a tolerance (default 10%).

    benches/compare.py FIRST.md SECOND.md [TOLERANCE_PERCENT]

Exits 1 when a ratio differs by more than the tolerance or is missing from one report.
"""

import re
import sys
from pathlib import Path

# "1.05 [0.98–1.12]× the time of curl", "0.91 [...]× the CPU of curl", "speed-up 5.92 [...]×"
RATIO = re.compile(r"(?:speed-up )?([0-9.]+) \[[0-9.]+–[0-9.]+\]×")


def ratios(path):
    found = {}
    section = None
    header = []
    for line in Path(path).read_text().splitlines():
        if line.startswith(("## ", "### ")):  # RESULTS.md, or the suite's printed tables
            section = line.lstrip("#").strip()
            header = []
        elif line.startswith("| client |"):
            header = [cell.strip() for cell in line.strip("|").split("|")]
        elif line.startswith("| ") and header and section:
            cells = [cell.strip() for cell in line.strip("|").split("|")]
            for column, cell in zip(header, cells):
                match = RATIO.match(cell)
                if match and "ratio" in column:
                    found[(section, cells[0], column)] = float(match.group(1))
    return found


def main():
    if len(sys.argv) not in (3, 4):
        raise SystemExit(__doc__)
    first, second = ratios(sys.argv[1]), ratios(sys.argv[2])
    tolerance = float(sys.argv[3]) / 100 if len(sys.argv) == 4 else 0.10
    if not first:
        raise SystemExit(f"no paired ratios in {sys.argv[1]}")
    failed = 0
    for key in sorted(first.keys() | second.keys()):
        a, b = first.get(key), second.get(key)
        if a is None or b is None:
            verdict, failed = "MISSING", failed + 1
        else:
            change = abs(b - a) / a if a else float("inf")
            ok = change <= tolerance
            failed += not ok
            verdict = f"{change * 100:5.1f}% {'ok' if ok else 'DIFFERS'}"
        section, client, column = key
        print(f"{section} | {client} | {column}: {a} vs {b}: {verdict}")
    print(f"{len(first.keys() | second.keys()) - failed} agree, {failed} differ (tolerance {tolerance * 100:g}%)")
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
