"""Running ``claude-vertex`` as a real process against the emulator: piped, or on a pty.

The process gets what ``VertexEmulator.environ`` gives (what ``claude-vertex emulator``
exports) on top of the test's hermetic environment, so it resolves its project, endpoint and
credentials as a user's shell would, and fetches its token from the emulator.
"""

from __future__ import annotations

import os
import re
import select
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

from claude_vertex.testing import Fault, VertexEmulator

#: How long a test waits for the process to say something, or to exit.
WAIT = 60.0
#: The command, as ``python -m`` runs it (the console script is tested in test_cli_models).
COMMAND = (sys.executable, "-m", "claude_vertex.cli")
#: A terminal escape sequence (colours, cursor moves).
ESCAPE = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]")


def cli_environ(
    emulator: VertexEmulator, key_file: Path, *, without: tuple[str, ...] = ()
) -> dict[str, str]:
    """The test's environment, pointed at the emulator, minus the variables in ``without``."""
    env = {**os.environ, **emulator.environ(key_file), "PYTHONUNBUFFERED": "1"}
    for name in without:
        env.pop(name, None)
    return env


@dataclass(frozen=True)
class Done:
    """How a run of the command ended: its exit status and what it wrote."""

    status: int
    stdout: str
    stderr: str


def run_cli(
    env: dict[str, str], *argv: str, stdin: str | None = None
) -> subprocess.CompletedProcess[str]:
    """Run ``claude-vertex ARGV`` with ``stdin`` piped in (empty when ``None``) until it exits."""
    return subprocess.run(
        [*COMMAND, *argv],
        input=stdin or "",
        capture_output=True,
        text=True,
        env=env,
        timeout=WAIT,
        check=False,
    )


def spawn_cli(
    env: dict[str, str], *argv: str, stdin: int = subprocess.DEVNULL
) -> subprocess.Popen[str]:
    """Start ``claude-vertex ARGV`` with its stdout and stderr piped (and ``stdin`` as given)."""
    return subprocess.Popen(
        [*COMMAND, *argv],
        stdin=stdin,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )


def wait_for(condition: object, what: str, timeout: float = WAIT) -> None:
    """Poll ``condition()`` until it is true; fail naming ``what`` after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while not condition():  # type: ignore[operator]
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.02)


#: How long a slow answer (one that Ctrl-C stops) would take.
SLOW = 10.0


class SlowAnswer:
    """Makes the next answer take ``SLOW`` seconds, and waits until its call has arrived."""

    def __init__(self, emulator: VertexEmulator) -> None:
        self.emulator = emulator

    def next(self) -> None:
        """The next call's answer is slow."""
        self.emulator.inject(Fault.slow(SLOW))

    def arrived(self) -> None:
        """Return once the slow call has reached the emulator (and waits for its answer)."""
        wait_for(lambda: self.emulator.in_flight == 1, "the slow call to arrive")


#: Makes the pty (the process's stdin) its controlling terminal, so Ctrl-C typed there is a
#: SIGINT for it, then runs the command (``start_new_session`` made it a session leader).
_ON_TERMINAL = (
    "import fcntl, sys, termios; fcntl.ioctl(0, termios.TIOCSCTTY, 0); "
    "from claude_vertex.cli import main; sys.exit(main(sys.argv[1:]))"
)


class PtyChild:
    """``claude-vertex ARGV`` on a pseudo-terminal: its stdin, stdout and stderr are the pty.

    ``send`` types a line, ``control`` a control key (``"c"``: Ctrl-C, which the terminal
    turns into SIGINT for the process); ``expect`` reads until a pattern shows.
    """

    def __init__(self, env: dict[str, str], *argv: str) -> None:
        self.fd, terminal = os.openpty()
        try:
            self.process = subprocess.Popen(
                [sys.executable, "-c", _ON_TERMINAL, *argv],
                stdin=terminal,
                stdout=terminal,
                stderr=terminal,
                env=env,
                start_new_session=True,
            )
        finally:
            os.close(terminal)
        self.output = ""  # everything read so far, escapes removed
        self._seen = 0  # where the next expect starts looking

    def _read(self, timeout: float) -> bool:
        """Read what is there within ``timeout``; ``False`` once the terminal has closed."""
        ready, _, _ = select.select([self.fd], [], [], timeout)
        if not ready:
            return True
        try:
            data = os.read(self.fd, 4096)
        except OSError:  # EIO: the process exited and the terminal closed
            return False
        if not data:
            return False
        self.output += ESCAPE.sub("", data.decode("utf-8", "replace"))
        return True

    def expect(self, pattern: str, timeout: float = WAIT) -> re.Match[str]:
        """Read until ``pattern`` (a regex) shows in the output after the last match."""
        deadline = time.monotonic() + timeout
        while True:
            match = re.compile(pattern).search(self.output, self._seen)
            if match is not None:
                self._seen = match.end()
                return match
            left = deadline - time.monotonic()
            if left <= 0 or not self._read(min(left, 0.5)):
                raise AssertionError(
                    f"{pattern!r} did not show; the terminal after the last match:\n"
                    f"{self.output[self._seen :]}\n--- all:\n{self.output!r}"
                )

    def send(self, line: str) -> None:
        """Type ``line`` and Enter."""
        os.write(self.fd, line.encode() + b"\r")

    def control(self, key: str) -> None:
        """Press Ctrl-``key`` (``"c"``, ``"d"``)."""
        os.write(self.fd, bytes([ord(key.upper()) - 64]))

    def wait(self, timeout: float = WAIT) -> int:
        """The exit status, once the process has exited (its output read to the end)."""
        deadline = time.monotonic() + timeout
        while self.process.poll() is None:
            if time.monotonic() > deadline:
                raise AssertionError(f"still running after {timeout} s:\n{self.output}")
            self._read(0.2)
        while select.select([self.fd], [], [], 0.1)[0] and self._read(0):
            pass
        return self.process.returncode

    def close(self) -> None:
        """End the process if it still runs (a test failed), and close the terminal."""
        if self.process.poll() is None:
            self.process.kill()
            self.process.wait(WAIT)
        os.close(self.fd)
