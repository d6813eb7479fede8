"""``python -m scorecard.validate.cin_rules --write``: regenerate the files made from the rule
declarations (``expectations/cin_census.json`` and the rules table in ``docs/cin-census-rules.md``)."""
from __future__ import annotations

import sys
from pathlib import Path

from .outputs import docs_table, suite_json

ROOT = Path(__file__).resolve().parents[3]
SUITE = ROOT / "expectations" / "cin_census.json"
DOCS = ROOT / "docs" / "cin-census-rules.md"
BEGIN, END = "<!-- rules table: generated, do not edit -->", "<!-- end of rules table -->"


def docs_text(current: str) -> str:
    """``current`` with the generated table between its markers replaced."""
    head, _, rest = current.partition(BEGIN)
    _, _, tail = rest.partition(END)
    return f"{head}{BEGIN}\n{docs_table()}{END}{tail}"


def main(argv: list[str]) -> int:
    if argv != ["--write"]:
        print(__doc__)
        return 2
    SUITE.write_text(suite_json(), encoding="utf-8")
    DOCS.write_text(docs_text(DOCS.read_text(encoding="utf-8")), encoding="utf-8")
    print(f"wrote {SUITE} and {DOCS}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
