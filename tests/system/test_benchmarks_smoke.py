"""The benchmark suite runs end to end (tiny counts), so its code cannot rot unnoticed."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

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
    assert re.search(
        r"\| core client vs raw SDK \(\d+ calls\) \| \d+\.\d{3}x \| <= 1\.05x \|", page
    )
    assert re.search(r"\| drop-in AnthropicVertex vs raw SDK \| \d+\.\d{3}x \| <= 1\.05x \|", page)
    assert re.search(r"ChatClaudeVertex import over anthropic \+ BaseChatModel \| [+-]\d+ ms", page)
    assert re.search(r"ClaudeVertex \| 1 token request\(s\) \| 1 \| met \|", page)
    assert re.search(r"\| peak resident memory, 2,000 lines \| \d+ MiB \| .* \| met \|", page)
    assert (tmp_path / "benchmarks.png").read_bytes().startswith(b"\x89PNG")
