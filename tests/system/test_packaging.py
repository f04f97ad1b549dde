"""The three distributions build, and each installs alone into a clean environment and works.

Each package is built into a wheel and an sdist with ``uv build`` (the same build as
``python3 dev.py build``), then installed from those files, not editable, into a fresh virtual
environment with only what its metadata pulls in. Third-party versions are held to the lock
file as constraints, so this test judges our packaging, not the day's releases.
"""

from __future__ import annotations

import subprocess
import sys
import textwrap
import zipfile
from pathlib import Path

import pytest
from uv import find_uv_bin

ROOT = Path(__file__).resolve().parents[2]
LOCK = ROOT / "requirements" / "dev.lock"
VERSION = "0.2.0"
PACKAGES = {
    "claude-vertex": ROOT / "core",
    "langchain-claude-vertex": ROOT / "integrations" / "langchain-claude-vertex",
    "llama-index-llms-claude-vertex": ROOT / "integrations" / "llama-index-llms-claude-vertex",
}

#: Talks to an emulator: the core, then whichever adapters are importable.
CALL = textwrap.dedent(
    """
    import tempfile
    from pathlib import Path
    from claude_vertex import VertexClient, resolve_settings
    from claude_vertex.testing import VertexEmulator

    with VertexEmulator() as emulator, tempfile.TemporaryDirectory() as scratch:
        key = emulator.write_service_account_key(Path(scratch) / "key.json")
        place = {"project": emulator.project, "base_url": emulator.base_url, "credentials": key}
        settings = resolve_settings(model="claude-sonnet-4-5", **place)
        with VertexClient(settings) as client:
            message = client.create({"model": "claude-sonnet-4-5", "max_tokens": 32,
                                     "messages": [{"role": "user", "content": "wheel"}]})
        print("core:", message.content[0].text)
        try:
            from langchain_claude_vertex import ChatClaudeVertex
        except ImportError:
            pass
        else:
            answer = ChatClaudeVertex(model="claude-sonnet-4-5", **place).invoke("wheel")
            print("langchain:", answer.text)
        try:
            from llama_index.llms.claude_vertex import ClaudeVertex
        except ImportError:
            pass
        else:
            print("llama-index:", ClaudeVertex("claude-sonnet-4-5", **place).complete("wheel").text)
    """
)


def uv(*args: str | Path, cwd: Path = ROOT) -> str:
    """Run uv; its output, or the test fails showing what uv said."""
    done = subprocess.run(
        [find_uv_bin(), *map(str, args)], cwd=cwd, capture_output=True, text=True, check=False
    )
    if done.returncode != 0:
        pytest.fail(f"uv {' '.join(map(str, args))} failed:\n{done.stdout}\n{done.stderr}")
    return done.stdout


