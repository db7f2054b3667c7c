#!/usr/bin/env bash
# Builds every fuzz target once, seeds each corpus from the golden files, and
# runs each target for SECONDS (default 600).
# Usage: parsers/fuzz/run.sh [SECONDS_PER_TARGET] [TARGET...]
# Needs cargo-fuzz (`cargo install cargo-fuzz`) and nightly or RUSTC_BOOTSTRAP=1.
set -euo pipefail
cd "$(dirname "$0")/.."
secs=${1:-600}
shift || true
targets=("$@")
if [ ${#targets[@]} -eq 0 ]; then
  mapfile -t targets < <(sed -n 's/^name = "\(.*\)"$/\1/p' fuzz/Cargo.toml | grep -v '^vedette')
fi
export RUSTC_BOOTSTRAP=${RUSTC_BOOTSTRAP:-1}
cargo fuzz build -O
bin=fuzz/target/x86_64-unknown-linux-gnu/release
for t in "${targets[@]}"; do
  corpus=fuzz/corpus/$t
  mkdir -p "$corpus" "fuzz/artifacts/$t"
  dir=${t#format_}
  [ "$dir" = modsecurity ] && dir=modsec
  max_len=65536
  extra=()
  if [ "$t" = parse_any ]; then seeds=(testdata/*/*.log); else seeds=(testdata/"$dir"/*.log); fi
  # Streams: the golden streams and the multi-line records.
  if [ "$t" = stream ]; then seeds=(testdata/*/*.stream testdata/auditd/*.log testdata/modsec/*.log); fi
  if [ "$t" = evtx ]; then
    # Seeds: SigmaHQ's regression EVTX files, read in place as a second
    # corpus directory (never copied; fuzz/corpus/evtx is not committed).
    # A file is a 4 KiB header and 64 KiB chunks.
    max_len=200000
    seeds=()
    samples="${VEDETTE_CORPORA:-../../shared/corpora}/sigmahq/regression_data"
    if [ -d "$samples" ]; then extra=("$samples"); fi
  fi
  for s in "${seeds[@]}"; do
    if [ -f "$s" ]; then cp -n "$s" "$corpus/seed-$(basename "$(dirname "$s")")-$(basename "$s")" || true; fi
  done
  echo "== $t for ${secs}s"
  status=0
  "$bin/$t" "$corpus" "${extra[@]}" -artifact_prefix="fuzz/artifacts/$t/" -max_total_time="$secs" \
    -max_len="$max_len" -rss_limit_mb=2048 -print_final_stats=1 > "fuzz/artifacts/$t/last-run.log" 2>&1 || status=$?
  grep -E "^Done|SUMMARY|panicked" "fuzz/artifacts/$t/last-run.log" || true
  [ "$status" -eq 0 ] || { echo "$t FAILED (exit $status): see fuzz/artifacts/$t/"; exit 1; }
done
