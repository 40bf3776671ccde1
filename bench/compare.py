#!/usr/bin/python3
"""Sets bench/ingest_bench's figures beside bench/pandas_peer.py's, checks that both computed
the same retention, prints a table per dataset, then the whole result as one JSON object.

Usage: compare.py DIR NAME... ; DIR holds NAME.sextant.json and (when pandas ran) NAME.pandas.json.
The environment variables BENCH_LOAD_BEFORE and BENCH_LOAD_AFTER (the 1-minute load average)
and BENCH_OUT (a path to write the JSON to) are optional. Exits 1 when the two sides disagree.
"""
import json
import os
import platform
import sys
import time

TOLERANCE = 1e-9

# (label, Sextant step, pandas step, throughput?) per row of the table. The pandas steps are
# not all the same work; the labels say what each side does.
ROWS = {
    "movielens": [
        ("parse (pandas: read_csv sep='::', python engine)", "parse", "read", True),
        ("parse (pandas: read_csv sep=':', C engine; fast variant)", "parse", "read_fast", True),
        ("ingest to store (pandas has none: its fast read)", "store_ingest", "read_fast",
         True),
    ],
    "retail": [
        ("parse (pandas: read_csv, C engine)", "parse", "read", True),
        ("parse (pandas: read_csv usecols, C engine; fast variant)", "parse", "read_fast", True),
        ("ingest to store (pandas has none: its fast read)", "store_ingest", "read_fast",
         True),
    ],
}
COMMON_ROWS = [
    ("load table from SQLite (pandas: read_pickle)", "load_sqlite", "load_pickle", False),
    ("load table from cache (pandas: read_pickle)", "load_cache", "load_pickle", False),
    ("load table from cache (pandas: read_pickle, categoricals)", "load_cache", "load_pickle_cat",
     False),
    ("retention (cohorts, day 1/7/30)", "retention", "retention", False),
    ("active users (pandas: counts and DAU mean only)", "active_users", "active_users", False),
    ("retention + active users", "retention+active_users", "retention+active_users", False),
]


def step(side, name, key="median_s"):
    if side is None:
        return None
    steps = side["steps"]
    if "+" in name:
        parts = [steps.get(part) for part in name.split("+")]
        return None if None in parts else sum(p[key] for p in parts)
    return steps[name][key] if name in steps else None


def seconds_text(s):
    if s is None:
        return "-"
    return f"{s * 1000:.1f} ms" if s < 1 else f"{s:.2f} s"


def throughput_text(s, mb, events):
    if s is None:
        return "-"
    return f"{seconds_text(s)} ({mb / s:.1f} MB/s, {events / s / 1e6:.2f} M ev/s)"


def ratio(pandas_s, sextant_s):
    return pandas_s / sextant_s if pandas_s is not None and sextant_s else None


def ratio_text(r):
    if r is None:
        return "-"
    return f"{r:.2f}x" if r < 1 else f"{r:.1f}x"


def rows_for(kind, sextant, pandas):
    mb = sextant["bytes"] / 1e6
    out = []
    for label, s_step, p_step, throughput in ROWS[kind] + COMMON_ROWS:
        s, p = step(sextant, s_step), step(pandas, p_step)
        s_cpu, p_cpu = step(sextant, s_step, "cpu_median_s"), step(pandas, p_step, "cpu_median_s")
        out.append({"step": label, "sextant_s": s, "pandas_s": p, "ratio": ratio(p, s),
                    "sextant_cpu_s": s_cpu, "pandas_cpu_s": p_cpu,
                    "cpu_ratio": ratio(p_cpu, s_cpu),
                    "sextant_mb_s": mb / s if throughput else None,
                    "sextant_events_s": sextant["events"] / s if throughput else None,
                    "pandas_mb_s": mb / p if throughput and p else None,
                    "pandas_events_s": pandas["events"] / p if throughput and p else None})
    return out


def print_table(name, sextant, pandas, rows):
    print(f"\n## {name}: {sextant['file']}")
    print(f"{sextant['bytes'] / 1e6:.1f} MB, {sextant['rows']:,} rows, {sextant['events']:,} events"
          f" ({sextant['bad_rows']:,} rows without a user skipped), {sextant['users']:,} users\n")
    print("| step | sextant | pandas | ratio | cpu ratio |")
    print("| --- | ---: | ---: | ---: | ---: |")
    mb = sextant["bytes"] / 1e6
    for row in rows:
        throughput = row["sextant_mb_s"] is not None
        s_text = (throughput_text(row["sextant_s"], mb, sextant["events"]) if throughput
                  else seconds_text(row["sextant_s"]))
        p_text = (throughput_text(row["pandas_s"], mb, pandas["events"])
                  if throughput and pandas else seconds_text(row["pandas_s"]))
        r, c = ratio_text(row["ratio"]), ratio_text(row["cpu_ratio"])
        print(f"| {row['step']} | {s_text} | {p_text} | {r} | {c} |")


