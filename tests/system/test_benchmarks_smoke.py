"""The benchmark suite runs end to end (tiny counts), so its code cannot rot unnoticed."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from benchmarks.report import TARGETS
from benchmarks.run import MEASUREMENTS, main


def test_the_benchmark_suite_runs_every_measurement_and_writes_its_report(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    status = main(["--quick", "--docs", str(tmp_path)])

    table = capsys.readouterr().out
    assert status == 0
    for number, name in MEASUREMENTS.items():
        assert f"{number}. {name}" in table
    page = (tmp_path / "benchmarks.md").read_text()
    for number, name in MEASUREMENTS.items():
        assert f"| **{number}. {name}** |" in page
    # Each baseline comparison produced a figure, and the deterministic one holds.
    core, dropin = (
        f"{TARGETS[name]:.2f}".replace(".", r"\.") for name in ("core call", "drop-in call")
    )
    assert re.search(
        rf"\| core client vs raw SDK \(\d+ calls\) \| \d+\.\d{{3}}x \| <= {core}x \|", page
    )
    assert re.search(
        rf"\| drop-in AnthropicVertex vs raw SDK \| \d+\.\d{{3}}x \| <= {dropin}x \|", page
    )
    assert re.search(r"ChatClaudeVertex import over anthropic \+ BaseChatModel \| [+-]\d+ ms", page)
    assert re.search(r"ClaudeVertex \| 1 token request\(s\) \| 1 \| met \|", page)
    assert re.search(r"\| peak resident memory, 2,000 lines \| \d+ MiB \| .* \| met \|", page)
    assert (tmp_path / "benchmarks.png").read_bytes().startswith(b"\x89PNG")
