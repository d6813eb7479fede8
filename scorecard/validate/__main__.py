"""``python -m scorecard.validate --write-lineage``: store the lineage of the marts and checks
(``scorecard/validate/lineage.json``) after changing a mart, a suite or a check; a test says
when it is out of date (a build then derives it again, which takes most of a second)."""
from __future__ import annotations

import sys

from .lineage import STORED, derived_json


def main(argv: list[str]) -> int:
    if argv != ["--write-lineage"]:
        print(__doc__)
        return 2
    STORED.write_text(derived_json(), encoding="utf-8")
    print(f"wrote {STORED}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
