"""Speed and memory benchmarks for scorecard (numbers go in the README, not in tests).

Each phase runs in its own Python process so its wall time includes start-up where the
target says so, and its peak memory (max RSS) is its own (``helpers_mb``: the largest resident size
each helper process a build starts reached (the Data Docs worker, the chart helper), sampled from
/proc every 0.2 s; getrusage's figure for children is not used because a child started by vfork
and exec inherits its parent's high-water mark; the Data Docs worker
a build starts, a process of its own).

    python scripts/benchmark.py                      # 1x and 100x a Barnsley-sized year
    python scripts/benchmark.py --scales 1 --repeat 3
    python scripts/benchmark.py --phases floor validate build

Every row also gives the ratio of its time to the floor: DuckDB's own read of the same CSV
files (``floor``: ``create table ... as select * from read_csv(...)`` for each file, in
process), measured in the same run.

Phases and targets (issues 2-6, 14):
  synth        generate the synthetic year (1x: ~59,000 rows; 100x: ~5.9 million)
  floor        DuckDB reads the CSV files
  load         canonical CSVs into a fresh database          100x < 60 s, < 4 GB
  metrics      marts + all metrics after loading             1x < 2 s; 100x < 30 s
  validate     every check and suite, DuckDB engine, in process (no Data Docs)   100x < 10 s
  validate_gx  the same with Great Expectations evaluating (the reference; 1x only by default)
  docs         render the Data Docs from validate's results (worker process, GX import included)
  history      keep a build's figures and evidence, then keep and compare a second (issue 9)
  build        the whole `scorecard build`, start-up included, fresh database   1x < 6 s; 100x < 30 s, < 2 GB
  rebuild      the same build again on its database (unchanged load: validation from the cache)
  demo         `scorecard demo` end to end (1x only)                             < 15 s
  five_years   whole build of five Barnsley-sized years against one (issue 9)   < 3x

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
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

KEY = b"benchmark-key-not-a-secret-000000"


class _ChildPeaks:
    """Sample the resident size of this process's children while a build runs (Linux /proc)."""

    def __init__(self):
        import threading

        self.peaks: dict[str, float] = {}
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _run(self) -> None:
        me = os.getpid()
        while not self._stop.wait(0.2):
            try:
                kids = Path(f"/proc/{me}/task/{me}/children").read_text().split()
            except OSError:
                return
            for pid in kids:
                try:
                    args = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
                    rss = next(int(line.split()[1]) for line in Path(f"/proc/{pid}/status").read_text().splitlines()
                               if line.startswith("VmRSS:")) / 1024
                except (OSError, StopIteration, ValueError):
                    continue
                name = next((a.decode() for a in args if a.startswith(b"scorecard.")), "other")
                self.peaks[name] = max(self.peaks.get(name, 0), round(rss))

    def stop(self) -> dict[str, float]:
        self._stop.set()
        self._thread.join()
        return self.peaks


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
    elif name == "floor":
        import duckdb

        con = duckdb.connect(":memory:")
        files = sorted(data.glob("*.csv"))
        t1 = time.perf_counter()
        for i, f in enumerate(files):
            con.execute(f"create table t{i} as select * from read_csv($f)", {"f": str(f)})
        out["read_s"] = round(time.perf_counter() - t1, 3)
        out["rows"] = sum(con.execute(f"select count(*) from t{i}").fetchone()[0] for i in range(len(files)))
        out["mb"] = round(sum(f.stat().st_size for f in files) / 1e6, 1)
    elif name in ("validate", "validate_gx", "docs"):
        from scorecard import db as dbmod
        from scorecard.metrics import build_marts
        from scorecard.validate import validate

        con = dbmod.connect(db)
        build_marts(con)
        t1 = time.perf_counter()
        res = validate(con, engine="gx" if name == "validate_gx" else "duckdb")
        out["validate_s"] = round(time.perf_counter() - t1, 3)
        if name == "docs":
            with tempfile.TemporaryDirectory() as tmp:
                t1 = time.perf_counter()
                res.write(Path(tmp))
                out["docs_s"] = round(time.perf_counter() - t1, 3)
                out["pages"] = len(list(Path(tmp).rglob("*.html")))
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
    elif name in ("build", "rebuild", "demo"):
        from scorecard.cli import main as cli

        out_dir = db.parent / f"out-{db.stem}"
        if name == "demo":
            args = ["demo", "--raw", str(db.parent / "demo-raw"), "--out", str(out_dir),
                    "--db", str(db.parent / "demo.duckdb"), "--quiet"]
        else:
            if name == "build":
                for p in (db, Path(str(db) + ".wal")):
                    p.unlink(missing_ok=True)
            args = ["build", "--raw", str(data), "--out", str(out_dir), "--db", str(db), "--period", "2022-23"]
        children = _ChildPeaks()
        try:
            cli.main(args, standalone_mode=False)
        except SystemExit as exc:  # exit 1: built with failing checks
            out["exit_code"] = exc.code
        log = (out_dir / "run.log").read_text(encoding="utf-8")
        out["steps"] = next((line.split(": ", 1)[1] for line in log.splitlines() if line.startswith("timings")), "")
        out["helpers_mb"] = children.stop()
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
    elif name.startswith("years_"):
        out.update(years_phase(name, data, int(scale)))
    else:
        raise SystemExit(f"unknown phase {name}")
    out["seconds_in_process"] = round(time.perf_counter() - t0, 2)
    out["peak_mb"] = round(_peak_mb())
    return out


