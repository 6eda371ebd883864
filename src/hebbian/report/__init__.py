"""Figures and HTML reports for run folders and the tour."""

from hebbian.report.html import (
    format_number,
    tour_results_markdown,
    write_run_report,
    write_tour_report,
)

__all__ = ["format_number", "tour_results_markdown", "write_run_report", "write_tour_report"]
