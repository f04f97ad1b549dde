"""Run the demo, the checks and the tests in a virtual environment installed from the lock file.

    python3 dev.py demo                  # examples/quickstart.py ("Hey Claude!" through the core)
    python3 dev.py test [PYTEST ARGS]    # ruff format --check, ruff check, mypy, then pytest
    python3 dev.py test --python 3.13    # on another interpreter (repeat --python for several)
    python3 dev.py test --newest         # against the newest releases the ranges allow, no lock
    python3 dev.py test --lowest         # against the lowest releases of our direct dependencies
    python3 dev.py lock [--upgrade]      # re-resolve requirements/dev.lock (--check: current?)
    python3 dev.py build                 # a wheel and an sdist of each package, into dist/
    python3 dev.py bench [OPTIONS]       # the benchmark suite
    python3 dev.py run CMD [ARGS]        # any command inside the environment

Needs only Python 3.10+. It installs uv (pinned below) into ``.tools/``, then the locked
environment into ``.venv`` (other interpreters and resolutions into ``.venvs/``); the locked
environment is re-synced whenever the lock file or a pyproject.toml changes.
"""

from __future__ import annotations

import argparse
import glob
import hashlib
import os
import shutil
import subprocess
import sys
import tempfile
import venv
from pathlib import Path

ROOT = Path(__file__).resolve().parent
UV_VERSION = "0.13.9"
TOOLS = ROOT / ".tools"
LOCK = ROOT / "requirements" / "dev.lock"
LOCK_INPUT = ROOT / "requirements" / "dev.in"
PYPROJECTS = (
    ROOT / "pyproject.toml",
    ROOT / "core" / "pyproject.toml",
    ROOT / "integrations" / "langchain-claude-vertex" / "pyproject.toml",
    ROOT / "integrations" / "llama-index-llms-claude-vertex" / "pyproject.toml",
)
PACKAGES = tuple(path.parent for path in PYPROJECTS[1:])
LOCK_COMMAND = [
    "pip", "compile", "--universal", "--python-version", "3.10", "--generate-hashes",
    "--quiet", str(LOCK_INPUT.relative_to(ROOT)), "--group", "pyproject.toml:dev",
    "--custom-compile-command", "python3 dev.py lock",
]  # fmt: skip
#: The dependency groups of each resolution: the lowest run has no linters (see CONTRIBUTING).
GROUPS = {"locked": ("dev",), "newest": ("dev",), "lowest": ("test", "agents", "bench")}
#: Shown after a newest or lowest install: the versions that matter most.
KEY_PACKAGES = (
    "anthropic", "google-auth", "httpx2", "langchain-core", "llama-index-core", "cryptography",
    "pytest", "mypy", "ruff",
)  # fmt: skip
MIN_PYTHON = (3, 10)
THIS_PYTHON = f"{sys.version_info[0]}.{sys.version_info[1]}"


def _bin(environment: Path, name: str) -> Path:
    scripts = environment / ("Scripts" if os.name == "nt" else "bin")
    return scripts / (f"{name}.exe" if os.name == "nt" else name)


def _run(*args: str | os.PathLike[str], env: dict[str, str] | None = None) -> int:
    return subprocess.call([str(a) for a in args], cwd=ROOT, env=env)


def _check(*args: str | os.PathLike[str]) -> None:
    if _run(*args) != 0:
        sys.exit(f"Failed: {' '.join(str(a) for a in args)}")


def uv() -> Path:
    """The pinned uv, installed into ``.tools/`` on first use."""
    binary = _bin(TOOLS, "uv")
    if binary.exists():
        found = subprocess.run([binary, "--version"], capture_output=True, text=True, check=False)
        if found.stdout.split()[1:2] == [UV_VERSION]:
            return binary
    print(f"Installing uv {UV_VERSION} into {TOOLS.name}/ (first run only) ...", flush=True)
    venv.EnvBuilder(with_pip=True, clear=True).create(TOOLS)
    pip = [_bin(TOOLS, "python"), "-m", "pip", "install", "--quiet", "--disable-pip-version-check"]
    _check(*pip, f"uv=={UV_VERSION}")
    return binary