def years_phase(name: str, data: Path, years: int) -> dict:
    """Issue 9: ``years_synth`` writes ``years`` Barnsley-sized financial years ending 2022-23
    (plus the look-back year); ``years_build`` runs the whole build of 2022-23 on them."""
    if name == "years_synth":
        from scorecard.synth import generate

        res = generate(data, scale=1.0, years=years, start_year=2023 - years, seed=7)
        return {"years": years, "rows": sum(t.height for t in res.tables.values())}
    from scorecard.build import build
    from scorecard.config import settings

    with tempfile.TemporaryDirectory() as tmp:
        res = build(settings(raw_dir=data, out_dir=Path(tmp) / "out", db=Path(tmp) / "b.duckdb"),
                    period="2022-23")
        years_out = sum(1 for line in (Path(tmp) / "out" / "metrics.csv").read_text().splitlines()
                        if line.startswith("referrals,") and line.split(",")[1][5:7].isdigit()
                        and len(line.split(",")[1]) == 7 and int(line.split(",")[1][5:7])
                        == (int(line.split(",")[1][2:4]) + 1) % 100)
    return {"years": years, "exit_code": res.exit_code, "steps": res.timings,
            "years_in_metrics": years_out}


def five_years(tmp: Path) -> list[dict]:
    """Issue 9: the whole build of five financial years against one (target: under 3x)."""
    results = []
    for years in (1, 5):
        data = Path(tmp) / f"years{years}"
        rows = run_phase("years_synth", data, Path(tmp) / "unused.duckdb", years)["rows"]
        results.append({**run_phase("years_build", data, Path(tmp) / "unused.duckdb", years),
                        "rows": rows})
    one, five = results
    five["ratio_to_one_year"] = round(five["wall_s_with_startup"] / one["wall_s_with_startup"], 2)
    return results


def run_phase(name: str, data: Path, db: Path, scale: float) -> dict:
    """Run a phase in a fresh interpreter; wall time includes Python and import start-up."""
    t0 = time.perf_counter()
    env = {**os.environ, "SCORECARD_PSEUDONYM_KEY": KEY.decode()}
    proc = subprocess.run([sys.executable, __file__, "--phase", name, "--data", str(data), "--db", str(db),
                           "--scale", str(scale)], capture_output=True, text=True, env=env)
    if proc.returncode != 0:
        raise SystemExit(f"phase {name} failed:\n{proc.stderr[-3000:]}")
    result = json.loads(proc.stdout.strip().splitlines()[-1])
    result["wall_s_with_startup"] = round(time.perf_counter() - t0, 2)
    return result


#: the time each phase is judged by (the others are in its notes)
_TIME = {"synth": "seconds_in_process", "floor": "read_s", "load": "load_only_s", "metrics": "after_load_s",
         "validate": "validate_s", "validate_gx": "validate_s", "docs": "docs_s",
         "history": "second_keep_and_compare_s", "build": "wall_s_with_startup", "rebuild": "wall_s_with_startup", "demo": "wall_s_with_startup",
         "years_build": "wall_s_with_startup"}
