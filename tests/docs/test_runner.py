"""The docs runner itself: it finds the blocks a reader sees, and a broken block fails it."""

from __future__ import annotations

from pathlib import Path

from tests.docs.markdown_blocks import python_blocks
from tests.docs.test_docs_run import run_blocks

GUIDE = """\
# A guide

```python
import os
from pathlib import Path

answer = 42
assert os.listdir(".") == []  # an empty working folder
key_file = Path(os.environ["GOOGLE_APPLICATION_CREDENTIALS"])
assert key_file.is_file() and Path.cwd() not in key_file.parents
assert "CLOUD_ML_REGION" not in os.environ  # no region pinned
```

- In a list:

  ```py
  assert answer == 42  # the namespace of the blocks before
  ```

<!-- docs-test: skip — needs a package we do not install -->
```python
import a_package_we_do_not_install
```

~~~python
def fails():
    raise RuntimeError(f"broken {answer}")


fails()
~~~

```bash
exit 1
```

```python
print("still runs")
```
"""


def test_blocks_run_in_order_in_one_namespace_and_a_failure_names_its_line(
    tmp_path: Path,
) -> None:
    guide = tmp_path / "guide.md"
    guide.write_text(GUIDE, encoding="utf-8")
    blocks = python_blocks(guide, "guide.md")
    assert [(b.line, b.skip_reason) for b in blocks] == [
        (4, None),
        (17, None),
        (22, "needs a package we do not install"),
        (26, None),
        (38, None),
    ]
    run = run_blocks(guide, blocks)
    statuses = {line: result["status"] for line, result in run.results.items()}
    assert statuses == {4: "passed", 17: "passed", 22: "skipped", 26: "failed", 38: "passed"}
    error = run.results[26]["error"]
    assert error is not None
    assert error.startswith("RuntimeError: broken 42 (at guide.md:27)\n")
    assert 'raise RuntimeError(f"broken {answer}")' in error  # quoted from the markdown file
    assert "still runs" in run.output


def test_a_skipped_block_is_still_compiled(tmp_path: Path) -> None:
    guide = tmp_path / "guide.md"
    guide.write_text(
        "<!-- docs-test: skip: needs Google Cloud -->\n```python\nprint('unclosed'\n```\n",
        encoding="utf-8",
    )
    [block] = python_blocks(guide, "guide.md")
    assert block.skip_reason == "needs Google Cloud"
    result = run_blocks(guide, [block]).results[3]
    assert result["status"] == "failed"
    assert "SyntaxError" in str(result["error"])
