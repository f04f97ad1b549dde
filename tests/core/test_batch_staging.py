"""Staging batch input in Cloud Storage: checked first, uploaded in chunks, read back, flat memory.

Against the emulator's Cloud Storage (``STORAGE_EMULATOR_HOST``) with the real
google-cloud-storage client and the real service-account token flow.
"""

from __future__ import annotations

import gc
import json
import sys
import tracemalloc
from collections.abc import Iterator
from typing import Any

import pytest

from benchmarks.harness import emulator_process
from claude_vertex import ConfigurationError, MissingExtraError, resolve_settings
from claude_vertex.batch import BatchClient, BatchInputError
from claude_vertex.batch_staging import download_lines, parse_gcs_uri
from claude_vertex.testing import VertexEmulator
from tests.helpers import MakeSettings

MODEL = "claude-haiku-4-5"
BUCKET = "staging-bucket"


@pytest.fixture
def batch(
    make_settings: MakeSettings, vertex_emulator: VertexEmulator, monkeypatch: pytest.MonkeyPatch
) -> Iterator[BatchClient]:
    monkeypatch.setenv("STORAGE_EMULATOR_HOST", vertex_emulator.storage_host)
    with BatchClient(make_settings(model=MODEL, region="us-east5")) as client:
        yield client


def requests(count: int, *, start: int = 0) -> Iterator[dict[str, Any]]:
    """``count`` requests made one at a time (never a list)."""
    for n in range(start, start + count):
        yield {
            "custom_id": f"doc-{n:07d}",
            "params": {
                "max_tokens": 32,
                "messages": [{"role": "user", "content": f"Classify document {n}."}],
            },
        }


@pytest.mark.usefixtures("cloud_storage")
def test_checked_lines_are_uploaded_and_read_back(
    batch: BatchClient, vertex_emulator: VertexEmulator
) -> None:
    staged = batch.stage(requests(25), model=MODEL, staging=f"gs://{BUCKET}/nightly")
    assert staged.requests == 25
    assert staged.uri.startswith(f"gs://{BUCKET}/nightly/batch-")
    assert staged.output_prefix == staged.uri.removesuffix("/input.jsonl") + "/output"
    name = parse_gcs_uri(staged.uri).name
    stored = vertex_emulator.read_object(BUCKET, name)
    assert len(stored) == staged.bytes
    lines = [
        json.loads(text) for _, text in download_lines(batch.storage, parse_gcs_uri(staged.uri))
    ]
    assert [line["custom_id"] for line in lines] == [f"doc-{n:07d}" for n in range(25)]
    assert all(line["request"]["anthropic_version"] == "vertex-2023-10-16" for line in lines)
    assert all("model" not in line["request"] for line in lines)


def test_nothing_is_uploaded_when_a_line_is_bad(
    batch: BatchClient, vertex_emulator: VertexEmulator
) -> None:
    bad = [*requests(3), {"custom_id": "doc-0000001", "params": {"messages": []}}]
    with pytest.raises(BatchInputError, match="line 4") as caught:
        batch.stage(bad, model=MODEL, staging=f"gs://{BUCKET}/bad")
    assert caught.value.error_count == 1
    assert vertex_emulator.list_objects(BUCKET, "bad") == []


@pytest.mark.parametrize(
    ("region", "staging", "items", "message"),
    [
        ("global", f"gs://{BUCKET}/refused", 1, "single region"),
        ("eu", f"gs://{BUCKET}/refused", 1, "single region"),
        ("us-east5", "https://storage.googleapis.com/b/x", 1, "not a gs:// URI"),
        ("us-east5", f"gs://{BUCKET}/refused", 0, "holds no requests"),
    ],
)
def test_refusals_come_before_any_io(
    make_settings: MakeSettings,
    vertex_emulator: VertexEmulator,
    monkeypatch: pytest.MonkeyPatch,
    region: str,
    staging: str,
    items: int,
    message: str,
) -> None:
    monkeypatch.setenv("STORAGE_EMULATOR_HOST", vertex_emulator.storage_host)
    settings = make_settings(model=MODEL)
    with (
        BatchClient(settings, region=region) as client,
        pytest.raises(ConfigurationError, match=message),
    ):
        client.submit(requests(items), model=MODEL, staging=staging)
    assert vertex_emulator.token_requests == []
    assert vertex_emulator.requests == []
    assert vertex_emulator.list_objects(BUCKET, "refused") == []


@pytest.mark.usefixtures("cloud_storage")
def test_storage_uses_the_settings_shared_token(
    batch: BatchClient, vertex_emulator: VertexEmulator
) -> None:
    batch.stage(requests(2), model=MODEL, staging=f"gs://{BUCKET}/token")
    batch.stage(requests(2), model=MODEL, staging=f"gs://{BUCKET}/token")
    assert len(vertex_emulator.token_requests) == 1
    assert batch.settings.tokens.refresh_count == 1


def test_without_google_cloud_storage_the_error_names_the_extra(
    batch: BatchClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(sys.modules, "google.cloud.storage", None)
    with pytest.raises(MissingExtraError, match=r'pip install "claude-vertex\[batch\]"'):
        batch.stage(requests(1), model=MODEL, staging=f"gs://{BUCKET}/x")


def test_a_chunk_size_cloud_storage_refuses_is_refused_up_front(
    make_settings: MakeSettings,
) -> None:
    with pytest.raises(ConfigurationError, match="multiple of 262144"):
        BatchClient(make_settings(model=MODEL, region="us-east5"), upload_chunk_bytes=1000)


def _peak_of_round_trip(batch: BatchClient, count: int, start: int) -> int:
    """Peak traced Python memory of checking, uploading and reading back ``count`` requests."""
    gc.collect()
    tracemalloc.start()
    staged = batch.stage(requests(count, start=start), model=MODEL, staging=f"gs://{BUCKET}/mem")
    read = sum(1 for _ in download_lines(batch.storage, parse_gcs_uri(staged.uri)))
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    assert read == count
    return peak


@pytest.mark.usefixtures("cloud_storage")
def test_memory_stays_flat_as_the_input_grows(monkeypatch: pytest.MonkeyPatch) -> None:
    # The emulator runs in a process of its own, so only the client's memory is traced.
    with emulator_process() as emulator:
        monkeypatch.setenv("STORAGE_EMULATOR_HOST", emulator.url)
        settings = resolve_settings(
            model=MODEL,
            region="us-east5",
            project=emulator.project,
            base_url=emulator.base_url,
            credentials=emulator.key_file,
        )
        chunk = 256 * 1024
        with BatchClient(settings, upload_chunk_bytes=chunk) as client:
            _peak_of_round_trip(client, 200, 0)  # warm up: imports, pools, the token
            small = _peak_of_round_trip(client, 2_000, 0)
            large = _peak_of_round_trip(client, 20_000, 2_000)  # about 2.6 MB of JSONL
    # Ten times the lines (ten upload chunks) and the peak does not follow: checking, the
    # upload and the read-back hold a chunk and a line at a time, never the file.
    assert large < small + chunk, (small, large)
    assert large < 4 * chunk, large