_MAIN = ("synth", "floor", "load", "metrics", "validate", "validate_gx", "docs", "history", "build", "rebuild",
         "demo")


def _best(runs: list[dict]) -> dict:
    """The run with the shortest judged time, with every run's time listed."""
    key = _TIME.get(runs[0]["phase"], "seconds_in_process")
    best = dict(min(runs, key=lambda r: r[key]))
    if len(runs) > 1:
        best["times"] = [r[key] for r in runs]
    return best


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--scales", nargs="+", type=float, default=[1, 100])
    ap.add_argument("--phases", nargs="+", default=["synth", "floor", "load", "metrics", "validate", "validate_gx",
                                                     "docs", "history", "build", "rebuild", "demo"],
                    help="phases to time (default: all but the census ones)")
    ap.add_argument("--repeat", type=int, default=1, help="time each phase this many times; the best is shown")
    ap.add_argument("--gx-max-scale", type=float, default=1, help="largest scale validate_gx runs at")
    ap.add_argument("--census-scales", nargs="+", type=float, default=[1.15, 2.3, 34.5])
    ap.add_argument("--phase", help=argparse.SUPPRESS)
    ap.add_argument("--data", type=Path, help=argparse.SUPPRESS)
    ap.add_argument("--db", type=Path, help=argparse.SUPPRESS)
    ap.add_argument("--scale", type=float, help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.phase:  # child process
        print(json.dumps(phase(args.phase, args.data, args.db, args.scale)))
        return
    unknown = set(args.phases) - set(_MAIN) - {"census_rules", "census_validate", "five_years"}
    if unknown:
        raise SystemExit(f"unknown phase(s): {', '.join(sorted(unknown))}")
    results = []
    print(f"load average at start: {os.getloadavg()[0]:.2f}", flush=True)
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
        for scale in args.scales if set(_MAIN) & set(args.phases) else []:
            data, db = Path(tmp) / f"raw{scale:g}", Path(tmp) / f"db{scale:g}.duckdb"
            floor = None
            for name in _MAIN:
                wanted = name in args.phases
                needed = (name == "synth" or name == "floor"
                          or (name == "load" and {"metrics", "validate", "validate_gx", "docs", "history"}
                              & set(args.phases)))
                if name == "validate_gx" and scale > args.gx_max_scale or name == "demo" and scale != 1:
                    continue
                if not (wanted or needed):
                    continue
                runs = []
                for i in range(args.repeat if wanted else 1):
                    if name == "load":
                        for p in (db, Path(str(db) + ".wal")):
                            p.unlink(missing_ok=True)
                    if name == "rebuild" and not runs and "build" not in args.phases:
                        run_phase("build", data, db, scale)      # the database a rebuild reruns on
                    runs.append(run_phase(name, data, db, scale))
                    if name == "synth":
                        break                                    # the data is generated once
                r = _best(runs)
                if name == "floor":
                    floor = r["read_s"]
                if floor and name != "synth":
                    r["x_floor"] = round(r[_TIME.get(name, "seconds_in_process")] / floor, 1)
                r["load_average"] = round(os.getloadavg()[0], 2)
                if wanted:
                    results.append(r)
                    print(json.dumps(r), flush=True)
        if "five_years" in args.phases:
            for r in five_years(Path(tmp)):
                results.append(r)
                print(json.dumps(r), flush=True)
    print("\n| phase | scale | time s | wall s (with start-up) | peak MB | x floor | notes |")
    print("|---|---|---|---|---|---|---|")
    for r in results:
        key = _TIME.get(r["phase"], "seconds_in_process")
        notes = {k: v for k, v in r.items() if k not in ("phase", "scale", "wall_s_with_startup", key,
                                                          "peak_mb", "x_floor")}
        print(f"| {r['phase']} | {r['scale']:g}x | {r.get(key)} | {r['wall_s_with_startup']} | {r['peak_mb']} | "
              f"{r.get('x_floor', '')} | {', '.join(f'{k}={v}' for k, v in notes.items())} |")


if __name__ == "__main__":
    main()
