"""Run the demo or the test suite in a project virtual environment, creating it if needed.

    python3 dev.py demo     # examples/quickstart.py ("Hey Claude!" through the core)
    python3 dev.py test     # ruff, mypy, then the whole pytest suite
    python3 dev.py bench    # the benchmark suite
    python3 dev.py run CMD  # any command inside the environment

Needs only Python 3.10+. The environment lives in ``.venv`` and is reinstalled when
``pyproject.toml`` changes.
"""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
import venv
from pathlib import Path

ROOT = Path(__file__).resolve().parent
VENV = Path(os.environ.get("CLAUDE_VERTEX_VENV", ROOT / ".venv"))
BIN = VENV / ("Scripts" if os.name == "nt" else "bin")
PYTHON = BIN / ("python.exe" if os.name == "nt" else "python")
STAMP = VENV / ".claude-vertex-installed"


def _run(*args: str | os.PathLike[str]) -> int:
    return subprocess.call([str(a) for a in args], cwd=ROOT)


def ensure_venv() -> None:
    """Create ``.venv`` and install the package with every extra, once per pyproject change."""
    if sys.version_info < (3, 10):  # noqa: UP036 - dev.py may be run by an older python3
        sys.exit(f"claude-vertex needs Python 3.10 or newer; this is {sys.version.split()[0]}.")
    wanted = hashlib.sha256((ROOT / "pyproject.toml").read_bytes()).hexdigest()
    if STAMP.is_file() and STAMP.read_text().strip() == wanted and PYTHON.exists():
        return
    if not PYTHON.exists():
        print(f"Creating a virtual environment in {VENV.name}/ ...", flush=True)
        venv.EnvBuilder(with_pip=True, clear=True).create(VENV)
    print("Installing claude-vertex with its extras (first run only) ...", flush=True)
    pip = [PYTHON, "-m", "pip", "install", "--disable-pip-version-check", "--quiet"]
    # The bench extra too: the test suite runs the benchmark code once, at tiny counts.
    if _run(*pip, "--upgrade", "pip") != 0 or _run(*pip, "-e", ".[all,dev,bench]") != 0:
        sys.exit("Installing the dependencies failed; see the pip output above.")
    STAMP.write_text(wanted)


def main(argv: list[str]) -> int:
    """Entry point: ``demo``, ``test [pytest args]``, ``bench [options]`` or ``run CMD...``."""
    command = argv[0] if argv else "help"
    if command not in {"demo", "test", "bench", "run"}:
        print(__doc__)
        return 0 if command in {"help", "-h", "--help"} else 2
    ensure_venv()
    if command == "demo":
        return _run(PYTHON, "examples/quickstart.py", *argv[1:])
    if command == "bench":
        return _run(PYTHON, "-m", "benchmarks.run", *argv[1:])
    if command == "run":
        return _run(BIN / argv[1], *argv[2:]) if (BIN / argv[1]).exists() else _run(*argv[1:])
    steps = [
        ("ruff", [PYTHON, "-m", "ruff", "check", "."]),
        ("mypy", [PYTHON, "-m", "mypy"]),
    ]
    for name, step in steps:
        print(f"== {name}", flush=True)
        if _run(*step) != 0:
            print(f"{name} failed.", file=sys.stderr)
            return 1
    print("== pytest", flush=True)
    code = _run(PYTHON, "-m", "pytest", *argv[1:])
    return 1 if code == 5 else code  # 5: no tests collected, which is a failure here


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
