#!/usr/bin/python3
"""scikit-learn and Python XGBoost peer of bench/predict_bench.cpp, on the same three CSV parts.

Usage: predict_peer.py DIR SEXTANT.json

DIR holds train.csv, valid.csv and test.csv as predict_bench wrote them (the feature names, then
"label"); SEXTANT.json is what predict_bench printed: the peer reads the positive weight, every
model setting and the repetition counts from it, so the two sides cannot drift apart. Prints one
JSON object on stdout. A library that cannot be imported is skipped with a message on stderr.

What each peer matches (see src/sextant/predict/*.cpp):
- every model: class weights as sample weights (positives weigh n_neg / n_pos of the training
  part, rounded to float32 as Sextant stores weights); early stopping, where there is any, on
  the validation part with the same positive weight; one thread;
- xgboost.XGBClassifier: gbdt.cpp's parameters exactly (hist, binary:logistic, eta, max_depth,
  min_child_weight, subsample, colsample_bytree, lambda, max_bin, seed, one thread, at most
  max_rounds rounds, stop after early_stopping_rounds rounds without a lower weighted validation
  log loss, predict with the best round count);
- LogisticRegression: logistic.cpp's model (weighted standardisation, then a weighted logistic
  loss), but fitted to its optimum by L-BFGS with an L2 penalty, where Sextant runs AdamW
  mini-batches with decoupled weight decay and stops early: the objectives agree only roughly;
- HistGradientBoostingClassifier: the closest settings its parameters allow; its rounds are
  chosen on the same validation part by the same rule (scikit-learn 1.2 cannot early-stop on a
  given set), in a selection pass timed apart from the fit.
"""

import json
import statistics
import sys
import time

import numpy as np
import pandas as pd


def read_part(path, names):
    frame = pd.read_csv(path, dtype=np.float64)
    if list(frame.columns) != names + ["label"]:
        raise ValueError(f"{path}: the columns are not Sextant's feature names and label")
    y = frame.pop("label").to_numpy().astype(np.int64)
    return frame.to_numpy(), y


def class_weights(y, positive_weight):
    w = np.where(y == 1, np.float32(positive_weight), np.float32(1)).astype(np.float32)
    return w.astype(np.float64)


def weighted_log_loss_of_margins(y, z, w):
    """Weighted mean binary cross-entropy of logits, computed stably (classifier_util.cpp)."""
    loss = np.where(y == 1, np.logaddexp(0, -z), np.logaddexp(0, z))
    return float(np.sum(w * loss) / np.sum(w))


def roc_auc(y, p):
    """Mann-Whitney with ties counting 1/2 (metrics.h), from average ranks."""
    _, inverse, counts = np.unique(p, return_inverse=True, return_counts=True)
    average_rank = np.cumsum(counts) - (counts - 1) / 2
    n_pos = int(y.sum())
    n_neg = len(y) - n_pos
    rank_sum = float(average_rank[inverse][y == 1].sum())
    return (rank_sum - n_pos * (n_pos + 1) / 2) / (n_pos * n_neg)


def average_precision(y, p):
    """sum_k (R_k - R_{k-1}) P_k over the distinct thresholds, descending (metrics.h)."""
    _, inverse, counts = np.unique(p, return_inverse=True, return_counts=True)
    positives = np.bincount(inverse, weights=y.astype(np.float64))[::-1]
    tp = np.cumsum(positives)
    predicted = np.cumsum(counts[::-1])
    recall = tp / tp[-1]
    return float(np.sum(np.diff(recall, prepend=0.0) * tp / predicted))


def metrics(y, p):
    """The test figures with Sextant's definitions, in numpy, so no peer library is needed."""
    q = np.clip(p, 1e-15, 1 - 1e-15)
    loss = -np.mean(np.where(y == 1, np.log(q), np.log(1 - q)))
    return {
        "roc_auc": roc_auc(y, p),
        "average_precision": average_precision(y, p),
        "log_loss": float(loss),
    }


