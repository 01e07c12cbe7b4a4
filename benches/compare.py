#!/usr/bin/env python3
"""Compares the paired ratios of two benchmark reports (RESULTS.md files written by
benches/run.sh, or what it printed): every wall-time and client-CPU ratio of every table, side by side, and whether
the second run agrees with the first within a tolerance (default 10%).

    benches/compare.py FIRST.md SECOND.md [TOLERANCE_PERCENT]

Exits 1 when a ratio differs by more than the tolerance or is missing from one report.
Each line also says whether the two runs' 95% confidence intervals overlap (reports written
since the suite prints them; older reports give min–max there): a ratio that differs by more
than the tolerance while its intervals overlap differs by no more than the rounds' noise.
"""

import re
import sys
from pathlib import Path

# "1.05 [0.98–1.12]× the time of curl", "0.91 [...]× the CPU of curl", "speed-up 5.92 [...]×"
RATIO = re.compile(r"(?:speed-up )?([0-9.]+) \[([0-9.]+)–([0-9.]+)\]×")


def cells_of(row):
    """The cells of a Markdown table row; "\\|" inside a cell is a literal bar."""
    return [cell.strip().replace("\\|", "|") for cell in re.split(r"(?<!\\)\|", row.strip().strip("|"))]


def ratios(path):
    found = {}
    section = None
    header = []
    for line in Path(path).read_text().splitlines():
        if line.startswith(("## ", "### ")):  # RESULTS.md, or the suite's printed tables
            section = line.lstrip("#").strip()
            header = []
        elif line.startswith("| client |"):
            header = cells_of(line)
        elif line.startswith("| ") and header and section:
            cells = cells_of(line)
            for column, cell in zip(header, cells):
                match = RATIO.match(cell)
                if match and "ratio" in column:
                    found[(section, cells[0], column)] = tuple(float(g) for g in match.groups())
    return found


def main():
    if len(sys.argv) not in (3, 4):
        raise SystemExit(__doc__)
    first, second = ratios(sys.argv[1]), ratios(sys.argv[2])
    tolerance = float(sys.argv[3]) / 100 if len(sys.argv) == 4 else 0.10
    if not first:
        raise SystemExit(f"no paired ratios in {sys.argv[1]}")
    failed = overlapping = 0
    for key in sorted(first.keys() | second.keys()):
        a, b = first.get(key), second.get(key)
        if a is None or b is None:
            verdict, failed = "MISSING", failed + 1
            shown = f"{a and a[0]} vs {b and b[0]}"
        else:
            change = abs(b[0] - a[0]) / a[0] if a[0] else float("inf")
            ok = change <= tolerance
            overlap = a[1] <= b[2] and b[1] <= a[2]
            failed += not ok
            overlapping += not ok and overlap
            verdict = f"{change * 100:5.1f}% {'ok' if ok else 'DIFFERS'}"
            if not ok:
                verdict += " (intervals overlap)" if overlap else " (intervals apart)"
            shown = f"{a[0]} [{a[1]}–{a[2]}] vs {b[0]} [{b[1]}–{b[2]}]"
        section, client, column = key
        print(f"{section} | {client} | {column}: {shown}: {verdict}")
    print(f"{len(first.keys() | second.keys()) - failed} agree, {failed} differ (tolerance {tolerance * 100:g}%)"
          + (f"; {overlapping} of those within each other's interval" if failed else ""))
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