def find_python(version: str) -> str | None:
    """An interpreter of ``version`` ("3.13"): on PATH, or installed by pyenv; None if absent."""
    pyenv = Path(os.environ.get("PYENV_ROOT", Path.home() / ".pyenv"))
    candidates = [shutil.which(f"python{version}")]
    candidates += sorted(glob.glob(str(pyenv / "versions" / f"{version}.*" / "bin" / "python")))
    for candidate in filter(None, candidates):
        probe = "import sys; print('%d.%d' % sys.version_info[:2])"
        found = subprocess.run(
            [candidate, "-c", probe], capture_output=True, text=True, check=False
        )
        if found.returncode == 0 and found.stdout.strip() == version:
            return candidate
    return None


def _fingerprint() -> str:
    digest = hashlib.sha256()
    for path in (LOCK, LOCK_INPUT, *PYPROJECTS):
        digest.update(path.read_bytes())
    return digest.hexdigest()


def _environment_dir(resolution: str, version: str) -> Path:
    if resolution == "locked" and version == THIS_PYTHON:
        return Path(os.environ.get("CLAUDE_VERTEX_VENV", ROOT / ".venv"))
    return ROOT / ".venvs" / f"{resolution}-py{version}"


def ensure_environment(
    resolution: str = "locked", version: str = THIS_PYTHON, interpreter: str = sys.executable
) -> Path:
    """The environment of ``resolution`` on ``interpreter`` (Python ``version``), installed."""
    environment = _environment_dir(resolution, version)
    stamp = environment / ".claude-vertex-installed"
    wanted = f"{resolution} {version} {_fingerprint()}"
    if resolution == "locked" and stamp.is_file() and stamp.read_text() == wanted:
        return environment
    tool = uv()
    print(f"Installing the {resolution} environment on Python {version} ...", flush=True)
    if resolution != "locked":  # a fresh resolution starts from an empty environment
        shutil.rmtree(environment, ignore_errors=True)
    _check(tool, "venv", "--quiet", "--allow-existing", "--python", interpreter, environment)
    target = ["--python", str(_bin(environment, "python"))]
    if resolution == "locked":
        _check(tool, "pip", "sync", "--quiet", *target, LOCK.relative_to(ROOT))
    else:
        _install_unlocked(tool, target, resolution)
    stamp.write_text(wanted)
    return environment


def _install_unlocked(tool: Path, target: list[str], resolution: str) -> None:
    """A fresh resolution of the ranges: the newest releases, or the lowest of direct ones."""
    chosen = "highest" if resolution == "newest" else "lowest-direct"
    groups = [arg for group in GROUPS[resolution] for arg in ("--group", f"pyproject.toml:{group}")]
    requirements = ["-r", str(LOCK_INPUT.relative_to(ROOT)), *groups]
    _check(tool, "pip", "install", "--quiet", "--upgrade", "--refresh", *target,
           "--resolution", chosen, *requirements)  # fmt: skip
    listed = subprocess.run(
        [tool, "pip", "list", *target, "--format", "freeze"],
        capture_output=True, text=True, check=True,
    )  # fmt: skip
    versions = dict(line.split("==", 1) for line in listed.stdout.splitlines() if "==" in line)
    shown = ", ".join(f"{name} {versions[name]}" for name in KEY_PACKAGES if name in versions)
    print(f"Resolved ({resolution}): {shown}", flush=True)


def checks(environment: Path, resolution: str) -> list[tuple[str, list[str | Path]]]:
    """The static checks run before the tests (none on the lowest resolution: no linters)."""
    if "dev" not in GROUPS[resolution]:
        return []
    python = _bin(environment, "python")
    return [
        ("ruff format", [python, "-m", "ruff", "format", "--check", "."]),
        ("ruff check", [python, "-m", "ruff", "check", "."]),
        ("mypy", [python, "-m", "mypy"]),
    ]  # fmt: skip


def test(args: argparse.Namespace, pytest_args: list[str]) -> int:
    """Run the checks and the suite once per requested interpreter; 0 only if all pass."""
    ran = 0
    for version in args.python or [THIS_PYTHON]:
        interpreter = sys.executable if version == THIS_PYTHON else find_python(version)
        if interpreter is None:
            print(f"== Python {version}: skipped, no interpreter found (looked for "
                  f"python{version} on PATH and under pyenv's versions/)", flush=True)  # fmt: skip
            continue
        environment = ensure_environment(args.resolution, version, interpreter)
        label = f"{args.resolution}, Python {version}"
        for name, command in checks(environment, args.resolution):
            print(f"== {name} ({label})", flush=True)
            if _run(*command) != 0:
                print(f"{name} failed.", file=sys.stderr)
                return 1
        print(f"== pytest ({label})", flush=True)
        code = _run(_bin(environment, "python"), "-m", "pytest", *pytest_args)
        if code != 0:
            return 1  # 5 (no tests collected) is a failure too
        ran += 1
    if ran == 0:
        print("No requested interpreter was found; nothing was tested.", file=sys.stderr)
        return 1
    return 0


