"""The sample district's living-circle analysis (``load_sample --analyse``)."""

from __future__ import annotations

from linli.places.models import District
from linli.planning.models import AnalysisRun
from linli.planning.services import ensure_analysis


def analyse(district: District) -> AnalysisRun:
    """The district's finished analysis, run now (without a task worker) if it has none, so
    the demo's planning pages have results the moment ``make demo`` starts."""
    return ensure_analysis(district=district)