def cohort_map(cohorts, from_pandas):
    """{week: (users, {k: active users})} with weeks of no activity left out."""
    out = {}
    for week, users, active in cohorts:
        pairs = active.items() if from_pandas else enumerate(active)
        out[int(week)] = (int(users), {int(k): int(v) for k, v in pairs if v})
    return out


def check(sextant, pandas):
    """Lists the disagreements between the two sides (empty when they agree)."""
    problems = []
    for key in ("events", "users", "n_days"):
        if sextant[key] != pandas[key]:
            problems.append(f"{key}: sextant {sextant[key]}, pandas {pandas[key]}")
    for key in ("stored", "table_events"):
        if sextant[key] != sextant["events"]:
            problems.append(f"sextant {key} {sextant[key]} != parsed events {sextant['events']}")
    if not pandas.get("read_fast_same_frame", False):
        problems.append("pandas' fast read gave a different frame from its plain read")

    print("\n| day-N retention | sextant | pandas | eligible | retained |")
    print("| --- | ---: | ---: | ---: | ---: |")
    for n in sorted(sextant["day_retention"], key=int):
        s, p = sextant["day_retention"][n], pandas["day_retention"][n]
        rate_s, rate_p = s["rate"], p["rate"]
        same = (rate_s is None and rate_p is None) or (
            rate_s is not None and rate_p is not None and abs(rate_s - rate_p) <= TOLERANCE)
        if not same or s["eligible"] != p["eligible"] or s["retained"] != p["retained"]:
            problems.append(f"day-{n} retention: sextant {s}, pandas {p}")
        print(f"| day {n} | {rate_s} | {rate_p} | {s['eligible']:,} / {p['eligible']:,} |"
              f" {s['retained']:,} / {p['retained']:,} |")

    s_cohorts = cohort_map(sextant["cohorts"], from_pandas=False)
    p_cohorts = cohort_map(pandas["cohorts"], from_pandas=True)
    if s_cohorts != p_cohorts:
        weeks = sorted(w for w in set(s_cohorts) | set(p_cohorts)
                       if s_cohorts.get(w) != p_cohorts.get(w))
        problems.append(f"weekly cohorts differ in {len(weeks)} cohorts, first week {weeks[0]}")
    if abs(sextant["dau_mean"] - pandas["dau_mean"]) > TOLERANCE:
        problems.append(f"DAU mean: sextant {sextant['dau_mean']}, pandas {pandas['dau_mean']}")
    print(f"\nweekly cohorts: {len(s_cohorts)} (sextant), {len(p_cohorts)} (pandas); "
          f"DAU mean {sextant['dau_mean']:.6f} / {pandas['dau_mean']:.6f}")
    return problems


def cpu_name():
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.machine()


def read_json(path):
    if not os.path.exists(path):
        return None
    with open(path) as f:
        return json.load(f)


def main():
    folder, names = sys.argv[1], sys.argv[2:]
    result = {"date": time.strftime("%Y-%m-%d %H:%M:%S %Z"), "machine": {
        "cores": os.cpu_count(), "cpu": cpu_name(),
        "load_before": os.environ.get("BENCH_LOAD_BEFORE"),
        "load_after": os.environ.get("BENCH_LOAD_AFTER")}, "datasets": {}}
    disagree = False
    for name in names:
        kind = "movielens" if name.startswith("movielens") else "retail"
        sextant = read_json(os.path.join(folder, name + ".sextant.json"))
        pandas = read_json(os.path.join(folder, name + ".pandas.json"))
        rows = rows_for(kind, sextant, pandas)
        print_table(name, sextant, pandas, rows)
        problems = check(sextant, pandas) if pandas else []
        for problem in problems:
            print(f"DISAGREE: {problem}")
        if not pandas:
            print("cross-check: not made, pandas did not run")
        elif not problems:
            print("cross-check: sextant and pandas agree (counts, cohorts, day-N rates to 1e-9)")
        disagree = disagree or bool(problems)
        for side in (sextant, pandas):
            if side:
                side.pop("cohorts", None)
        result["datasets"][name] = {"rows": rows, "problems": problems, "sextant": sextant,
                                    "pandas": pandas}

    text = json.dumps(result, indent=1)
    print("\n" + text)
    if os.environ.get("BENCH_OUT"):
        with open(os.environ["BENCH_OUT"], "w") as f:
            f.write(text + "\n")
    return 1 if disagree else 0


if __name__ == "__main__":
    sys.exit(main())
