"""Speed and memory benchmarks for scorecard (numbers go in the README, not in tests).

Each phase runs in its own Python process so its wall time includes start-up where the
target says so, and its peak memory (max RSS) is its own.

    python scripts/benchmark.py                 # 1x and 100x a Barnsley-sized year
    python scripts/benchmark.py --scales 1 10   # other sizes
    python scripts/benchmark.py --phases synth load

Phases and targets (issues 2–6):
  synth     generate 100 LA-years                         < 60 s
  load      canonical CSVs, 100x (~3 million rows)        < 60 s, peak < 4 GB
  validate  1x < 15 s incl. start-up; 100x < 180 s, peak < 4 GB
  metrics   all metrics after loading: 1x < 2 s; 100x < 30 s
  history   keep a build's figures and evidence, then keep and compare a second (issue 9)
  build     whole monthly build, 1x, incl. start-up       < 30 s

DfE CIN census rules (issue 13; ``--census-scales``, default 1.15 = about 5,000 children,
which is Barnsley-sized, 2.3 = about 10,000 and 34.5 = 30x Barnsley):
  census_synth     write the census XML of one synthetic year
  census_load      load it (CIN census XML reader + loader)
  census_rules     every DfE rule of its year, after loading          5k < 2 s; 30x < 20 s, < 2 GB
  census_validate  load + every rule, in process (scorecard validate --dfe-only), 10k: aim < 3 s
"""
from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

KEY = b"benchmark-key-not-a-secret-000000"


def _peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def phase(name: str, data: Path, db: Path, scale: float) -> dict:
    """Run one phase in this process and return its measurements."""
    t0 = time.perf_counter()
    out: dict = {"phase": name, "scale": scale}
    if name == "synth":
        from scorecard.synth import generate

        res = generate(data, scale=scale, years=1, start_year=2022, seed=7)
        out["rows"] = sum(t.height for t in res.tables.values())
    elif name == "load":
        from scorecard import db as dbmod
        from scorecard.load import load

        con = dbmod.connect(db)
        t1 = time.perf_counter()
        report = load(con, data, key=KEY)
        out["load_only_s"] = round(time.perf_counter() - t1, 2)
        out["rows"] = report.rows_loaded + report.rows_rejected
        out["rows_per_s"] = round(out["rows"] / out["load_only_s"]) if out["load_only_s"] else None
        con.close()
    elif name == "metrics":
        from scorecard import db as dbmod
        from scorecard.metrics import build_marts, compute

        con = dbmod.connect(db)
        t1 = time.perf_counter()
        build_marts(con)
        frame = compute(con, "2022-23")
        out["after_load_s"] = round(time.perf_counter() - t1, 2)
        out["values"] = frame.height
        con.close()
    elif name == "validate":
        from scorecard import db as dbmod
        from scorecard.metrics import build_marts
        from scorecard.validate import validate

        con = dbmod.connect(db)
        build_marts(con)
        with tempfile.TemporaryDirectory() as tmp:
            res = validate(con, Path(tmp))
            res.write(Path(tmp))
        out["errors"], out["warnings"] = res.errors, res.warnings
        con.close()
    elif name == "history":
        # keep a build's figures and evidence, then keep a second build with 2% of the referrals
        # removed and compare (docs/revisions.md): the history step of a build
        import datetime as dt

        import polars as pl

        from scorecard import db as dbmod, history
        from scorecard.metrics import build_marts, compute
        from scorecard.periods import parse_period

        con = dbmod.connect(db)
        build_marts(con)
        none = pl.DataFrame(schema={c: pl.Utf8 for c in ("check_id", "table", "severity", "record_id",
                                                          "period", "message")})

        def keep(i):
            facts = history.BuildFacts(i, 370, parse_period("2022-23"), dt.datetime(2023, 4, i),
                                       compute(con, "2022-23"), none, {})
            t1 = time.perf_counter()
            kept = history.keep(con, facts)
            return kept, round(time.perf_counter() - t1, 2)

        _, out["first_keep_s"] = keep(1)
        con.execute("delete from staging.referrals where hash(referral_id) % 50 = 0")
        build_marts(con)
        kept, out["second_keep_and_compare_s"] = keep(2)
        out["revisions"] = kept.revisions.height
        out["evidence_rows"] = con.execute("select count(*) from history.records where build_id = 2").fetchone()[0]
        con.close()
    elif name == "build":
        from scorecard.build import build
        from scorecard.config import settings

        with tempfile.TemporaryDirectory() as tmp:
            res = build(settings(raw_dir=data, out_dir=Path(tmp) / "out", db=Path(tmp) / "b.duckdb"),
                        period="2022-23")
        out["exit_code"] = res.exit_code
        out["steps"] = res.timings
    elif name == "census_synth":
        from scorecard.synth import generate

        generate(data, scale=scale, years=1, start_year=2022, seed=7, formats=("cin_census",))
        xml = data / "cin_census.xml"
        out["children"] = xml.read_text(encoding="utf-8").count("<Child>")
        out["mb"] = round(xml.stat().st_size / 1e6, 1)
    elif name == "census_load":
        from scorecard import db as dbmod
        from scorecard.load import load

        con = dbmod.connect(db)
        t1 = time.perf_counter()
        report = load(con, data, key=KEY)
        out["load_only_s"] = round(time.perf_counter() - t1, 2)
        out["rows"] = report.rows_loaded
        con.close()
    elif name == "census_rules":
        from scorecard import db as dbmod
        from scorecard.validate.cin_rules import check

        con = dbmod.connect(db)
        t1 = time.perf_counter()
        census = check(con)
        out["after_load_s"] = round(time.perf_counter() - t1, 2)
        out["rule_queries_s"] = round(census.run.seconds, 2)
        out["rules"] = len(census.run.ran)
        out["children"] = con.execute("select count(*) from cin_child").fetchone()[0]
        out["findings"] = census.errors.height
        con.close()
    elif name == "census_validate":
        from scorecard.validate.files import validate_path

        t1 = time.perf_counter()
        checked = validate_path(data / "cin_census.xml", key=KEY, dfe_only=True)
        out["load_and_rules_s"] = round(time.perf_counter() - t1, 2)
        out["errors"], out["warnings"] = checked.result.errors, checked.result.warnings
    else:
        raise SystemExit(f"unknown phase {name}")
    out["seconds_in_process"] = round(time.perf_counter() - t0, 2)
    out["peak_mb"] = round(_peak_mb())
    return out


