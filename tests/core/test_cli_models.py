"""``claude-vertex models``: the table, JSON, one model, unknown models and the missing extra.

The command runs through ``main(argv)`` in the test process, and as a real process where what
matters is the process itself (the console script, and rich absent).
"""

from __future__ import annotations

import importlib.util
import json
import subprocess
import sys
from dataclasses import replace
from pathlib import Path

import pytest

from claude_vertex import all_models, register_model, resolve_model
from claude_vertex.cli import main

#: Hides rich from the command, as an install without the ``cli`` extra would.
WITHOUT_RICH = (
    "import sys; sys.modules['rich'] = None; "
    "from claude_vertex.cli import main; sys.exit(main(sys.argv[1:]))"
)


@pytest.fixture
def rich_installed() -> None:
    """Skip where rich (the ``cli`` extra) is not installed, as in the core-only suite."""
    pytest.importorskip("rich")


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    status = main(["models", *argv])
    out, err = capsys.readouterr()
    return status, out, err


def run_process(*argv: str, code: str | None = None) -> subprocess.CompletedProcess[str]:
    command = [sys.executable, "-c", code] if code else [sys.executable, "-m", "claude_vertex.cli"]
    return subprocess.run(
        [*command, "models", *argv],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
        env={"COLUMNS": "100", "PATH": ""},
    )


def test_json_lists_the_whole_table(capsys: pytest.CaptureFixture[str]) -> None:
    status, out, err = run(capsys, "--json")
    assert (status, err) == (0, "")
    records = json.loads(out)
    assert [r["vertex_id"] for r in records] == [m.vertex_id for m in all_models()]
    sonnet = next(r for r in records if r["alias"] == "claude-sonnet-4-5")
    assert sonnet["first_party_id"] == "claude-sonnet-4-5-20250929"
    assert sonnet["vertex_id"] == "claude-sonnet-4-5@20250929"
    assert (sonnet["context_window"], sonnet["max_output_tokens"]) == (200_000, 64_000)
    assert sonnet["served_in"][:3] == ["global", "us", "eu"]
    assert sonnet["features"]["structured_outputs"] is True
    prices = sonnet["prices"]
    assert prices["unit"] == "USD per million tokens"
    assert prices["global"] == {
        "input": 3.0,
        "output": 15.0,
        "cache_write_5m": 3.75,
        "cache_write_1h": 6.0,
        "cache_read": 0.3,
    }
    assert prices["regional"] == {
        "input": 3.3,
        "output": 16.5,
        "cache_write_5m": 4.125,
        "cache_write_1h": 6.6,
        "cache_read": 0.33,
    }


def test_json_marks_old_models_regional_only_and_without_premium(
    capsys: pytest.CaptureFixture[str],
) -> None:
    status, out, _ = run(capsys, "--json", "--model", "claude-sonnet-4@20250514")
    assert status == 0
    record = json.loads(out)
    assert record["alias"] == "claude-sonnet-4"
    assert record["prices"]["global"] is None
    assert record["prices"]["regional"]["input"] == 3.0
    assert record["lifecycle"] == "deprecated"
    assert record["successor"] == "claude-sonnet-4-6"
    assert "global" not in record["served_in"]


def test_json_describes_opus_4_7s_rules(capsys: pytest.CaptureFixture[str]) -> None:
    _, out, _ = run(capsys, "--json", "--model", "claude-opus-4-7")
    features = json.loads(out)["features"]
    assert features["thinking_budget"] is False
    assert features["adaptive_thinking"] is True
    assert features["efforts"] == ["low", "medium", "high", "xhigh", "max"]
    assert features["sampling"] is False
    assert features["prefill"] is False


@pytest.mark.usefixtures("model_registry")
def test_registered_rows_are_listed(capsys: pytest.CaptureFixture[str]) -> None:
    register_model(
        replace(
            resolve_model("claude-opus-4-7"),
            vertex_id="claude-opus-9-9",
            first_party_id="claude-opus-9-9",
            alias="claude-opus-9-9",
        )
    )
    _, out, _ = run(capsys, "--json")
    assert json.loads(out)[0]["vertex_id"] == "claude-opus-9-9"
    if importlib.util.find_spec("rich") is not None:
        status, table, _ = run(capsys)
        assert status == 0
        assert "claude-opus-9-9" in table


