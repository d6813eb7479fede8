"""scorecard: a trustworthy monthly performance scorecard for a children's safeguarding partnership."""
from __future__ import annotations

__version__ = "0.1.0"