@pytest.fixture(scope="module")
def constraints(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The lock's third-party pins (its editable lines are our own packages, built here)."""
    pins = [line for line in LOCK.read_text().splitlines() if not line.startswith("-e ")]
    path = tmp_path_factory.mktemp("constraints") / "constraints.txt"
    path.write_text("\n".join(pins) + "\n")
    return path


@pytest.fixture(scope="module")
def dist(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A wheel and an sdist of each package."""
    out = tmp_path_factory.mktemp("dist")
    for source in PACKAGES.values():
        uv("build", "--quiet", "--out-dir", out, source)
    return out


class Environment:
    """A fresh virtual environment holding only what was installed from the built files."""

    def __init__(self, where: Path, dist: Path, constraints: Path) -> None:
        self.dist, self.constraints = dist, constraints
        uv("venv", "--quiet", "--python", sys.executable, where)
        self.python = where / ("Scripts" if sys.platform == "win32" else "bin") / "python"

    def install(self, *requirements: str) -> None:
        """Install from the built files (the index only for third-party packages)."""
        uv("pip", "install", "--quiet", "--python", self.python, "--find-links", self.dist,
           "--constraints", self.constraints, *requirements)  # fmt: skip

    def run(self, *args: str) -> subprocess.CompletedProcess[str]:
        """Run this environment's python, outside the source tree."""
        return subprocess.run(
            [str(self.python), *args], cwd=self.python.parent, capture_output=True,
            text=True, check=False, timeout=300,
        )  # fmt: skip

    def installed(self) -> set[str]:
        """The names of the installed distributions."""
        listed = uv("pip", "list", "--python", self.python, "--format", "freeze")
        return {line.split("==")[0].lower() for line in listed.splitlines()}


@pytest.fixture
def fresh(tmp_path: Path, dist: Path, constraints: Path) -> Environment:
    """A new, empty virtual environment that installs from ``dist``."""
    return Environment(tmp_path / "venv", dist, constraints)


def wheel_names(dist: Path, project: str) -> list[str]:
    """The file names inside ``project``'s wheel."""
    (wheel,) = dist.glob(f"{project.replace('-', '_')}-{VERSION}-py3-none-any.whl")
    with zipfile.ZipFile(wheel) as archive:
        return archive.namelist()


def test_each_package_builds_a_wheel_and_an_sdist(dist: Path) -> None:
    built = sorted(path.name for path in dist.iterdir() if path.suffix in {".whl", ".gz"})
    expected = []
    for project in PACKAGES:
        stem = f"{project.replace('-', '_')}-{VERSION}"
        expected += [f"{stem}-py3-none-any.whl", f"{stem}.tar.gz"]
    assert built == sorted(expected)


def test_each_wheel_holds_its_own_package_typed_and_nothing_else(dist: Path) -> None:
    core = wheel_names(dist, "claude-vertex")
    assert "claude_vertex/py.typed" in core
    assert "claude_vertex/testing/pytest_plugin.py" in core
    assert not [n for n in core if n.startswith(("langchain_", "llama_index/", "tests/"))]
    langchain = wheel_names(dist, "langchain-claude-vertex")
    assert "langchain_claude_vertex/py.typed" in langchain
    assert not [n for n in langchain if n.startswith(("claude_vertex/", "llama_index/"))]
    llama = wheel_names(dist, "llama-index-llms-claude-vertex")
    assert "llama_index/llms/claude_vertex/py.typed" in llama
    # A namespace package, as LlamaIndex's integrations are: no __init__ above ours.
    assert "llama_index/__init__.py" not in llama
    assert "llama_index/llms/__init__.py" not in llama
    assert not [n for n in llama if n.startswith(("claude_vertex/", "langchain_"))]


@pytest.mark.parametrize(
    ("project", "module", "label"),
    [
        ("langchain-claude-vertex", "langchain_claude_vertex", "langchain"),
        ("llama-index-llms-claude-vertex", "llama_index.llms.claude_vertex", "llama-index"),
    ],
)
def test_an_integration_installs_alone_pulls_in_the_core_and_answers(
    fresh: Environment, project: str, module: str, label: str
) -> None:
    fresh.install(project)
    assert "claude-vertex" in fresh.installed()
    shown = fresh.run("-c", f"import claude_vertex, {module} as m; print(m.__version__)")
    assert (shown.returncode, shown.stdout.strip()) == (0, VERSION), shown.stderr
    fresh.install("claude-vertex[testing]")  # the emulator, for one call
    answered = fresh.run("-c", CALL)
    assert answered.returncode == 0, answered.stderr
    assert "core: Hello! You said: wheel" in answered.stdout
    assert f"{label}: Hello! You said: wheel" in answered.stdout


def test_the_core_installs_alone_with_its_emulator_and_answers(fresh: Environment) -> None:
    fresh.install("claude-vertex[testing]")
    assert not {"langchain-core", "llama-index-core"} & fresh.installed()
    answered = fresh.run("-c", CALL)
    assert answered.returncode == 0, answered.stderr
    assert answered.stdout.strip() == "core: Hello! You said: wheel"


def test_without_the_testing_extra_pytest_runs_and_only_emulator_fixtures_fail(
    fresh: Environment,
) -> None:
    fresh.install("claude-vertex", "pytest")
    # Recent google-auth releases bring cryptography themselves, older ones in our range do not:
    # take it away to see a user's environment without the emulator's dependency.
    uv("pip", "uninstall", "--quiet", "--python", fresh.python, "cryptography")
    tests = fresh.python.parent / "test_users_app.py"
    tests.write_text(
        textwrap.dedent(
            """
            import sys

            def test_unrelated():
                assert "claude_vertex.testing.emulator" not in sys.modules
                assert "claude_vertex.testing.server" not in sys.modules

            def test_wants_the_emulator(vertex_emulator):
                pass
            """
        )
    )
    ran = fresh.run("-m", "pytest", "-q", "-p", "no:cacheprovider", tests.name)
    assert "1 passed, 1 error" in ran.stdout, ran.stdout + ran.stderr
    assert 'pip install "claude-vertex[testing]" (missing: cryptography)' in ran.stdout
    command = fresh.python.parent / "claude-vertex"
    refused = subprocess.run(
        [str(command), "emulator"], capture_output=True, text=True, check=False, timeout=60
    )
    assert refused.returncode == 2
    assert "claude-vertex[testing]" in refused.stderr


def test_the_core_suite_passes_with_only_the_core_wheel_installed(fresh: Environment) -> None:
    fresh.install("claude-vertex[testing]", "pytest", "pytest-asyncio")
    assert not {"langchain-core", "llama-index-core"} & fresh.installed()
    ran = subprocess.run(
        [str(fresh.python), "-m", "pytest", "-q", "-p", "no:cacheprovider", "tests/core"],
        cwd=ROOT, capture_output=True, text=True, check=False, timeout=600,
    )  # fmt: skip
    assert ran.returncode == 0, ran.stdout[-3000:] + ran.stderr[-3000:]
    assert " passed" in ran.stdout.splitlines()[-1]
