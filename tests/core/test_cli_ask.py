"""``claude-vertex ask``: the answer alone on stdout, stdin when piped, exit statuses.

Most tests run ``main(["ask", ...])`` in the test process with its standard input replaced;
what a pipeline sees (a piped prompt, an exit status, a reader that stops early, Ctrl-C) runs
the command as a real process. Both reach the emulator over loopback HTTP with the
environment ``VertexEmulator.environ`` gives.
"""

from __future__ import annotations

import functools
import json
import re
import shlex
import signal
import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest

from claude_vertex.cli_ask import ask_prompt
from claude_vertex.cli_turns import DEFAULT_THINKING_BUDGET, thinking_param
from claude_vertex.errors import ConfigurationError
from claude_vertex.models import resolve_model
from claude_vertex.testing import Fault, VertexEmulator
from tests.core.cli_process import (
    COMMAND,
    WAIT,
    Done,
    SlowAnswer,
    cli_environ,
    run_cli,
    spawn_cli,
)
from tests.helpers import sonnet_4_5_dollars


@pytest.fixture
def ask(cli_main: Callable[..., Done]) -> Callable[..., Done]:
    """Runs ``claude-vertex ask ARGV`` in this process with ``stdin`` piped in."""
    return functools.partial(cli_main, "ask")


def sent(emulator: VertexEmulator) -> list[dict[str, object]]:
    return [r.body for r in emulator.requests if r.route == "stream"]


# -- the prompt and the answer ----------------------------------------------------------------
def test_the_answer_alone_goes_to_stdout(
    ask: Callable[..., Done], vertex_emulator: VertexEmulator
) -> None:
    done = ask("Hey Claude!")
    assert (done.status, done.stdout, done.stderr) == (0, "Hello! You said: Hey Claude!\n", "")
    assert sent(vertex_emulator)[0]["messages"] == [{"role": "user", "content": "Hey Claude!"}]


def test_a_piped_prompt_in_a_real_pipeline(
    cli_env: dict[str, str], vertex_emulator: VertexEmulator
) -> None:
    pipeline = f"printf 'What is in this file?\\n' | {shlex.join(COMMAND)} ask | tr a-z A-Z"
    done = subprocess.run(
        ["/bin/sh", "-c", pipeline],
        capture_output=True,
        text=True,
        env=cli_env,
        timeout=WAIT,
        check=False,
    )
    assert (done.returncode, done.stderr) == (0, "")
    assert done.stdout == "HELLO! YOU SAID: WHAT IS IN THIS FILE?\n"
    assert sent(vertex_emulator)[0]["messages"] == [
        {"role": "user", "content": "What is in this file?"}
    ]


def test_the_argument_comes_first_then_the_piped_text(
    ask: Callable[..., Done], vertex_emulator: VertexEmulator
) -> None:
    done = ask("Summarise this:", stdin="line one\nline two\n")
    assert done.status == 0
    content = sent(vertex_emulator)[0]["messages"][0]["content"]  # type: ignore[index]
    assert content == "Summarise this:\n\nline one\nline two"


@pytest.mark.parametrize(
    ("argument", "piped", "prompt"),
    [
        ("Hi", None, "Hi"),
        (None, "Hi\n", "Hi"),
        ("Review:", "\n\ndiff\n\n", "Review:\n\ndiff"),
        ("Hi", "   \n", "Hi"),
    ],
)
def test_ask_prompt(argument: str | None, piped: str | None, prompt: str) -> None:
    assert ask_prompt(argument, piped) == prompt


def test_usage_goes_to_stderr_only_when_asked(ask: Callable[..., Done]) -> None:
    plain = ask("Hi")
    assert plain.stderr == ""
    done = ask("Hi", "--usage")
    assert done.stdout == plain.stdout == "Hello! You said: Hi\n"
    match = re.fullmatch(
        r"(?P<input>\d+) in, (?P<output>\d+) out tokens · \$(?P<cost>[\d.]+) on global\n",
        done.stderr,
    )
    assert match, done.stderr
    dollars = sonnet_4_5_dollars(
        input_tokens=int(match["input"]), output_tokens=int(match["output"])
    )
    assert float(match["cost"]) == pytest.approx(dollars, abs=5e-7)


def test_a_regional_answer_costs_the_regional_premium(ask: Callable[..., Done]) -> None:
    done = ask("Hi", "--usage", "--region", "us-east5")
    match = re.fullmatch(r"(\d+) in, (\d+) out tokens · \$([\d.]+) on us-east5\n", done.stderr)
    assert match, done.stderr
    dollars = sonnet_4_5_dollars(
        input_tokens=int(match[1]), output_tokens=int(match[2]), regional=True
    )
    assert float(match[3]) == pytest.approx(dollars, abs=5e-7)


def test_thinking_stays_off_stdout(
    ask: Callable[..., Done], vertex_emulator: VertexEmulator
) -> None:
    done = ask("Why?", "--thinking", "--system", "Be brief.", "--max-tokens", "5000")
    assert done.stdout == "Hello! You said: Why?\n"
    body = sent(vertex_emulator)[0]
    assert body["thinking"] == {"type": "enabled", "budget_tokens": DEFAULT_THINKING_BUDGET}
    assert (body["system"], body["max_tokens"]) == ("Be brief.", 5000)


