#!/usr/bin/python3
"""The pandas side of bench/run.sh: the same steps as bench/ingest_bench.cpp on the same file.

Usage: pandas_peer.py FILE KIND [--reps N] [--slow-reps N] [--tmp DIR]; KIND is "movielens" or
"retail". Prints one JSON object: file, events, users, read_fast_same_frame, steps (each
{"median_s", "runs_s", "cpu_median_s"}), day_retention, cohorts, dau_mean, n_days, n_weeks,
n_months. Timings exclude starting Python and importing pandas, as Sextant's exclude starting
the process.

Steps:
  read        the plain way: MovieLens with sep="::" (pandas' python engine, the only one that
              takes a two-character separator); Online Retail with the C engine.
  read_fast   a faster way that gives the same frame: MovieLens with sep=":" on the C engine,
              keeping columns 0, 2, 4, 6 (the "::" leaves empty columns between them); Online
              Retail reading only the four columns it needs (usecols).
  Both then do the cleaning Sextant's reader does: drop rows without a customer, parse times,
  value = Quantity * UnitPrice (MovieLens: value = rating).
  load_pickle        pd.read_pickle of the cleaned frame (user, item, time, value), the peer of
                     loading Sextant's columnar table (pyarrow is absent, so no parquet/feather).
  load_pickle_cat    the same with user and item as categoricals (interned, as Sextant's are).
  retention          weekly cohorts and day-1/7/30 retention, by Sextant's definitions.
  active_users       distinct users per day, ISO week and month, and the mean DAU.
"""
import argparse
import json
import os
import pickle
import statistics
import tempfile
import time

import numpy as np
import pandas as pd

RETAIL_DTYPES = {"CustomerID": str, "InvoiceNo": str, "StockCode": str}
RETAIL_USED = ["StockCode", "Quantity", "InvoiceDate", "UnitPrice", "CustomerID"]
DAYS = (1, 7, 30)


def clean_movielens(df):
    return pd.DataFrame({"user": df["user"], "item": df["item"],
                         "time": pd.to_datetime(df["ts"], unit="s"),
                         "value": df["rating"].astype(np.float64)})


def clean_retail(df):
    df = df.dropna(subset=["CustomerID"])
    return pd.DataFrame({"user": df["CustomerID"], "item": df["StockCode"],
                         "time": pd.to_datetime(df["InvoiceDate"], format="%Y-%m-%d %H:%M:%S"),
                         "value": df["Quantity"] * df["UnitPrice"]})


def read(path, kind):
    if kind == "movielens":
        df = pd.read_csv(path, sep="::", engine="python", header=None,
                         names=["user", "item", "rating", "ts"])
        return clean_movielens(df)
    return clean_retail(pd.read_csv(path, dtype=RETAIL_DTYPES))


def read_fast(path, kind):
    if kind == "movielens":
        df = pd.read_csv(path, sep=":", header=None, usecols=[0, 2, 4, 6],
                         names=["user", "e1", "item", "e2", "rating", "e3", "ts"])
        return clean_movielens(df)
    return clean_retail(pd.read_csv(path, dtype=RETAIL_DTYPES, usecols=RETAIL_USED))


def user_days(df):
    """Distinct (user, day) pairs, days as int64 days since 1970-01-01 (times are UTC)."""
    day = df["time"].values.astype("datetime64[D]").astype(np.int64)
    return pd.DataFrame({"user": df["user"].values, "day": day}).drop_duplicates()


def retention(df):
    frame = user_days(df)
    first = frame.groupby("user")["day"].min()
    last_day = int(frame["day"].max())

    # Day N: retained when active on first_day + N; eligible when that day is in the data.
    first_of_row = frame["user"].map(first)
    out = {}
    for n in DAYS:
        eligible = int((first + n <= last_day).sum())
        retained = int(frame.loc[frame["day"] - first_of_row == n, "user"].nunique())
        out[str(n)] = {"rate": retained / eligible if eligible else None,
                       "eligible": eligible, "retained": retained}

    # Weekly cohorts, weeks starting Monday (1970-01-01 was a Thursday).
    week = frame["day"] - (frame["day"] + 3) % 7
    cohort = week.groupby(frame["user"]).transform("min")
    pairs = pd.DataFrame({"user": frame["user"], "cohort": cohort, "week": week})
    table = pairs.drop_duplicates(["user", "week"]).groupby(["cohort", "week"]).size()
    cohorts = []
    for c, counts in table.groupby(level=0):
        weeks = counts.index.get_level_values(1)
        active = dict(zip(((weeks - c) // 7).tolist(), counts.tolist()))
        cohorts.append([int(c), int(active[0]), active])
    return out, cohorts


def active_users(df):
    frame = user_days(df)
    daily = frame.groupby("day")["user"].nunique()
    weekly = frame.assign(week=frame["day"] - (frame["day"] + 3) % 7).groupby("week")["user"]
    weekly = weekly.nunique()
    month = frame["day"].values.astype("datetime64[D]").astype("datetime64[M]")
    monthly = frame.groupby(month)["user"].nunique()
    n_days = int(daily.index.max() - daily.index.min() + 1)
    return {"dau_mean": float(daily.sum()) / n_days, "n_days": n_days,
            "n_weeks": len(weekly), "n_months": len(monthly)}


def timed(reps, step):
    """Runs step reps times: wall seconds, and CPU seconds, which a busy machine disturbs less."""
    runs, cpu_runs, result = [], [], None
    for _ in range(reps):
        cpu_start, start = time.process_time(), time.perf_counter()
        result = step()
        runs.append(time.perf_counter() - start)
        cpu_runs.append(time.process_time() - cpu_start)
    return {"median_s": statistics.median(runs), "runs_s": runs,
            "cpu_median_s": statistics.median(cpu_runs)}, result


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("file")
    parser.add_argument("kind", choices=["movielens", "retail"])
    parser.add_argument("--reps", type=int, default=5)
    parser.add_argument("--slow-reps", type=int, default=3)
    parser.add_argument("--tmp", default=None)
    args = parser.parse_args()

    steps = {}
    # The python engine takes seconds per read, so the plain MovieLens read gets the slow count.
    plain_reps = args.slow_reps if args.kind == "movielens" else args.reps
    steps["read"], df = timed(plain_reps, lambda: read(args.file, args.kind))
    steps["read_fast"], fast = timed(args.reps, lambda: read_fast(args.file, args.kind))
    same = fast.reset_index(drop=True).equals(df.reset_index(drop=True))

    with tempfile.TemporaryDirectory(dir=args.tmp) as tmp:
        plain_path = os.path.join(tmp, "events.pkl")
        cat_path = os.path.join(tmp, "events_cat.pkl")
        df.to_pickle(plain_path, protocol=pickle.HIGHEST_PROTOCOL)
        df.astype({"user": "category", "item": "category"}).to_pickle(
            cat_path, protocol=pickle.HIGHEST_PROTOCOL)
        steps["load_pickle"], loaded = timed(args.reps, lambda: pd.read_pickle(plain_path))
        steps["load_pickle_cat"], _ = timed(args.reps, lambda: pd.read_pickle(cat_path))

    steps["retention"], (day, cohorts) = timed(args.reps, lambda: retention(loaded))
    steps["active_users"], active = timed(args.reps, lambda: active_users(loaded))
    print(json.dumps({"file": args.file, "events": int(len(df)),
                      "users": int(df["user"].nunique()), "read_fast_same_frame": bool(same),
                      "steps": steps, "day_retention": day, "cohorts": cohorts, **active}))


if __name__ == "__main__":
    main()
