"""The demo: synthetic Barnsley-like extracts, then a full build on them."""
from __future__ import annotations

import shutil
from pathlib import Path
from typing import Callable

from .build import BuildResult, build
from .config import settings as make_settings

__all__ = ["run_demo", "DEMO_ARTEFACTS", "DEMO_TARGETS"]

#: migration artefacts the demo shows, so the validation panel has something to say
DEMO_ARTEFACTS = ("cutover_gap", "duplicate_migration", "rhi_completed_not_accepted")

#: the demo's window: five financial years (2018-19 to 2022-23, plus the look-back year), so
#: the trends against the benchmarks have five years to show
DEMO_START_YEAR, DEMO_YEARS = 2018, 5

#: illustrative local targets (``targets.toml`` in the demo's raw folder), so the page shows
#: the partnership's own RAG beside the DfE-based one
DEMO_TARGETS = """\
# Illustrative partnership targets for the demo (scorecard.report.targets describes the format).
[contacts_concluded_24h_pct]
target = 75
tolerance = 5
note = "JTAI action plan, recommendation 2: contacts concluded within 24 hours"

[rereferrals_12m_pct]
target = 20
tolerance = 2

[assessments_within_45wd_pct]
target = 85
tolerance = 5

[rhi_completed_72h_pct]
target = 80
tolerance = 5
note = "Return home interviews within the statutory 72 hours"
"""


def run_demo(*, raw_dir: Path = Path("data/raw/demo"), out_dir: Path = Path("reports/demo"),
             db: Path = Path("data/processed/demo.duckdb"), seed: int = 1, scale: float = 1.0,
             artefacts: tuple[str, ...] = DEMO_ARTEFACTS,
             progress: Callable[[str], None] | None = None) -> BuildResult:
    """Generate five financial years of synthetic extracts into ``raw_dir`` (replacing any earlier
    demo data there, with illustrative local targets in ``targets.toml``), rebuild ``db`` from
    scratch and write the reports to ``out_dir``.
    The answer key of the injected artefacts is saved beside the database, not in ``raw_dir``."""
    from .synth import generate

    say = progress or (lambda m: None)
    raw_dir, out_dir, db = Path(raw_dir), Path(out_dir), Path(db)
    say(f"demo: generating synthetic extracts in {raw_dir}")
    if raw_dir.exists():
        shutil.rmtree(raw_dir)
    result = generate(raw_dir, seed=seed, scale=scale, artefacts=artefacts,
                      start_year=DEMO_START_YEAR, years=DEMO_YEARS)
    (raw_dir / "targets.toml").write_text(DEMO_TARGETS, encoding="utf-8")
    result.answer_key.save(db.parent / "demo_answer_key.json")
    for p in (db, Path(str(db) + ".wal")):
        p.unlink(missing_ok=True)
    if out_dir.exists():
        shutil.rmtree(out_dir)
    return build(make_settings(raw_dir=raw_dir, out_dir=out_dir, db=db), progress=progress)
