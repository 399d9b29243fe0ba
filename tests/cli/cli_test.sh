#!/usr/bin/env bash
# End-to-end test of the geoplex command line: synth → build → info, and its error handling.
# Usage: cli_test.sh /path/to/geoplex WORK_DIR
set -euo pipefail
GEOPLEX="$1"
WORK="$2"
rm -rf "$WORK"; mkdir -p "$WORK"
fail() { echo "FAIL: $*" >&2; exit 1; }

"$GEOPLEX" --help | grep -q "synth" || fail "--help does not list synth"
"$GEOPLEX" build --help | grep -q -- "--output" || fail "build --help does not document --output"
"$GEOPLEX" --version | grep -Eq '^[0-9]+\.[0-9]+\.[0-9]+' || fail "--version"

"$GEOPLEX" synth --size village --seed 3 -o "$WORK/territory" -q > "$WORK/synth.out"
grep -q "roads" "$WORK/synth.out" || fail "synth summary does not mention roads"
for f in roads.osm.pbf addresses.csv dem.tif layers.gpkg basemap.tif bundle.toml; do
  [ -s "$WORK/territory/$f" ] || fail "synth did not write $f"
done

"$GEOPLEX" build "$WORK/territory/bundle.toml" -o "$WORK/bundle" -q
[ -f "$WORK/bundle/manifest.toml" ] || fail "no manifest.toml"
"$GEOPLEX" info "$WORK/bundle" --verify > "$WORK/info.out"
grep -q "components:  altitude, geocoder, routing, tiles" "$WORK/info.out" || fail "info does not list every component: $(cat "$WORK/info.out")"
grep -q "checksums:   verified" "$WORK/info.out" || fail "info --verify did not verify"

# A bad spec: non-zero exit, every problem listed, the existing bundle untouched.
printf 'colour = "blue"\n[altitude]\n[[altitude.resources]]\nid = ""\n' > "$WORK/bad.toml"
if "$GEOPLEX" build "$WORK/bad.toml" -o "$WORK/bundle" -q 2> "$WORK/bad.err"; then fail "bad spec accepted"; fi
grep -q "colour" "$WORK/bad.err" || fail "the unknown key is not reported"
grep -q "name" "$WORK/bad.err" || fail "the missing name is not reported"
"$GEOPLEX" info "$WORK/bundle" > /dev/null || fail "the previous bundle was damaged by a failed build"

# A corrupt index file is caught by --verify with a message naming the file.
dem=$(find "$WORK/bundle/altitude" -name '*.dem' | head -n 1)
[ -n "$dem" ] || fail "no embedded .dem file in the bundle"
printf '\x01\x02\x03\x04' | dd of="$dem" bs=1 seek=200 conv=notrunc status=none
if "$GEOPLEX" info "$WORK/bundle" --verify 2> "$WORK/corrupt.err"; then fail "corruption not detected"; fi
grep -q "$(basename "$dem")" "$WORK/corrupt.err" || fail "the corrupt file is not named: $(cat "$WORK/corrupt.err")"

# Unknown size: a helpful message, exit code 1.
if "$GEOPLEX" synth --size galaxy -o "$WORK/x" -q 2> "$WORK/size.err"; then fail "bad size accepted"; fi
grep -qi "village" "$WORK/size.err" || fail "the size error does not list the valid sizes"
echo "cli: all checks passed"