@pytest.mark.parametrize("width", [60, 80, 100, 160])
@pytest.mark.usefixtures("rich_installed")
def test_the_table_fits_the_terminal(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, width: int
) -> None:
    monkeypatch.setenv("COLUMNS", str(width))
    status, out, err = run(capsys)
    assert (status, err) == (0, "")
    assert max(len(line) for line in out.splitlines()) <= width


@pytest.mark.usefixtures("rich_installed")
def test_the_table_shows_every_model_with_its_prices(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("COLUMNS", "160")
    _, out, _ = run(capsys)
    for model in all_models():
        assert model.alias in out
        assert model.vertex_id in out
    for text in (
        "global $3/$15",
        "regional $3.30/$16.50",
        "regional $0.25/$1.25",
        "1M in, 128K out",
        "no sampling",
        "deprecated",
        "retired",
        "use claude-haiku-4-5",
    ):
        assert text in out, text


@pytest.mark.usefixtures("rich_installed")
def test_one_model_shows_every_id_and_the_cache_prices(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("COLUMNS", "100")
    status, out, _ = run(capsys, "--model", "claude-opus-4-5-20251101")
    assert status == 0
    for text in (
        "claude-opus-4-5",
        "claude-opus-4-5@20251101",
        "claude-opus-4-5-20251101",
        "200,000 tokens",
        "64,000 tokens",
        "$5.50 in, $27.50 out",
        "cache: $6.875 5m, $11 1h, $0.55 read",
        "retires early 2027",
        "use claude-opus-4-7",
        "europe-west4",
    ):
        assert text in out, text
    _, opus_4_7, _ = run(capsys, "--model", "claude-opus-4-7")
    for text in ("thinking: adaptive", "thinking display", "xhigh", "no sampling", "no prefill"):
        assert text in opus_4_7, text


@pytest.mark.parametrize("json_flag", [[], ["--json"]])
def test_an_unknown_model_exits_1_naming_it(
    capsys: pytest.CaptureFixture[str], json_flag: list[str]
) -> None:
    status, out, err = run(capsys, *json_flag, "--model", "claude-nonexistent-9")
    assert status == 1
    assert out == ""
    assert "'claude-nonexistent-9' is not in the model table" in err


def test_without_rich_the_table_exits_2_naming_the_extra() -> None:
    done = run_process(code=WITHOUT_RICH)
    assert done.returncode == 2, done.stderr
    assert 'pip install "claude-vertex[cli]"' in done.stderr
    assert done.stdout == ""


def test_without_rich_json_still_works() -> None:
    done = run_process("--json", code=WITHOUT_RICH)
    assert done.returncode == 0, done.stderr
    assert len(json.loads(done.stdout)) == len(all_models())


@pytest.mark.usefixtures("rich_installed")
def test_the_command_runs_as_a_process() -> None:
    done = run_process("--model", "claude-haiku-4-5")
    assert done.returncode == 0, done.stderr
    assert "claude-haiku-4-5@20251001" in done.stdout
    assert max(len(line) for line in done.stdout.splitlines()) <= 100


def test_the_console_script_runs() -> None:
    script = Path(sys.executable).with_name("claude-vertex")
    if not script.exists():
        pytest.skip("the console script is not installed next to this interpreter")
    done = subprocess.run(
        [str(script), "models", "--json", "--model", "claude-opus-4-7"],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["context_window"] == 1_000_000


def test_rich_stays_off_the_import_path() -> None:
    code = "import sys, claude_vertex, claude_vertex.cli; print('rich' in sys.modules)"
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=True
    )
    assert done.stdout.strip() == "False"


def test_bad_arguments_exit_2(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exited:
        main(["models", "--model"])
    assert exited.value.code == 2
    assert "--model" in capsys.readouterr().err
