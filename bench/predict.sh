#!/usr/bin/env bash
# Builds churn features from the Online Retail log as the main job does, fits Sextant's churn
# models on them (predict_bench), then scikit-learn and Python XGBoost on the same CSV parts
# (predict_peer.py), and prints the table and the whole result as JSON (also written to
# $BENCH_OUT when set). See bench/README.md, "Prediction".
#
# Usage: bash bench/predict.sh [BUILD_DIR]   (default: build; it builds nothing itself)
# Data: $SEXTANT_DATA, else ../shared/data beside the repository.
# Settings (environment): BENCH_HORIZON_DAYS (90), BENCH_REPS (11: fit and predict repetitions
# of logistic and gbdt, on both sides), BENCH_DENSE_REPS (5: dense_net's), BENCH_STEP_LIMIT
# (seconds per side, 120).
# Exits 0 when it ran (or had no data), 1 when a step failed or a same-algorithm pair disagrees.
set -euo pipefail

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
build=${1:-build}
case "$build" in
/*) ;;
*) build="$repo/$build" ;;
esac
bench="$build/bench/predict_bench"
python=/usr/bin/python3  # Debian's, which has python3-sklearn and python3-xgboost
data=${SEXTANT_DATA:-$repo/../shared/data}
file="$data/online-retail/online_retail.csv"
horizon=${BENCH_HORIZON_DAYS:-90}
reps=${BENCH_REPS:-11}
dense_reps=${BENCH_DENSE_REPS:-5}
step_limit=${BENCH_STEP_LIMIT:-120}

if [[ ! -x "$bench" ]]; then
    echo "bench: $bench is missing; run 'make build' (or 'make build BUILD=${1:-build}') first" >&2
    exit 1
fi
if [[ ! -f "$file" ]]; then
    echo "bench: $file is absent (set SEXTANT_DATA to the data folder); nothing to measure"
    exit 0
fi

# One thread on both sides: Sextant's gbdt sets nthread=1 and its torch models one intra-op
# thread; XGBClassifier gets n_jobs=1, and these keep scikit-learn's OpenMP loops (the histogram
# trees) and OpenBLAS (numpy, libtorch) to one thread as well.
n_cores=$(nproc)  # before the exports below: nproc honours OMP_NUM_THREADS
export OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1

scratch=$(mktemp -d "${TMPDIR:-/tmp}/sextant-predict-bench.XXXXXX")
trap 'rm -rf "$scratch"' EXIT

load_average() {
    cut -d' ' -f1 /proc/loadavg
}

export BENCH_LOAD_BEFORE
BENCH_LOAD_BEFORE=$(load_average)
echo "bench: $n_cores cores, load average $BENCH_LOAD_BEFORE at start; one thread per side"

echo "bench: churn: sextant..." >&2
timeout "$step_limit" "$bench" "$file" --out "$scratch/parts" --horizon "$horizon" \
    --reps "$reps" --dense-reps "$dense_reps" >"$scratch/sextant.json"

echo "bench: churn: scikit-learn and xgboost..." >&2
timeout "$step_limit" "$python" "$repo/bench/predict_peer.py" "$scratch/parts" \
    "$scratch/sextant.json" >"$scratch/peer.json"

export BENCH_LOAD_AFTER
BENCH_LOAD_AFTER=$(load_average)
echo "bench: load average $BENCH_LOAD_AFTER at the end"
"$python" "$repo/bench/predict_compare.py" "$scratch/sextant.json" "$scratch/peer.json"
