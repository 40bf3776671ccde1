#!/usr/bin/env bash
# Trains GRU4Rec and SASRec in Sextant and in a plain PyTorch script with the same settings on the
# same raw file, then times top-10 requests and measures memory for every Sextant model. Prints
# the tables and the whole result as JSON (also written to $BENCH_OUT when set). See
# bench/README.md, "Recommendation".
#
# Usage: bash bench/recommend.sh [BUILD_DIR]   (default: build; it builds nothing itself)
# Data: $SEXTANT_DATA, else ../shared/data beside the repository.
# Settings (environment): BENCH_GRU4REC_EPOCHS (3), BENCH_SASREC_EPOCHS (20), BENCH_SASREC_MAX_LEN
# (50), BENCH_BPR_EPOCHS (3; latency and memory only), BENCH_LATENCY_USERS (1000),
# BENCH_STEP_LIMIT (seconds per side and model, 400), BENCH_THREADS (training threads of both
# sides, default the machine's cores), BENCH_PEER_THREADS (the peer's intra-op threads, default
# 1: its best, with OpenBLAS's own pool), BENCH_PEER_MALLOC (same: the peer runs with
# the glibc malloc thresholds Sextant's trainer sets for itself; plain: glibc's defaults).
# Exits 0 when it ran (or had no data), 1 when a step failed or the two sides disagree.
set -euo pipefail

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
build=${1:-build}
case "$build" in
/*) ;;
*) build="$repo/$build" ;;
esac
bench="$build/bench/recommend_bench"
python=/usr/bin/python3  # Debian's, which has python3-torch; not the first python3 on PATH
data=${SEXTANT_DATA:-$repo/../shared/data}
file="$data/movielens-1m/ratings_users1-2999.dat"
gru4rec_epochs=${BENCH_GRU4REC_EPOCHS:-3}
sasrec_epochs=${BENCH_SASREC_EPOCHS:-20}
sasrec_max_len=${BENCH_SASREC_MAX_LEN:-50}
bpr_epochs=${BENCH_BPR_EPOCHS:-3}
latency_users=${BENCH_LATENCY_USERS:-1000}
step_limit=${BENCH_STEP_LIMIT:-400}
# Training threads of both sides: Sextant trains GRU4Rec and SASRec data-parallel on them, the
# peer uses them as PyTorch's intra-op threads.
threads=${BENCH_THREADS:-$(nproc)}
export BENCH_PEER_MALLOC=${BENCH_PEER_MALLOC:-same}

if [[ ! -x "$bench" ]]; then
    echo "bench: $bench is missing; run 'make build' (or 'make build BUILD=${1:-build}') first" >&2
    exit 1
fi
if [[ ! -f "$file" ]]; then
    echo "bench: $file is absent (set SEXTANT_DATA to the data folder); nothing to measure"
    exit 0
fi
have_torch=1
if ! "$python" -c "import torch" 2>/dev/null; then
    have_torch=0
    echo "bench: $python cannot import torch (apt-get install python3-torch); Sextant's side only"
fi

# Sextant's trainer raises glibc's mmap and trim thresholds in-process (TrainOptions::
# keep_freed_memory); the environment gives the peer the same allocator behaviour.
peer_env=()
if [[ $BENCH_PEER_MALLOC == same ]]; then
    peer_env=(MALLOC_MMAP_THRESHOLD_=1073741824 MALLOC_TRIM_THRESHOLD_=1073741824)
fi

# Each side uses the cores its best way, as measured on 2 cores. Sextant trains data-parallel on
# --threads workers and keeps OpenBLAS to one thread per worker itself. The peer runs one
# intra-op thread (BENCH_PEER_THREADS) and lets the pthread OpenBLAS that Debian's libtorch
# calls spread each matrix product over the cores with its own pool: GRU4Rec 32,589 samples/s,
# against 29,612 with two intra-op threads and one OpenBLAS thread, and 9,945 with two of each.
export BENCH_PEER_THREADS=${BENCH_PEER_THREADS:-1}

scratch=$(mktemp -d "${TMPDIR:-/tmp}/sextant-recommend-bench.XXXXXX")
trap 'rm -rf "$scratch"' EXIT

load_average() {
    cut -d' ' -f1 /proc/loadavg
}

export BENCH_LOAD_BEFORE
BENCH_LOAD_BEFORE=$(load_average)
echo "bench: $(nproc) cores, load average $BENCH_LOAD_BEFORE at start; peer malloc:" \
    "$BENCH_PEER_MALLOC; sextant: $threads training threads; peer: $BENCH_PEER_THREADS" \
    "intra-op thread(s) and OpenBLAS's own threads"

train_step() {
    local model=$1
    shift
    echo "bench: $model: sextant..." >&2
    timeout "$step_limit" "$bench" "$file" --model "$model" --latency-users "$latency_users" \
        --threads "$threads" "$@" >"$scratch/$model.sextant.json"
    if [[ $have_torch == 1 ]]; then
        echo "bench: $model: pytorch..." >&2
        env "${peer_env[@]}" timeout "$step_limit" "$python" "$repo/bench/torch_peer.py" "$file" \
            "$scratch/$model.sextant.json" >"$scratch/$model.pytorch.json"
    fi
}

train_step gru4rec --epochs "$gru4rec_epochs"
train_step sasrec --epochs "$sasrec_epochs" --max-len "$sasrec_max_len"

# One process per model, so that each peak RSS is that model's alone.
for model in popular item_knn ease bpr; do
    echo "bench: $model: sextant latency..." >&2
    extra=()
    if [[ $model == bpr ]]; then
        extra=(--epochs "$bpr_epochs")
    fi
    timeout "$step_limit" "$bench" "$file" --model "$model" --latency-users "$latency_users" \
        "${extra[@]}" >"$scratch/$model.sextant.json"
done

export BENCH_LOAD_AFTER
BENCH_LOAD_AFTER=$(load_average)
echo "bench: load average $BENCH_LOAD_AFTER at the end"
"$python" "$repo/bench/recommend_compare.py" "$scratch" gru4rec,sasrec \
    popular,item_knn,ease,bpr,gru4rec,sasrec
