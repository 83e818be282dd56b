"""`psychoed bench`'s Markdown table, and the README's figures table that it writes (never by hand)."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from bot.cli import main
from bot.tools import bench

ROOT = Path(__file__).resolve().parent.parent
README = ROOT / "README.md"

RESULTS = {
    1: {"examples": 2251, "p50_ms": 0.61, "p99_ms": 0.9, "turns_per_s": 1400.0, "first_reply_s": 0.31,
        "cold_first_reply_s": 0.7, "peak_rss_mb": 44.0},
    100: {"examples": 225100, "p50_ms": 2.0, "p99_ms": 12.5, "turns_per_s": 400.0, "first_reply_s": 4.0,
          "cold_first_reply_s": 20.0, "peak_rss_mb": 600.0},
}
META = {"when": "2026-12-01T00:00:00+00:00", "python": "3.11.7", "cpus": 2, "passes": 3, "heldout_questions": 481}


def rows(text: str) -> dict[str, list[str]]:
    """A Markdown table's rows by their first cell."""
    out = {}
    for line in text.splitlines():
        if line.startswith("| ") and not line.startswith("|---"):
            cells = [c.strip() for c in line.strip().strip("|").split("|")]
            out[cells[0]] = cells[1:]
    return out


def test_markdown_marks_each_target_met_or_missed_from_the_figures() -> None:
    table = rows(bench.markdown(RESULTS))
    assert table["figure"] == ["shipped (2,251 examples)", "100x (225,100 examples)", "target"]
    assert table["per-turn latency p99"] == ["0.90 ms", "12.50 ms", "<= 1.5 ms shipped: met; <= 10 ms at 100x: **missed**"]
    assert table["process start to first reply"][-1] == "<= 0.3 s shipped: **missed**"
    assert table["peak resident memory"][-1] == "<= 60 MB shipped: met"


def test_markdown_and_readme_from_an_earlier_runs_figures(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    figures = tmp_path / "latest.json"
    figures.write_text(json.dumps({**META, "scales": {f"{k}x": v for k, v in RESULTS.items()}}))
    assert main(["bench", "--from", str(figures), "--markdown"]) == 0
    assert capsys.readouterr().out.strip() == bench.markdown(RESULTS)
    readme = tmp_path / "README.md"
    readme.write_text("# x\n\n<!-- bench:begin -->\nold hand-made table\n<!-- bench:end -->\n\nafter\n")
    assert main(["bench", "--from", str(figures), "--readme", str(readme)]) == 0
    text = readme.read_text()
    assert "old hand-made table" not in text and bench.markdown(RESULTS) in text and text.endswith("after\n")
    assert "Measured on 2026-12-01 with Python 3.11.7 on 2 cores" in text


def test_readme_without_markers_is_one_clear_error(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    figures = tmp_path / "latest.json"
    figures.write_text(json.dumps({**META, "scales": {"1x": RESULTS[1]}}))
    readme = tmp_path / "README.md"
    readme.write_text("no markers\n")
    assert main(["bench", "--from", str(figures), "--readme", str(readme)]) == 2
    assert "markers" in capsys.readouterr().err
    figures.write_text("{}")
    assert main(["bench", "--from", str(figures)]) == 2
    assert "not a results file" in capsys.readouterr().err


def test_the_readme_figures_table_was_written_by_bench_and_its_marks_agree_with_its_figures() -> None:
    text = README.read_text(encoding="utf-8")
    start, end = text.find(bench.BEGIN), text.find(bench.END)
    assert 0 <= start < end, "the README's figures table sits between the bench markers"
    block = text[start:end]
    assert "written by `psychoed bench --readme`" in block
    table = rows(block)
    sizes = table.pop("figure")[:-1]
    scales = [1 if s.startswith("shipped") else int(s.split("x")[0]) for s in sizes]
    labels = {label: key for key, label, _ in bench.MARKDOWN_ROWS}
    assert set(table) <= set(labels), "only the rows bench writes"
    for label, cells in table.items():
        key = labels[label]
        figures = cells[:-1]   # the last cell is the target
        values = {scale: float(re.sub(r"[^\d.]", "", cell.split()[0]))
                  for scale, cell in zip(scales, figures, strict=True) if cell}
        results = {scale: {key: value} for scale, value in values.items()}
        assert cells[-1] == bench._verdicts(key, results), f"{label}: the mark does not follow from the figures"
