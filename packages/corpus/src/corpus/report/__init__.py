"""``corpus report``: what a corpus build holds and what it dropped, as markdown and PNGs.

Usage: ``rep = collect_report(["out/ccnews"]); print(render_markdown(rep, write_pngs(rep, "png")))``
"""

from corpus.report.collect import CorpusReport, FolderReport, collect_folder, collect_report
from corpus.report.plots import write_pngs
from corpus.report.render import headline, render_markdown

__all__ = [
    "CorpusReport",
    "FolderReport",
    "collect_folder",
    "collect_report",
    "headline",
    "render_markdown",
    "write_pngs",
]
