"""``claude-vertex chat``: turns with history, usage and cost, slash commands, Ctrl-C, errors.

Piped sessions run ``main(["chat", ...])`` in the test process with its standard input
replaced by the lines to send; Ctrl-C (a real SIGINT) and the terminal sessions run the
command as a real process, fed through a pipe or typed on a pseudo-terminal. Either way the
command reaches the emulator over loopback HTTP with the environment ``VertexEmulator.environ``
gives, and what it sent is read back from the emulator's request log.
"""

from __future__ import annotations

import functools
import re
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator

import pytest

from claude_vertex.cli import main
from claude_vertex.testing import Fault, VertexEmulator
from tests.core.cli_process import (
    ESCAPE,
    WAIT,
    Done,
    PtyChild,
    SlowAnswer,
    spawn_cli,
)
from tests.helpers import sonnet_4_5_dollars

#: A usage line: tokens, cost, endpoint and the session's totals.
USAGE = re.compile(
    r"(?P<input>[\d,]+) in, (?P<output>[\d,]+) out tokens · \$(?P<cost>[\d.]+) on "
    r"(?P<region>\S+) · session: (?P<answers>\d+) answers?, (?P<tokens>[\d,]+) tokens, "
    r"\$(?P<total>[\d.]+)"
)
needs_pty = pytest.mark.skipif(
    sys.platform == "win32", reason="pseudo-terminals (the pty module) are POSIX only"
)


@pytest.fixture
def chat(cli_main: Callable[..., Done]) -> Callable[..., Done]:
    """Runs ``claude-vertex chat ARGV`` in this process with ``stdin`` piped in."""
    return functools.partial(cli_main, "chat")


@pytest.fixture
def terminal(cli_env: dict[str, str]) -> Iterator[PtyChild]:
    child = PtyChild(cli_env, "chat")
    yield child
    child.close()


def streamed(emulator: VertexEmulator) -> list[dict[str, object]]:
    """The bodies of the streamed calls the emulator answered, in order."""
    return [r.body for r in emulator.requests if r.route == "stream"]


def as_int(text: str) -> int:
    return int(text.replace(",", ""))


# -- through a pipe -------------------------------------------------------------------------
def test_each_turn_sends_the_history_and_prints_the_answer(
    chat: Callable[..., Done], vertex_emulator: VertexEmulator
) -> None:
    done = chat(stdin="First question\nSecond question\n\nThird question\n")
    assert done.status == 0, done.stderr
    assert done.stdout == (
        "Hello! You said: First question\n"
        "Hello! You said: Second question\n"
        "Hello! You said: Third question\n"
    )
    bodies = streamed(vertex_emulator)
    assert len(bodies) == 3  # the blank line sent nothing
    said = [{"type": "text", "text": f"Hello! You said: {n} question"} for n in ("First", "Second")]
    assert bodies[2]["messages"] == [
        {"role": "user", "content": "First question"},
        {"role": "assistant", "content": [said[0]]},
        {"role": "user", "content": "Second question"},
        {"role": "assistant", "content": [said[1]]},
        {"role": "user", "content": "Third question"},
    ]
    assert {r.model for r in vertex_emulator.requests} == {"claude-sonnet-4-5@20250929"}


def test_each_turn_reports_its_tokens_and_cost_and_the_running_totals(
    chat: Callable[..., Done],
) -> None:
    done = chat(stdin="One\nTwo\n")
    lines = [USAGE.search(line) for line in done.stderr.splitlines()]
    found = [match for match in lines if match]
    assert len(found) == 2, done.stderr
    total_tokens, total_cost = 0, 0.0
    for turn, match in enumerate(found, start=1):
        tokens = as_int(match["input"]), as_int(match["output"])
        cost = sonnet_4_5_dollars(input_tokens=tokens[0], output_tokens=tokens[1])
        assert float(match["cost"]) == pytest.approx(cost, abs=5e-7)
        assert match["region"] == "global"
        total_tokens += sum(tokens)
        total_cost += cost
        assert as_int(match["answers"]) == turn
        assert as_int(match["tokens"]) == total_tokens
        assert float(match["total"]) == pytest.approx(total_cost, abs=5e-7)
    assert found[1]["input"] != found[0]["input"]  # the second carried the first turn