def test_an_answer_cut_at_max_tokens_says_so_on_stderr(ask: Callable[..., Done]) -> None:
    done = ask("[[words:200]]", "--max-tokens", "20")
    assert done.status == 0
    assert done.stdout.endswith("\n")
    assert "cut at the output limit; raise it with --max-tokens" in done.stderr


@pytest.mark.parametrize(
    ("value", "model", "param"),
    [
        (None, "claude-sonnet-4-5", None),
        ("auto", "claude-sonnet-4-5", {"type": "enabled", "budget_tokens": 4096}),
        ("auto", "claude-opus-4-7", {"type": "adaptive"}),
        ("auto", "claude-sonnet-9-9", {"type": "adaptive"}),  # not in the table
        ("adaptive", "claude-sonnet-4-5", {"type": "adaptive"}),
        ("8_000", "claude-sonnet-4-5", {"type": "enabled", "budget_tokens": 8000}),
        ("16,000", "claude-opus-4-7", {"type": "enabled", "budget_tokens": 16000}),
    ],
)
def test_thinking_param(value: str | None, model: str, param: dict[str, object] | None) -> None:
    assert thinking_param(value, resolve_model(model)) == param


def test_thinking_param_refuses_other_values() -> None:
    with pytest.raises(ConfigurationError, match="--thinking takes a budget in tokens"):
        thinking_param("-5", resolve_model("claude-sonnet-4-5"))


# -- failures and exit statuses ---------------------------------------------------------------
def test_an_unknown_model_exits_1_with_vertex_s_error(
    cli_env: dict[str, str], vertex_emulator: VertexEmulator
) -> None:
    done = run_cli(cli_env, "ask", "--model", "claude-nonexistent-9", "Hi")
    assert done.returncode == 1
    assert done.stdout == ""
    assert done.stderr.startswith("claude-vertex ask: error: Vertex AI error 404")
    assert "claude-nonexistent-9" in done.stderr
    assert "Traceback" not in done.stderr


def test_a_misspelt_model_exits_2_before_any_request(
    ask: Callable[..., Done], vertex_emulator: VertexEmulator
) -> None:
    done = ask("--model", "claude-sonet-4-5", "Hi")
    assert done.status == 2
    assert "did you mean 'claude-sonnet-4-5'?" in done.stderr
    assert vertex_emulator.requests == []


def test_no_project_exits_2_naming_where_to_set_one(
    vertex_emulator: VertexEmulator, tmp_path: Path
) -> None:
    info = vertex_emulator.service_account_info()
    del info["project_id"]
    key_file = tmp_path / "key-without-project.json"
    key_file.write_text(json.dumps(info))
    env = cli_environ(vertex_emulator, key_file, without=("ANTHROPIC_VERTEX_PROJECT_ID",))
    done = run_cli(env, "ask", "Hi")
    assert done.returncode == 2
    assert done.stdout == ""
    assert "No Google Cloud project found" in done.stderr
    assert "ANTHROPIC_VERTEX_PROJECT_ID" in done.stderr
    assert vertex_emulator.requests == []
    assert vertex_emulator.token_requests == []


def test_nothing_to_ask_exits_2(ask: Callable[..., Done]) -> None:
    done = ask(stdin="  \n")
    assert done.status == 2
    assert "Nothing to ask" in done.stderr


def test_a_failed_call_exits_1_and_writes_nothing_to_stdout(
    ask: Callable[..., Done], vertex_emulator: VertexEmulator
) -> None:
    vertex_emulator.inject(Fault.quota_exhausted(), times=None)
    done = ask("Hi")
    assert done.status == 1
    assert done.stdout == ""
    assert "claude-vertex ask: error: " in done.stderr
    assert "429" in done.stderr


def test_a_broken_stream_exits_1_after_the_text_so_far(
    ask: Callable[..., Done], vertex_emulator: VertexEmulator
) -> None:
    vertex_emulator.inject(Fault.drop_mid_stream(after_events=8))
    done = ask("[[words:500]]")
    assert done.status == 1
    assert done.stdout.startswith("alpha")  # the text that arrived, its line ended
    assert done.stdout.endswith("\n")
    assert "error:" in done.stderr


def test_a_reader_that_stops_early_ends_it_quietly(cli_env: dict[str, str]) -> None:
    child = spawn_cli(cli_env, "ask", "[[words:100000]]")
    assert child.stdout is not None
    assert child.stdout.read(10)
    child.stdout.close()  # as `| head -c 10` does
    _, stderr = child.communicate(timeout=WAIT)
    assert child.returncode == 1
    assert stderr == ""


def test_ctrl_c_exits_130(cli_env: dict[str, str], slow_answer: SlowAnswer) -> None:
    slow_answer.next()
    child = spawn_cli(cli_env, "ask", "Take your time")
    try:
        slow_answer.arrived()
        child.send_signal(signal.SIGINT)
        stdout, stderr = child.communicate(timeout=WAIT)
    finally:
        child.kill()
    assert child.returncode == 130
    assert stdout == ""
    assert "Traceback" not in stderr


def test_a_deprecated_model_is_a_one_line_note(ask: Callable[..., Done]) -> None:
    done = ask("Hi", "--model", "claude-opus-4-5")
    assert done.status == 0
    assert done.stderr == (
        "note: claude-opus-4-5@20251101 is deprecated on Vertex AI (retirement: early 2027); "
        "move to 'claude-opus-4-7'.\n"
    )
