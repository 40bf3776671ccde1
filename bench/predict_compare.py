#!/usr/bin/python3
"""Table of bench/predict.sh: Sextant's churn models beside scikit-learn and Python XGBoost.

Usage: predict_compare.py SEXTANT.json [PEER.json]
  SEXTANT.json is predict_bench's output, PEER.json predict_peer.py's (absent or empty: Sextant's
  side only). Prints the table, the checks, then everything as one JSON object (also written to
  $BENCH_OUT when set). Exits 1 when the two sides did not read the same parts, or when a
  same-algorithm pair disagrees by more than its tolerance: then the comparison means nothing.
"""

import json
import os
import sys

# (Sextant model, peer model, tolerance on |test ROC-AUC difference| or None for "report only",
# why). The tolerances are justified in bench/README.md, "Prediction".
PAIRS = [
    # The same library (1.7.4 on both sides), parameters, float32 values and weights: the trees
    # came out identical (AUC equal to 1e-15, the same rounds kept). The margin allows for the
    # DMatrix against the QuantileDMatrix the scikit-learn wrapper builds, whose quantile cuts
    # may differ on other data or versions; a changed parameter (eta, depth) moves AUC more.
    ("gbdt", "xgboost", 5e-4, "same algorithm and parameters"),
    # The same model (weighted logistic loss on weighted-standardised features) reached by two
    # optimisers: AdamW mini-batches stopped early against L-BFGS at the L2 optimum. Rankings of
    # a linear score move little with such differences in the coefficients.
    ("logistic", "logistic", 0.01, "same model, different optimiser"),
    # Different tree growth (scikit-learn's leaf-wise histograms, its own binning, no hessian
    # bound on leaves): compared, not checked.
    ("gbdt", "hist_gbdt", None, "different algorithm"),
]


def load(path):
    if not path or not os.path.exists(path) or os.path.getsize(path) == 0:
        return None
    with open(path) as f:
        return json.load(f)


def seconds(x):
    if x is None:
        return "-"
    return f"{x:.2f} s" if x >= 1 else f"{x * 1000:.1f} ms"


def ratio(peer, sextant):
    return f"{peer / sextant:.2f}x" if peer and sextant else "-"


def number(x, digits=4):
    return "-" if x is None else f"{x:.{digits}f}"


def print_table(header, rows):
    print("| " + " | ".join(header) + " |")
    print("| --- |" + " ---: |" * (len(header) - 1))
    for row in rows:
        print("| " + " | ".join(str(c) for c in row) + " |")
    print()


def pair_row(s_model, p_model, s, p):
    a = s["models"][s_model]
    b = p["models"][p_model] if p else None
    label = f"{s_model} / {b['name']}" if b else f"{s_model} / (no peer)"
    rounds = ""
    if "rounds" in a.get("fit", {}):
        rounds = f"{a['fit']['rounds']} / {b['rounds'] if b else '-'}"
    return (
        label,
        number(a["test"]["roc_auc"]),
        number(b["test"]["roc_auc"] if b else None),
        number(a["test"]["average_precision"]),
        number(b["test"]["average_precision"] if b else None),
        number(a["test"]["log_loss"]),
        number(b["test"]["log_loss"] if b else None),
        seconds(a["fit_seconds"]),
        seconds(b["fit_seconds"] if b else None),
        ratio(b["fit_seconds"] if b else None, a["fit_seconds"]),
        seconds(a["predict_seconds"]),
        seconds(b["predict_seconds"] if b else None),
        ratio(b["predict_seconds"] if b else None, a["predict_seconds"]),
        rounds,
    )


def checks(s, p):
    """(problems, notes): problems void the comparison."""
    problems, notes = [], []
    if s["examples"] != p["examples"]:
        problems.append(f"the parts differ: {s['examples']} vs {p['examples']}")
    for s_model, p_model, tolerance, why in PAIRS:
        if tolerance is None or p_model not in p["models"]:
            continue
        a = s["models"][s_model]["test"]["roc_auc"]
        b = p["models"][p_model]["test"]["roc_auc"]
        line = (
            f"{s_model} vs {p['models'][p_model]['name']} ({why}): test ROC-AUC {a:.5f} vs "
            f"{b:.5f}, difference {abs(a - b):.5f}, tolerance {tolerance}"
        )
        (problems if abs(a - b) > tolerance else notes).append(line)
    if "xgboost" in p["models"]:
        a = s["models"]["gbdt"]["fit"]["rounds"]
        b = p["models"]["xgboost"]["rounds"]
        # Deterministic on both sides (no subsampling), so the same trees stop at the same round.
        (notes if a == b else problems).append(f"gbdt rounds kept: sextant {a}, xgboost {b}")
    return problems, notes


def main():
    if len(sys.argv) not in (2, 3):
        sys.exit("usage: predict_compare.py SEXTANT.json [PEER.json]")
    s = load(sys.argv[1])
    p = load(sys.argv[2]) if len(sys.argv) == 3 else None
    result = {
        "load_before": os.environ.get("BENCH_LOAD_BEFORE"),
        "load_after": os.environ.get("BENCH_LOAD_AFTER"),
        "sextant": s,
        "peer": p,
    }

    ex = s["examples"]
    print(
        f"### Churn at {s['horizon_days']} days on {os.path.basename(s['file'])}: "
        f"{s['events']:,} events, {s['users']:,} users"
    )
    print(
        f"train {ex['train']['rows']:,} ({ex['train']['positives']:,} churned), valid "
        f"{ex['valid']['rows']:,} ({ex['valid']['positives']:,}), test {ex['test']['rows']:,} "
        f"({ex['test']['positives']:,}); {len(s['feature_names'])} features; positives weigh "
        f"{s['positive_weight']:.4f}; features built in {seconds(s['phases']['features'])}"
    )
    print()

    header = [
        "sextant / peer", "AUC s", "AUC p", "PR-AUC s", "PR-AUC p", "log loss s", "log loss p",
        "fit s", "fit p", "fit ratio", "predict s", "predict p", "predict ratio", "rounds s / p",
    ]
    rows = []
    for s_model, p_model, _, _ in PAIRS:
        rows.append(pair_row(s_model, p_model, s, p if p and p_model in p["models"] else None))
    for s_model in ("dense_net", "ensemble"):
        rows.append(pair_row(s_model, None, s, None))
    print_table(header, rows)
    print("ratio = peer time / Sextant time: above 1, Sextant is faster. Fit and predict times "
          "are medians of the repetitions; predict is the whole test part.")
    print()

    problems, notes = ([], []) if p is None else checks(s, p)
    if p is None:
        notes.append("no peer results: Sextant's side only")
    for name, message in (p or {}).get("skipped", {}).items():
        notes.append(f"peer {name} skipped: {message}")
    for line in notes:
        print(f"check: {line}")
    for line in problems:
        print(f"compare: FAILED: {line}")
    result["problems"] = problems
    result["notes"] = notes

    text = json.dumps(result)
    print(text)
    if os.environ.get("BENCH_OUT"):
        with open(os.environ["BENCH_OUT"], "w") as f:
            f.write(text + "\n")
    sys.exit(1 if problems else 0)


if __name__ == "__main__":
    main()