def run_phase(name: str, data: Path, db: Path, scale: float) -> dict:
    """Run a phase in a fresh interpreter; wall time includes Python and import start-up."""
    t0 = time.perf_counter()
    proc = subprocess.run([sys.executable, __file__, "--phase", name, "--data", str(data), "--db", str(db),
                           "--scale", str(scale)], capture_output=True, text=True)
    if proc.returncode != 0:
        raise SystemExit(f"phase {name} failed:\n{proc.stderr[-3000:]}")
    result = json.loads(proc.stdout.strip().splitlines()[-1])
    result["wall_s_with_startup"] = round(time.perf_counter() - t0, 2)
    return result


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--scales", nargs="+", type=float, default=[1, 100])
    ap.add_argument("--phases", nargs="+", default=["synth", "load", "metrics", "validate", "build",
                                                     "census_rules", "census_validate"])
    ap.add_argument("--census-scales", nargs="+", type=float, default=[1.15, 2.3, 34.5])
    ap.add_argument("--phase", help=argparse.SUPPRESS)
    ap.add_argument("--data", type=Path, help=argparse.SUPPRESS)
    ap.add_argument("--db", type=Path, help=argparse.SUPPRESS)
    ap.add_argument("--scale", type=float, help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.phase:  # child process
        print(json.dumps(phase(args.phase, args.data, args.db, args.scale)))
        return
    results = []
    main_phases = {"synth", "load", "metrics", "validate", "history", "build"}
    with tempfile.TemporaryDirectory(prefix="scorecard-bench-") as tmp:
        for scale in args.census_scales if {p for p in args.phases if p.startswith("census")} else []:
            data, db = Path(tmp) / f"census{scale:g}", Path(tmp) / f"census{scale:g}.duckdb"
            for name in ("census_synth", "census_load", "census_rules", "census_validate"):
                if name == "census_validate" and scale > 3:
                    continue  # the load + rules aim is for about 10,000 children
                r = run_phase(name, data, db, scale)
                if name in args.phases or name in ("census_synth", "census_load"):
                    results.append(r)
                    print(json.dumps(r), flush=True)
        for scale in args.scales if main_phases & set(args.phases) else []:
            data, db = Path(tmp) / f"raw{scale:g}", Path(tmp) / f"db{scale:g}.duckdb"
            # data is always generated (the load phase needs it); timed only if asked
            r = run_phase("synth", data, db, scale)
            if "synth" in args.phases:
                results.append(r)
                print(json.dumps(r), flush=True)
            for name in ("load", "metrics", "validate", "history", "build"):
                if name == "build" and scale > 1:
                    continue  # the build target is for a Barnsley-sized month
                if name in args.phases or (name == "load" and {"metrics", "validate", "history"} & set(args.phases)):
                    r = run_phase(name, data, db, scale)
                    results.append(r)
                    print(json.dumps(r), flush=True)
    print("\n| phase | scale | wall s (with start-up) | in-process s | peak MB | notes |")
    print("|---|---|---|---|---|---|")
    for r in results:
        notes = {k: v for k, v in r.items() if k not in ("phase", "scale", "wall_s_with_startup",
                                                          "seconds_in_process", "peak_mb")}
        print(f"| {r['phase']} | {r['scale']:g}x | {r['wall_s_with_startup']} | {r['seconds_in_process']} | "
              f"{r['peak_mb']} | {', '.join(f'{k}={v}' for k, v in notes.items())} |")


if __name__ == "__main__":
    main()