def test_piped_output_has_no_prompt_banner_or_colours(chat: Callable[..., Done]) -> None:
    done = chat(stdin="Hi\n")
    assert done.stdout == "Hello! You said: Hi\n"
    assert "Chatting with" not in done.stderr
    assert "> " not in done.stderr
    assert not ESCAPE.search(done.stdout + done.stderr)


def test_thinking_goes_back_with_its_signature(
    chat: Callable[..., Done], vertex_emulator: VertexEmulator
) -> None:
    done = chat("--thinking", stdin="Ponder this\nAnd this\n")
    assert done.status == 0, done.stderr
    # Piped, the thinking is not shown: the answers alone.
    assert done.stdout == "Hello! You said: Ponder this\nHello! You said: And this\n"
    first, second = streamed(vertex_emulator)
    assert first["thinking"] == {"type": "enabled", "budget_tokens": 4096}
    thinking, text = second["messages"][1]["content"]  # type: ignore[index]
    assert thinking["type"] == "thinking"
    assert thinking["thinking"] == "Let me think about: Ponder this"
    assert thinking["signature"]  # the emulator verified it: the second turn was answered
    assert text == {"type": "text", "text": "Hello! You said: Ponder this"}
    assert [r.status for r in vertex_emulator.requests] == [200, 200]


def test_bare_thinking_is_adaptive_where_the_model_thinks_adaptively(
    chat: Callable[..., Done], vertex_emulator: VertexEmulator
) -> None:
    done = chat("--model", "claude-opus-4-7", "--thinking", "2048", stdin="Hi\n")
    assert done.status == 0, done.stderr
    assert streamed(vertex_emulator)[0]["thinking"] == {"type": "adaptive"}
    # The call policy's adaptation is a one-line note, not a Python warning.
    assert "note: thinking {'type': 'enabled', 'budget_tokens': 2048} was sent as" in done.stderr
    assert "CallPolicyWarning" not in done.stderr


def test_clear_forgets_the_conversation(
    chat: Callable[..., Done], vertex_emulator: VertexEmulator
) -> None:
    done = chat(stdin="Remember me\n/clear\nWho am I?\n")
    assert done.status == 0, done.stderr
    assert "the conversation is cleared" in done.stderr
    assert streamed(vertex_emulator)[1]["messages"] == [{"role": "user", "content": "Who am I?"}]


def test_usage_help_and_unknown_commands(chat: Callable[..., Done]) -> None:
    done = chat(stdin="Hi\n/usage\n/help\n/nonsense\n")
    assert done.status == 0, done.stderr
    assert re.search(
        r"^session: 1 answer, \d+ in, \d+ out tokens, \$0\.0000\d\d$", done.stderr, re.M
    )
    for command in ("/clear", "/usage", "/exit"):
        assert re.search(rf"^{command} +\S", done.stderr, re.M), command
    assert "unknown command /nonsense; /help lists the commands" in done.stderr
    assert done.stdout == "Hello! You said: Hi\n"  # only the answer


def test_a_line_that_is_not_a_lone_command_is_a_message(
    chat: Callable[..., Done], vertex_emulator: VertexEmulator
) -> None:
    chat(stdin="/etc/hosts lists what?\n")
    assert streamed(vertex_emulator)[0]["messages"][0]["content"] == "/etc/hosts lists what?"  # type: ignore[index]


def test_exit_ends_the_session_with_status_0(
    chat: Callable[..., Done], vertex_emulator: VertexEmulator
) -> None:
    done = chat(stdin="Hi\n/exit\nNever sent\n")
    assert done.status == 0, done.stderr
    assert len(streamed(vertex_emulator)) == 1


def test_an_error_is_shown_and_the_session_goes_on(
    chat: Callable[..., Done], vertex_emulator: VertexEmulator
) -> None:
    vertex_emulator.inject(Fault.permission_denied())  # 403: not retried
    done = chat(stdin="Refused\nAnswered\n")
    assert "claude-vertex chat: error: " in done.stderr
    assert "403" in done.stderr
    assert "Model Garden" in done.stderr
    assert done.stdout == "Hello! You said: Answered\n"
    # The failed turn is not in the history; piped, the session's status says a turn failed.
    assert streamed(vertex_emulator)[1]["messages"] == [{"role": "user", "content": "Answered"}]
    assert done.status == 1


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--model", "claude-sonet-4-5"], "did you mean 'claude-sonnet-4-5'?"),
        (["--region", "mars-north1"], "mars-north1"),
        (["--thinking", "lots"], "--thinking takes a budget in tokens"),
        (["--thinking", "8000", "--max-tokens", "4000"], "must be greater than"),
        (["--max-tokens", "0"], "--max-tokens must be at least 1"),
    ],
)
def test_a_configuration_error_exits_2_before_the_first_turn(
    chat: Callable[..., Done], vertex_emulator: VertexEmulator, argv: list[str], message: str
) -> None:
    done = chat(*argv, stdin="Hi\n")
    assert done.status == 2
    assert message in done.stderr
    assert done.stderr.startswith("claude-vertex chat: error: ")
    assert done.stdout == ""
    assert vertex_emulator.requests == []


