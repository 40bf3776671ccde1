#!/usr/bin/env bash
# Runs Sextant's ingest, load and retention benchmarks beside pandas on the real datasets and
# prints one table per dataset, a cross-check of the retention figures, then the whole result as
# JSON (also written to $BENCH_OUT when set). See bench/README.md.
#
# Usage: bash bench/run.sh [BUILD_DIR]   (default: build; it builds nothing itself)
# Data: $SEXTANT_DATA, else ../shared/data beside the repository; a missing file is skipped.
# Exits 0 when it ran (or had no data), 1 when the two sides disagree or a step failed.
set -euo pipefail

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
build=${1:-build}
case "$build" in
/*) ;;
*) build="$repo/$build" ;;
esac
bench="$build/bench/ingest_bench"
python=/usr/bin/python3  # Debian's, which has python3-pandas; not the first python3 on PATH
data=${SEXTANT_DATA:-$repo/../shared/data}
reps=${BENCH_REPS:-5}
slow_reps=${BENCH_SLOW_REPS:-3}
step_limit=120  # seconds for one side on one dataset; the whole run stays under ~3 minutes

if [[ ! -x "$bench" ]]; then
    echo "bench: $bench is missing; run 'make build' (or 'make build BUILD=${1:-build}') first" >&2
    exit 1
fi

# name, file under $data, kind for pandas_peer.py
datasets=(
    "movielens-1m movielens-1m/ratings_users1-2999.dat movielens"
    "online-retail online-retail/online_retail.csv retail"
)

have_pandas=1
if ! "$python" -c "import pandas" 2>/dev/null; then
    have_pandas=0
    echo "bench: $python has no pandas (apt-get install python3-pandas); Sextant's side only"
fi

scratch=$(mktemp -d "${TMPDIR:-/tmp}/sextant-bench.XXXXXX")
trap 'rm -rf "$scratch"' EXIT

load_average() {
    cut -d' ' -f1 /proc/loadavg
}

export BENCH_LOAD_BEFORE
BENCH_LOAD_BEFORE=$(load_average)
echo "bench: $(nproc) cores, load average $BENCH_LOAD_BEFORE at start; $reps runs per fast" \
    "step, $slow_reps per slow one, medians"

names=()
for entry in "${datasets[@]}"; do
    read -r name file kind <<<"$entry"
    path="$data/$file"
    if [[ ! -f "$path" ]]; then
        echo "bench: skipping $name: $path is absent (set SEXTANT_DATA to the data folder)"
        continue
    fi
    echo "bench: $name: sextant..." >&2
    timeout "$step_limit" "$bench" "$path" --reps "$reps" --slow-reps "$slow_reps" \
        --tmp "$scratch" >"$scratch/$name.sextant.json"
    if [[ $have_pandas == 1 ]]; then
        echo "bench: $name: pandas..." >&2
        timeout "$step_limit" "$python" "$repo/bench/pandas_peer.py" "$path" "$kind" \
            --reps "$reps" --slow-reps "$slow_reps" --tmp "$scratch" >"$scratch/$name.pandas.json"
    fi
    names+=("$name")
done

if [[ ${#names[@]} == 0 ]]; then
    echo "bench: no dataset found under $data; nothing to measure"
    exit 0
fi

export BENCH_LOAD_AFTER
BENCH_LOAD_AFTER=$(load_average)
echo "bench: load average $BENCH_LOAD_AFTER at the end"
"$python" "$repo/bench/compare.py" "$scratch" "${names[@]}"
