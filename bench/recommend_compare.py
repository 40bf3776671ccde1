#!/usr/bin/python3
"""Tables of bench/recommend.sh: Sextant beside plain PyTorch, then latency and memory per model.

Usage: recommend_compare.py DIR TRAINED_MODELS LATENCY_MODELS
  DIR holds MODEL.sextant.json (recommend_bench) and, for the trained models, MODEL.pytorch.json
  (torch_peer.py); the two model lists are comma-separated. Prints the tables, then everything
  as one JSON object (also written to $BENCH_OUT when set). Exits 1 when the two sides did not
  read the same split or built networks of different sizes: then the comparison means nothing.
"""

import json
import os
import sys


def load(path):
    if not os.path.exists(path):
        return None
    with open(path) as f:
        return json.load(f)


def seconds(x):
    return f"{x:.2f} s" if x >= 1 else f"{x * 1000:.0f} ms"


def mib(x):
    return f"{x / 2**20:.1f} MiB"


def ratio(a, b):
    return f"{a / b:.2f}x" if a and b else "-"


def train_table(model, s, p):
    """Rows of (what, sextant, pytorch, ratio); ratio is Sextant / PyTorch, >1 favours Sextant
    for rates and scores, and is PyTorch / Sextant for times (so >1 always means Sextant wins)."""
    rows = []

    def time_row(label, a, b):
        rows.append((label, seconds(a), seconds(b) if p else "-", ratio(b, a) if p else "-"))

    sp = p or {}
    ph = sp.get("phases", {})
    read = s["phases"]["read"] + s["phases"]["split"]
    time_row("read + split (raw file)", read, ph.get("read", 0))
    time_row("fit (train + validate every epoch)", s["phases"]["fit"], ph.get("fit", 0))
    time_row("fit, process CPU time", s["fit_cpu_seconds"], sp.get("fit_cpu_seconds", 0))
    time_row("training only", s["train_seconds"], sp.get("train_seconds", 0))
    per_epoch = sp.get("seconds_per_epoch", 0)
    time_row("seconds per epoch (with validation)", s["seconds_per_epoch"], per_epoch)
    time_row("test evaluation (1 thread)", s["phases"]["test"], ph.get("test", 0))
    time_row("end to end", s["end_to_end_seconds"], sp.get("end_to_end_seconds", 0))
    rows.append(
        (
            "training samples/s",
            f"{s['samples_per_second']:,.0f}",
            f"{sp['samples_per_second']:,.0f}" if p else "-",
            ratio(s["samples_per_second"], sp.get("samples_per_second")),
        )
    )
    for key, label in (("ndcg_at_10", "test NDCG@10"), ("hr_at_10", "test HR@10")):
        rows.append(
            (
                label,
                f"{s['test'][key]:.4f}",
                f"{sp['test'][key]:.4f}" if p else "-",
                ratio(s["test"][key], sp.get("test", {}).get(key)),
            )
        )
    rows.append(
        (
            "best epoch (valid NDCG@10)",
            f"{s['best_epoch']} ({s['epochs'][s['best_epoch'] - 1]['valid_ndcg_at_10']:.4f})",
            f"{sp['best_epoch']} ({sp['epochs'][sp['best_epoch'] - 1]['valid_ndcg_at_10']:.4f})"
            if p
            else "-",
            "",
        )
    )
    rows.append(("parameters", mib(s["model_bytes"]), mib(sp["model_bytes"]) if p else "-", ""))
    rows.append(("peak RSS", mib(s["peak_rss_bytes"]), mib(sp["peak_rss_bytes"]) if p else "-", ""))
    return rows


def print_table(header, rows):
    print("| " + " | ".join(header) + " |")
    print("| --- |" + " ---: |" * (len(header) - 1))
    for row in rows:
        print("| " + " | ".join(row) + " |")
    print()


def settings_line(s):
    t = s["settings"]["train"]
    keys = {k: v for k, v in s["settings"].items() if k != "train"}
    return (
        f"{s['model']}: {t['epochs']} epochs, batch {t['batch_size']}, {t['optimizer']} lr "
        f"{t['learning_rate']:g}, {t['schedule']}, weight decay {t['weight_decay']:g}; "
        + ", ".join(f"{k} {v}" for k, v in keys.items())
    )


def check(model, s, p):
    """Problems that make the comparison void."""
    problems = []
    if s["split"] != p["split"]:
        problems.append(f"{model}: the splits differ: {s['split']} vs {p['split']}")
    if s["model_bytes"] != p["model_bytes"]:
        problems.append(
            f"{model}: the networks differ in size: {s['model_bytes']} vs {p['model_bytes']} bytes"
        )
    return problems


def main():
    if len(sys.argv) != 4:
        sys.exit("usage: recommend_compare.py DIR TRAINED_MODELS LATENCY_MODELS")
    folder = sys.argv[1]
    trained = [m for m in sys.argv[2].split(",") if m]
    latency = [m for m in sys.argv[3].split(",") if m]
    result = {
        "load_before": os.environ.get("BENCH_LOAD_BEFORE"),
        "load_after": os.environ.get("BENCH_LOAD_AFTER"),
        "peer_malloc": os.environ.get("BENCH_PEER_MALLOC"),
        "models": {},
    }
    problems = []

    for model in trained:
        s = load(f"{folder}/{model}.sextant.json")
        p = load(f"{folder}/{model}.pytorch.json")
        if s is None:
            continue
        result["models"][model] = {"sextant": s, "pytorch": p}
        print(f"### {model}: Sextant beside PyTorch {p['torch'] if p else '(not run)'}")
        print(settings_line(s))
        print()
        print_table(["", "sextant", "pytorch", "ratio"], train_table(model, s, p))
        if p:
            problems += check(model, s, p)

    rows = []
    for model in latency:
        s = load(f"{folder}/{model}.sextant.json")
        if s is None or not s.get("latency"):
            continue
        result["models"].setdefault(model, {"sextant": s})
        lat = s["latency"]
        rows.append(
            (
                model,
                seconds(s["phases"]["fit"]),
                f"{s['test']['ndcg_at_10']:.4f}",
                f"{lat['p50_us']:,.0f}",
                f"{lat['p99_us']:,.0f}",
                mib(s["model_bytes"]),
                mib(s["peak_rss_bytes"]),
            )
        )
    if rows:
        users = load(f"{folder}/{latency[0]}.sextant.json")["latency"]["users"]
        print(f"### Top-10 latency, one request at a time on one thread ({users} test users)")
        print_table(
            ["model", "fit", "test NDCG@10", "p50 µs", "p99 µs", "model arrays", "peak RSS"], rows
        )

    for problem in problems:
        print(f"compare: {problem}")
    compared = [m for m in trained if result["models"].get(m, {}).get("pytorch")]
    if not problems and compared:
        print("cross-check: both sides read the same split and built networks of the same size")
    text = json.dumps(result)
    print(text)
    if os.environ.get("BENCH_OUT"):
        with open(os.environ["BENCH_OUT"], "w") as f:
            f.write(text + "\n")
    sys.exit(1 if problems else 0)


if __name__ == "__main__":
    main()