def test_ctrl_c_stops_a_slow_answer_and_the_session_goes_on(
    cli_env: dict[str, str], vertex_emulator: VertexEmulator, slow_answer: SlowAnswer
) -> None:
    slow_answer.next()
    child = spawn_cli(cli_env, "chat", stdin=subprocess.PIPE)
    try:
        assert child.stdin is not None
        child.stdin.write("A slow one\n")
        child.stdin.flush()
        slow_answer.arrived()
        child.send_signal(signal.SIGINT)
        stdout, stderr = child.communicate("Next\n", timeout=WAIT)
    finally:
        child.kill()
    assert child.returncode == 0, stderr
    assert "interrupted: this turn (your message and the partial answer) is left out" in stderr
    assert stdout == "Hello! You said: Next\n"
    answered = [r.body for r in vertex_emulator.requests if r.status == 200]
    assert answered[-1]["messages"] == [{"role": "user", "content": "Next"}]
    assert "Traceback" not in stderr


# -- on a terminal --------------------------------------------------------------------------
@needs_pty
def test_on_a_terminal_a_session_with_ctrl_c_and_exit(
    terminal: PtyChild, vertex_emulator: VertexEmulator, slow_answer: SlowAnswer
) -> None:
    terminal.expect(r"Chatting with claude-sonnet-4-5 \(project test-project, endpoint global\)")
    terminal.expect("> ")
    terminal.send("Hello there")
    terminal.expect(r"Hello! You said: Hello there\r?\n")
    terminal.expect(r"· session: 1 answer, ")
    terminal.expect("> ")

    slow_answer.next()
    terminal.send("Take your time")
    slow_answer.arrived()
    terminal.control("c")
    terminal.expect("interrupted: this turn")
    terminal.expect("> ")

    terminal.send("/usage")
    terminal.expect(r"session: 1 answer, \d+ in, \d+ out tokens")  # the stopped turn: not counted
    terminal.send("And now?")
    terminal.expect(r"Hello! You said: And now\?")
    terminal.expect(r"session: 2 answers")
    terminal.send("/exit")
    assert terminal.wait() == 0
    answered = [r.body for r in vertex_emulator.requests if r.status == 200]
    assert [m["content"] for m in answered[-1]["messages"] if m["role"] == "user"] == [
        "Hello there",
        "And now?",
    ]


@needs_pty
@pytest.mark.parametrize("key", ["d", "c"])
def test_on_a_terminal_ctrl_d_or_ctrl_c_at_the_prompt_ends_the_session(
    terminal: PtyChild, key: str
) -> None:
    terminal.expect("> ")
    # A person presses the key some time after the prompt shows; at once, a SIGINT can come
    # before Python's readline waits for input, which then notices it only at the next key.
    time.sleep(0.5)
    terminal.control(key)
    assert terminal.wait() == 0
    assert "Traceback" not in terminal.output


@needs_pty
def test_on_a_terminal_thinking_shows_before_the_answer(cli_env: dict[str, str]) -> None:
    child = PtyChild(cli_env, "chat", "--thinking", "1024")
    try:
        child.expect("> ")
        child.send("Why?")
        child.expect(r"Let me think about: Why\?\r?\n")
        child.expect(r"Hello! You said: Why\?")
        child.send("/exit")
        assert child.wait() == 0
    finally:
        child.close()


def test_help_lists_the_slash_commands_and_the_keys(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exited:
        main(["chat", "--help"])
    assert exited.value.code == 0
    out = capsys.readouterr().out
    for text in ("/help", "/clear", "/usage", "/exit", "Ctrl-C during an answer", "--thinking"):
        assert text in out, text