def measure(name, make_and_fit, predict, parts, reps, extra=None):
    """Fits `reps` times and predicts the test part `reps` times with the last model."""
    _, (x_valid, y_valid), (x_test, y_test) = parts
    fit_times = []
    model = None
    for _ in range(reps):
        start = time.perf_counter()
        model = make_and_fit()
        fit_times.append(time.perf_counter() - start)
    predict_times = []
    p = None
    for _ in range(reps):
        start = time.perf_counter()
        p = predict(model, x_test)
        predict_times.append(time.perf_counter() - start)
    fit_seconds = statistics.median(fit_times)
    predict_seconds = statistics.median(predict_times)
    out = {
        "name": name,
        "reps": reps,
        "fit_seconds": fit_seconds,
        "fit_seconds_all": fit_times,
        "predict_seconds": predict_seconds,
        "predict_rows_per_second": len(y_test) / predict_seconds,
        "valid": metrics(y_valid, predict(model, x_valid)),
        "test": metrics(y_test, p),
    }
    out.update(extra(model) if extra else {})
    return out


def logistic_peer(s, parts, w_train):
    import sklearn
    from sklearn.linear_model import LogisticRegression
    from sklearn.preprocessing import StandardScaler

    train = s["models"]["logistic"]["config"]["train"]
    x_train, y_train = parts[0]
    # Sextant's penalty is AdamW's decoupled decay, weight_decay per unit of learning rate: for
    # plain gradient descent that is the gradient of (weight_decay / 2) |w|^2 added to the mean
    # weighted loss. scikit-learn minimises |w|^2 / 2 + C * sum(w_i * loss_i); dividing by
    # C * sum(w_i) gives the same objective when C = 1 / (weight_decay * sum(w_i)).
    c = 1.0 / (train["weight_decay"] * float(np.sum(w_train)))

    def fit():
        scaler = StandardScaler().fit(x_train, sample_weight=w_train)
        model = LogisticRegression(C=c, solver="lbfgs", max_iter=1000)
        model.fit(scaler.transform(x_train), y_train, sample_weight=w_train)
        return scaler, model

    def predict(m, x):
        scaler, model = m
        return model.predict_proba(scaler.transform(x))[:, 1]

    def extra(m):
        return {"iterations": int(m[1].n_iter_[0])}

    out = measure("LogisticRegression", fit, predict, parts, s["models"]["logistic"]["reps"], extra)
    out["settings"] = {"C": c, "solver": "lbfgs", "max_iter": 1000, "sklearn": sklearn.__version__}
    return out


def rounds_by_patience(losses, patience):
    """gbdt.cpp's rule: the best round count, and the rounds built before stopping."""
    best_loss = float("inf")
    best = 0
    for k, loss in enumerate(losses):
        if loss < best_loss:
            best_loss, best = loss, k + 1
        elif patience > 0 and k + 1 - best >= patience:
            return best, k + 1
    return best, len(losses)


def hist_gbdt_peer(s, parts, w_train, w_valid):
    import sklearn
    from sklearn.ensemble import HistGradientBoostingClassifier

    g = s["models"]["gbdt"]["config"]
    (x_train, y_train), (x_valid, y_valid), _ = parts
    settings = {
        "learning_rate": g["learning_rate"],
        "max_depth": g["max_depth"],
        # Depth bounds the tree as in XGBoost's depth-wise growth (up to 2^max_depth leaves).
        "max_leaf_nodes": None,
        # XGBoost's min_child_weight bounds a leaf's hessian sum; a row's hessian is at most a
        # quarter of its weight, so a leaf of weight-1 rows holds at least 4 of them.
        "min_samples_leaf": max(1, int(4 * g["min_child_weight"])),
        "l2_regularization": g["reg_lambda"],
        "max_bins": min(255, g["max_bin"] - 1),  # 255 is the most it takes; one bin is for NaN
        "early_stopping": False,
        "random_state": g["seed"],
    }

    # Selection pass: max_rounds rounds, the weighted validation log loss after each, the same
    # patience rule as gbdt.cpp. The timed fit then builds exactly the chosen rounds, which is
    # deterministic (no subsampling), so it is this pass's model cut back.
    start = time.perf_counter()
    probe = HistGradientBoostingClassifier(max_iter=g["max_rounds"], **settings)
    probe.fit(x_train, y_train, sample_weight=w_train)
    losses = [
        weighted_log_loss_of_margins(y_valid, z.ravel(), w_valid)
        for z in probe.staged_decision_function(x_valid)
    ]
    best, stopped_at = rounds_by_patience(losses, g["early_stopping_rounds"])
    select_seconds = time.perf_counter() - start

    def fit():
        model = HistGradientBoostingClassifier(max_iter=best, **settings)
        return model.fit(x_train, y_train, sample_weight=w_train)

    def predict(model, x):
        return model.predict_proba(x)[:, 1]

    reps = s["models"]["gbdt"]["reps"]
    out = measure("HistGradientBoostingClassifier", fit, predict, parts, reps)
    out["rounds"] = best
    out["rounds_sextant_would_build"] = stopped_at
    out["select_seconds"] = select_seconds
    out["settings"] = dict(settings, max_iter=best, sklearn=sklearn.__version__)
    return out


