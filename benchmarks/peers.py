"""The peers, langchain-anthropic and llama-index-llms-anthropic, in a virtualenv of their own.

They are never installed into the project's environment (they may pin another anthropic SDK);
the suite keeps a separate environment in the user's cache folder, builds it on first use and
reuses it. When that fails (no registry, a conflict), the cold-start table says why.
"""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
import venv
from dataclasses import dataclass
from pathlib import Path

__all__ = ["PEER_PACKAGES", "Peers", "peer_environment"]

#: What is installed, and the module each cold-start variant imports from it.
PEER_PACKAGES = ("langchain-anthropic", "llama-index-llms-anthropic")
INSTALL_TIMEOUT = 900


@dataclass(frozen=True)
class Peers:
    """The peers' interpreter, or why there is none."""

    python: Path | None
    reason: str = ""
    versions: str = ""


def _cache_dir() -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "claude-vertex" / "bench-peers"


def _bin(env: Path, name: str) -> Path:
    return (
        env
        / ("Scripts" if os.name == "nt" else "bin")
        / (f"{name}.exe" if os.name == "nt" else name)
    )


def _last_lines(text: str, count: int = 3) -> str:
    lines = [
        line
        for line in text.splitlines()
        if line.strip() and not line.startswith("WARNING: Location")
    ]
    return " / ".join(lines[-count:])[:400]


def peer_environment(location: Path | None = None) -> Peers:
    """The peers' environment, created and installed on first use."""
    env = location or Path(os.environ.get("CLAUDE_VERTEX_BENCH_PEERS", "") or _cache_dir())
    python = _bin(env, "python")
    wanted = hashlib.sha256(" ".join(PEER_PACKAGES).encode()).hexdigest()
    stamp = env / ".installed"
    try:
        if not (stamp.is_file() and stamp.read_text().strip() == wanted and python.exists()):
            print(
                f"  installing {', '.join(PEER_PACKAGES)} into a separate environment "
                "(first run only) ...",
                flush=True,
            )
            venv.EnvBuilder(with_pip=True, clear=True).create(env)
            done = subprocess.run(  # noqa: S603 - the peers' own interpreter
                [
                    str(python),
                    "-m",
                    "pip",
                    "install",
                    "--disable-pip-version-check",
                    "--quiet",
                    *PEER_PACKAGES,
                ],
                capture_output=True,
                text=True,
                timeout=INSTALL_TIMEOUT,
                check=False,
            )
            if done.returncode != 0:
                return Peers(None, "did not install: pip: " + _last_lines(done.stderr))
            stamp.write_text(wanted)
        listed = subprocess.run(  # noqa: S603 - the peers' own interpreter
            [str(python), "-m", "pip", "list", "--disable-pip-version-check", "--format=freeze"],
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
    except (OSError, subprocess.SubprocessError) as exc:
        return Peers(None, f"did not install: {type(exc).__name__}: {exc}")
    names = {*PEER_PACKAGES, "anthropic"}
    versions = ", ".join(
        line for line in listed.stdout.split() if line.split("==")[0].lower() in names
    )
    return Peers(python, versions=versions)


if __name__ == "__main__":
    found = peer_environment()
    print(found.python or found.reason, found.versions, file=sys.stderr)
