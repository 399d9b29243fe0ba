#!/usr/bin/env python3
"""Request paths for the geocoder wrk run (benchmarks/peers/http_wrk.sh with '@FILE' arguments).

    geocoder_wrk_paths.py BAN_CSV OUT_DIR [N]

Reads a BAN "adresses" CSV (';'-separated, header) and writes OUT_DIR/search.txt (full labels),
OUT_DIR/search_nocity.txt (number + street), OUT_DIR/completion.txt (the label cut in the middle
of the street's last word) and OUT_DIR/reverse.txt (the address points), N rows each (default
2000, every k-th row: deterministic)."""
import csv
import os
import sys
from urllib.parse import quote


def main() -> int:
    if len(sys.argv) < 3:
        print(__doc__, file=sys.stderr)
        return 2
    src, out = sys.argv[1], sys.argv[2]
    n = int(sys.argv[3]) if len(sys.argv) > 3 else 2000
    with open(src, newline="", encoding="utf-8") as f:
        rows = [r for r in csv.DictReader(f, delimiter=";") if r.get("lon") and r.get("lat") and r.get("nom_voie")]
    step = max(1, len(rows) // n)
    rows = rows[::step][:n]
    os.makedirs(out, exist_ok=True)
    files = {name: open(os.path.join(out, name + ".txt"), "w", encoding="utf-8")
             for name in ("search", "search_nocity", "completion", "reverse")}
    for r in rows:
        number = (r["numero"] + (" " + r["rep"] if r.get("rep") else "")).strip()
        street = f"{number} {r['nom_voie']}"
        label = f"{street} {r['code_postal']} {r['nom_commune']}"
        words = street.split(" ")
        cut = " ".join(words[:-1] + [words[-1][: max(2, len(words[-1]) // 2)]])
        files["search"].write(f"/geocodage/search?q={quote(label)}&limit=5\n")
        files["search_nocity"].write(f"/geocodage/search?q={quote(street)}&limit=5\n")
        files["completion"].write(f"/geocodage/completion?text={quote(cut)}&maximumResponses=10\n")
        files["reverse"].write(f"/geocodage/reverse?lon={r['lon']}&lat={r['lat']}&limit=1\n")
    for f in files.values():
        f.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
