"""The emulator's Cloud Storage JSON API, driven by google-cloud-storage itself.

The client is pointed at the emulator with ``STORAGE_EMULATOR_HOST`` and authenticates with
the emulator's service-account key (the real google-auth token flow), as an app would.
"""

from __future__ import annotations

import base64
import hashlib
import io
import json
from collections.abc import Iterator
from pathlib import Path

import google_crc32c
import pytest
import requests
from google.api_core import exceptions as api_exceptions
from google.auth.credentials import AnonymousCredentials
from google.auth.exceptions import InvalidOperation
from google.cloud import storage
from google.oauth2 import service_account

from claude_vertex.credentials import CLOUD_PLATFORM_SCOPE
from claude_vertex.testing import VertexEmulator

BUCKET = "batch-staging"
#: google-cloud-storage wants chunk sizes in multiples of 256 KiB.
CHUNK = 256 * 1024


@pytest.fixture
def gcs(
    vertex_emulator: VertexEmulator, vertex_key_file: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[storage.Client]:
    monkeypatch.setenv("STORAGE_EMULATOR_HOST", vertex_emulator.storage_host)
    credentials = service_account.Credentials.from_service_account_file(
        str(vertex_key_file), scopes=[CLOUD_PLATFORM_SCOPE]
    )
    client = storage.Client(project=vertex_emulator.project, credentials=credentials)
    yield client
    client.close()


def payload(size: int) -> bytes:
    """Bytes that differ from chunk to chunk, so a misplaced chunk changes the checksums."""
    block = bytes(range(256)) * 4
    return b"".join(
        hashlib.sha256(i.to_bytes(4, "big")).digest() + block[: 1024 - 32]
        for i in range(size // 1024 + 1)
    )[:size]


def crc32c_b64(data: bytes) -> str:
    return base64.b64encode(google_crc32c.Checksum(data).digest()).decode()


def test_a_small_upload_is_multipart_and_reads_back(
    gcs: storage.Client, vertex_emulator: VertexEmulator
) -> None:
    blob = gcs.bucket(BUCKET).blob("small/hello.txt")
    blob.upload_from_string(b"hello world", content_type="text/plain")
    assert blob.size == 11
    assert blob.crc32c == crc32c_b64(b"hello world")
    assert (
        blob.md5_hash
        == base64.b64encode(hashlib.md5(b"hello world", usedforsecurity=False).digest()).decode()
    )
    assert gcs.bucket(BUCKET).blob("small/hello.txt").download_as_bytes() == b"hello world"
    uploads = [r for r in vertex_emulator.requests if "/upload/" in r.path]
    assert [r.route for r in uploads] == ["storage"]
    assert "uploadType=multipart" in uploads[0].path
    assert vertex_emulator.read_object(BUCKET, "small/hello.txt") == b"hello world"


def test_a_resumable_upload_in_chunks_answers_308_until_the_last(
    gcs: storage.Client, vertex_emulator: VertexEmulator
) -> None:
    data = payload(5 * CHUNK + 1234)
    blob = gcs.bucket(BUCKET).blob("chunked/data.bin", chunk_size=2 * CHUNK)
    blob.upload_from_file(io.BytesIO(data), content_type="application/octet-stream")
    assert blob.size == len(data)
    assert blob.crc32c == crc32c_b64(data)
    puts = [r for r in vertex_emulator.requests if r.method == "PUT"]
    assert [r.status for r in puts] == [308, 308, 200]
    assert puts[0].headers["content-range"].startswith(f"bytes 0-{2 * CHUNK - 1}/")
    assert puts[0].raw_body == b""  # uploads are not kept in the request log
    assert vertex_emulator.read_object(BUCKET, "chunked/data.bin") == data


def test_a_chunk_bigger_than_the_request_size_limit_streams_to_disk(
    gcs: storage.Client, vertex_emulator: VertexEmulator
) -> None:
    data = payload(40 * 1024 * 1024)  # one 40 MiB chunk, over MAX_BODY_BYTES (32 MiB)
    blob = gcs.bucket(BUCKET).blob("big/data.bin", chunk_size=160 * CHUNK)
    blob.upload_from_file(io.BytesIO(data))
    assert blob.size == len(data)
    assert gcs.bucket(BUCKET).blob("big/data.bin").download_as_bytes() == data


def test_a_streamed_writer_of_unknown_length_finishes_its_upload(
    gcs: storage.Client, vertex_emulator: VertexEmulator
) -> None:
    lines = [json.dumps({"custom_id": f"r-{i}", "n": i}) + "\n" for i in range(20_000)]
    blob = gcs.bucket(BUCKET).blob("stream/input.jsonl", chunk_size=CHUNK)
    with blob.open("w", content_type="application/jsonl") as writer:
        for line in lines:
            writer.write(line)
    assert vertex_emulator.read_object(BUCKET, "stream/input.jsonl") == "".join(lines).encode()
    with gcs.bucket(BUCKET).blob("stream/input.jsonl").open("r", chunk_size=CHUNK) as reader:
        assert sum(1 for _ in reader) == 20_000


def test_range_downloads_and_chunked_downloads(
    gcs: storage.Client, vertex_emulator: VertexEmulator
) -> None:
    data = payload(3 * CHUNK + 77)
    vertex_emulator.put_object(BUCKET, "range/data.bin", data, "application/octet-stream")
    blob = gcs.bucket(BUCKET).blob("range/data.bin")
    assert blob.download_as_bytes(start=10, end=99) == data[10:100]
    assert blob.download_as_bytes(start=len(data) - 5) == data[-5:]
    chunked = gcs.bucket(BUCKET).blob("range/data.bin", chunk_size=CHUNK)
    target = io.BytesIO()
    chunked.download_to_file(target)
    assert target.getvalue() == data
    ranges = [r.headers.get("range") for r in vertex_emulator.requests if r.method == "GET"]
    assert "bytes=10-99" in ranges
    assert f"bytes=0-{CHUNK - 1}" in ranges


def test_a_corrupted_object_fails_the_clients_checksum(
    gcs: storage.Client, vertex_emulator: VertexEmulator
) -> None:
    # google-cloud-storage 3 re-exports it as google.cloud.storage.exceptions.DataCorruption.
    from google.resumable_media.common import DataCorruption

    vertex_emulator.put_object(BUCKET, "corrupt.bin", b"original bytes", "text/plain")
    stored = vertex_emulator._objects.get(BUCKET, "corrupt.bin")
    assert stored is not None
    stored.path.write_bytes(b"tampered bytes")  # same size, other content
    with pytest.raises(DataCorruption):
        gcs.bucket(BUCKET).blob("corrupt.bin").download_as_bytes()


def test_listing_with_prefix_delimiter_and_pages(
    gcs: storage.Client, vertex_emulator: VertexEmulator
) -> None:
    for name in ("list/a/1", "list/a/2", "list/b/1", "list/c", "list/d", "other/x"):
        vertex_emulator.put_object(BUCKET, name, name.encode(), "text/plain")
    names = [blob.name for blob in gcs.list_blobs(BUCKET, prefix="list/", page_size=2)]
    assert names == ["list/a/1", "list/a/2", "list/b/1", "list/c", "list/d"]
    assert len(list(gcs.list_blobs(BUCKET, prefix="list/", max_results=2))) == 2
    pages = gcs.list_blobs(BUCKET, prefix="list/", page_size=2)
    assert [len(list(page)) for page in pages.pages] == [2, 2, 1]
    iterator = gcs.list_blobs(BUCKET, prefix="list/", delimiter="/")
    assert [blob.name for blob in iterator] == ["list/c", "list/d"]
    assert iterator.prefixes == {"list/a/", "list/b/"}
    pages = gcs.list_blobs(BUCKET, prefix="list/", delimiter="/", page_size=1)
    seen = [(sorted(page.prefixes), [b.name for b in page]) for page in pages.pages]
    assert seen == [(["list/a/"], []), (["list/b/"], []), ([], ["list/c"]), ([], ["list/d"])]


def test_delete_and_metadata(gcs: storage.Client, vertex_emulator: VertexEmulator) -> None:
    bucket = gcs.get_bucket(BUCKET)
    assert bucket.name == BUCKET
    blob = bucket.blob("gone.txt")
    blob.upload_from_string("bye", content_type="text/plain")
    fetched = bucket.get_blob("gone.txt")
    assert fetched is not None
    assert fetched.content_type == "text/plain"
    assert fetched.size == 3
    blob.delete()
    assert not bucket.blob("gone.txt").exists()
    with pytest.raises(api_exceptions.NotFound):
        blob.delete()


def test_preconditions_refuse_overwriting(gcs: storage.Client) -> None:
    blob = gcs.bucket(BUCKET).blob("once.txt")
    blob.upload_from_string("first", if_generation_match=0)
    with pytest.raises(api_exceptions.PreconditionFailed):
        gcs.bucket(BUCKET).blob("once.txt").upload_from_string("second", if_generation_match=0)
    assert gcs.bucket(BUCKET).blob("once.txt").download_as_bytes() == b"first"


def test_calls_without_a_valid_token_get_401(
    vertex_emulator: VertexEmulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("STORAGE_EMULATOR_HOST", vertex_emulator.storage_host)
    vertex_emulator.put_object(BUCKET, "private.txt", b"secret", "text/plain")
    # google-cloud-storage with AnonymousCredentials tries to refresh them on a 401 and
    # raises google-auth's InvalidOperation, against Google as here.
    anonymous = storage.Client(project=vertex_emulator.project, credentials=AnonymousCredentials())
    with pytest.raises(InvalidOperation):
        list(anonymous.list_blobs(BUCKET))
    url = f"{vertex_emulator.url}/storage/v1/b/{BUCKET}/o/private.txt?alt=media"
    answer = requests.get(url, timeout=10)
    assert answer.status_code == 401
    assert "Anonymous caller" in answer.json()["error"]["message"]
    answer = requests.get(url, headers={"Authorization": "Bearer ya29.forged"}, timeout=10)
    assert answer.status_code == 401
    assert answer.json()["error"]["errors"][0]["reason"] == "authError"


def test_a_resumable_session_can_be_queried_and_cancelled(
    vertex_emulator: VertexEmulator,
) -> None:
    auth = {"Authorization": f"Bearer {vertex_emulator.issue_token()}"}
    start = requests.post(
        f"{vertex_emulator.url}/upload/storage/v1/b/{BUCKET}/o?uploadType=resumable",
        json={"name": "session.bin"},
        headers=auth,
        timeout=10,
    )
    session = start.headers["Location"]
    first = requests.put(
        session, data=b"x" * CHUNK, headers={"Content-Range": f"bytes 0-{CHUNK - 1}/*"}, timeout=10
    )
    assert (first.status_code, first.headers["Range"]) == (308, f"bytes=0-{CHUNK - 1}")
    status = requests.put(session, headers={"Content-Range": "bytes */*"}, timeout=10)
    assert (status.status_code, status.headers["Range"]) == (308, f"bytes=0-{CHUNK - 1}")
    # A chunk that overlaps what was received: the overlap is dropped, as Google does.
    last = requests.put(
        session,
        data=b"x" * 10 + b"y" * 5,
        headers={"Content-Range": f"bytes {CHUNK - 10}-{CHUNK + 4}/{CHUNK + 5}"},
        timeout=10,
    )
    assert last.status_code == 200
    assert last.json()["size"] == str(CHUNK + 5)
    assert vertex_emulator.read_object(BUCKET, "session.bin") == b"x" * CHUNK + b"y" * 5
    again = requests.post(
        f"{vertex_emulator.url}/upload/storage/v1/b/{BUCKET}/o?uploadType=resumable",
        json={"name": "cancelled.bin"},
        headers=auth,
        timeout=10,
    ).headers["Location"]
    assert requests.delete(again, timeout=10).status_code == 499
    assert (
        requests.put(again, headers={"Content-Range": "bytes */*"}, timeout=10).status_code == 404
    )


def test_objects_live_in_files_removed_when_the_emulator_stops(tmp_path: Path) -> None:
    emulator = VertexEmulator().start()
    emulator.put_object("b-1", "x.txt", b"x", "text/plain")
    stored = emulator._objects.get("b-1", "x.txt")
    assert stored is not None
    assert stored.path.read_bytes() == b"x"
    emulator.stop()
    assert not stored.path.exists()
    assert not stored.path.parent.exists()