def lock(args: argparse.Namespace) -> int:
    """Re-resolve the lock file, or with ``--check`` say whether it matches the pyprojects."""
    tool = uv()
    if not args.check:
        upgrade = ["--upgrade"] if args.upgrade else []
        return _run(tool, *LOCK_COMMAND, *upgrade, "-o", LOCK.relative_to(ROOT))
    with tempfile.TemporaryDirectory() as scratch:
        fresh = Path(scratch) / "dev.lock"
        shutil.copy(LOCK, fresh)  # the current pins are preferred, so only real changes show
        if _run(tool, *LOCK_COMMAND, "-o", fresh) != 0:
            return 1
        if fresh.read_text() != LOCK.read_text():
            print("requirements/dev.lock is out of date with the pyproject.toml files: run "
                  "`python3 dev.py lock` and commit the result.", file=sys.stderr)  # fmt: skip
            return 1
    print("requirements/dev.lock is current.")
    return 0


def build(out: Path) -> int:
    """A wheel and an sdist of each of the three packages, into ``out``."""
    tool = uv()
    for package in PACKAGES:
        if _run(tool, "build", "--quiet", "--out-dir", out, package) != 0:
            return 1
    print(f"Built into {out}:", *sorted(p.name for p in out.iterdir()), sep="\n  ")
    return 0


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="dev.py", description=__doc__, allow_abbrev=False,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )  # fmt: skip
    commands = parser.add_subparsers(dest="command", required=True)
    run_tests = commands.add_parser(
        "test", allow_abbrev=False, help="checks and the test suite; other arguments go to pytest"
    )
    run_tests.add_argument("--python", action="append", metavar="X.Y",
                           help="interpreter version (repeatable; default: this one)")  # fmt: skip
    which = run_tests.add_mutually_exclusive_group()
    which.add_argument("--newest", dest="resolution", action="store_const", const="newest")
    which.add_argument("--lowest", dest="resolution", action="store_const", const="lowest")
    run_tests.set_defaults(resolution="locked")
    relock = commands.add_parser("lock", help="re-resolve requirements/dev.lock")
    relock.add_argument("--upgrade", action="store_true", help="move every pin to the newest")
    relock.add_argument("--check", action="store_true", help="fail if the lock is out of date")
    builds = commands.add_parser("build", help="wheels and sdists into dist/")
    builds.add_argument("--out-dir", type=Path, default=ROOT / "dist")
    for name, text in (("demo", "run examples/quickstart.py"), ("bench", "the benchmark suite"),
                       ("run", "a command inside the environment")):  # fmt: skip
        commands.add_parser(name, help=text, add_help=False).add_argument(
            "rest", nargs=argparse.REMAINDER
        )
    return parser


def main(argv: list[str]) -> int:
    """Entry point; see the module docstring."""
    if sys.version_info < MIN_PYTHON:
        sys.exit(f"claude-vertex needs Python 3.10 or newer; this is {sys.version.split()[0]}.")
    args, unknown = _parser().parse_known_args(argv)
    if args.command == "test":
        return test(args, unknown)
    if unknown:
        _parser().error(f"unrecognised arguments: {' '.join(unknown)}")
    if args.command == "lock":
        return lock(args)
    if args.command == "build":
        return build(args.out_dir)
    environment = ensure_environment()
    python = _bin(environment, "python")
    if args.command == "demo":
        return _run(python, "examples/quickstart.py", *args.rest)
    if args.command == "bench":
        return _run(python, "-m", "benchmarks.run", *args.rest)
    if not args.rest:
        print("usage: python3 dev.py run CMD [ARGS]", file=sys.stderr)
        return 2
    command = _bin(environment, args.rest[0])
    return _run(command, *args.rest[1:]) if command.exists() else _run(*args.rest)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