def xgboost_peer(s, parts, w_train, w_valid):
    import xgboost

    g = s["models"]["gbdt"]["config"]
    (x_train, y_train), (x_valid, y_valid), _ = parts
    settings = {
        "n_estimators": g["max_rounds"],
        "objective": "binary:logistic",
        "tree_method": "hist",
        "learning_rate": g["learning_rate"],
        "max_depth": g["max_depth"],
        "min_child_weight": g["min_child_weight"],
        "subsample": g["subsample"],
        "colsample_bytree": g["colsample_bytree"],
        "reg_lambda": g["reg_lambda"],
        "max_bin": g["max_bin"],
        "random_state": g["seed"],
        "n_jobs": 1,
        "verbosity": 1,
        "eval_metric": "logloss",
    }
    if g["early_stopping_rounds"] > 0:
        settings["early_stopping_rounds"] = g["early_stopping_rounds"]

    def fit():
        model = xgboost.XGBClassifier(**settings)
        return model.fit(
            x_train,
            y_train,
            sample_weight=w_train,
            eval_set=[(x_valid, y_valid)],
            sample_weight_eval_set=[w_valid],
            verbose=False,
        )

    def predict(model, x):
        # With early stopping, predict_proba uses the best round count (best_iteration + 1).
        return model.predict_proba(x)[:, 1]

    def extra(model):
        booster = model.get_booster()
        has_best = g["early_stopping_rounds"] > 0
        return {"rounds": model.best_iteration + 1 if has_best else booster.num_boosted_rounds()}

    out = measure("XGBClassifier", fit, predict, parts, s["models"]["gbdt"]["reps"], extra)
    out["settings"] = dict(settings, xgboost=xgboost.__version__)
    return out


def available(module):
    try:
        __import__(module)
        return True
    except ImportError:
        return False


def main():
    if len(sys.argv) != 3:
        sys.exit("usage: predict_peer.py DIR SEXTANT.json")
    folder = sys.argv[1]
    with open(sys.argv[2]) as f:
        s = json.load(f)
    names = s["feature_names"]

    start = time.perf_counter()
    parts = [read_part(f"{folder}/{part}.csv", names) for part in ("train", "valid", "test")]
    read_seconds = time.perf_counter() - start
    examples = {
        part: {"rows": int(len(y)), "positives": int(y.sum()), "negatives": int(len(y) - y.sum())}
        for part, (_, y) in zip(("train", "valid", "test"), parts)
    }
    w_train = class_weights(parts[0][1], s["positive_weight"])
    w_valid = class_weights(parts[1][1], s["positive_weight"])

    out = {"examples": examples, "read_csv_seconds": read_seconds, "models": {}, "skipped": {}}
    if available("sklearn"):
        out["models"]["logistic"] = logistic_peer(s, parts, w_train)
        out["models"]["hist_gbdt"] = hist_gbdt_peer(s, parts, w_train, w_valid)
    else:
        message = "cannot import sklearn (apt-get install python3-sklearn)"
        out["skipped"]["sklearn"] = message
        print(f"predict_peer: {message}; its peers skipped", file=sys.stderr)
    if available("xgboost"):
        out["models"]["xgboost"] = xgboost_peer(s, parts, w_train, w_valid)
    else:
        message = "cannot import xgboost (apt-get install python3-xgboost)"
        out["skipped"]["xgboost"] = message
        print(f"predict_peer: {message}; its peer skipped", file=sys.stderr)
    print(json.dumps(out))


if __name__ == "__main__":
    main()
