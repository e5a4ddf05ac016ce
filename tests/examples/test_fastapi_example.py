"""The FastAPI example (examples/fastapi_app.py) against a real planocr server on a loopback port."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from dataclasses import dataclass

import pytest
from fastapi.testclient import TestClient
from google.protobuf import timestamp_pb2

from examples.fastapi_app import create_app
from planocr.client import PlanocrClient
from testkit.documents import tiff_document

# Every stream here ends by itself (after its summary) or is closed by the test; this only guards against a hang.
pytestmark = pytest.mark.timeout(60)

PAGES = 3


@dataclass
class Event:
    name: str
    data: dict
    id: str | None


def read_events(client: TestClient, url: str, headers: dict[str, str] | None = None) -> list[Event]:
    """GET an event stream and parse it until the server ends it."""
    with client.stream("GET", url, headers=headers or {}) as response:
        assert response.status_code == 200, response.read()
        assert response.headers["content-type"].startswith("text/event-stream")
        return list(parse_sse(response.iter_lines()))


def parse_sse(lines: Iterator[str]) -> Iterator[Event]:
    fields: dict[str, str] = {}
    for line in lines:
        if line == "":
            if "data" in fields:
                yield Event(fields.get("event", "message"), json.loads(fields["data"]), fields.get("id"))
            fields = {}
        elif not line.startswith(":"):
            key, _, value = line.partition(":")
            fields[key] = value.removeprefix(" ")


def nanos(event_id: str) -> int:
    stamp = timestamp_pb2.Timestamp()
    stamp.FromJsonString(event_id)
    return stamp.ToNanoseconds()


@pytest.fixture
def planocr_address(start_server) -> str:
    return start_server().address


@pytest.fixture
def client(planocr_address) -> Iterator[TestClient]:
    # The context manager runs the lifespan: the AsyncPlanocrClient lives on the app's loop.
    with TestClient(create_app(planocr_address)) as test_client:
        yield test_client


def post_drawing_set(client: TestClient, data: bytes, **kwargs) -> dict:
    response = client.post("/drawing-sets", files={"file": ("A-sheets.tif", data, "image/tiff")}, **kwargs)
    assert response.status_code == 202, response.text
    return response.json()


def test_post_returns_202_with_the_operation(client):
    response = client.post("/drawing-sets", files={"file": ("A-sheets.tif", tiff_document(PAGES), "image/tiff")})

    assert response.status_code == 202, response.text
    body = response.json()
    uuid.UUID(body["document_id"])
    assert body["operation"].startswith("operations/")
    assert body["status_url"].endswith(f"/drawing-sets/{body['document_id']}")
    assert body["events_url"].endswith(f"/drawing-sets/{body['document_id']}/events")
    assert response.headers["location"] == body["status_url"]


def test_events_stream_every_page_then_the_summary_and_the_status_shows_them_completed(client):
    created = post_drawing_set(client, tiff_document(PAGES))

    events = read_events(client, created["events_url"])

    names = [event.name for event in events]
    assert names == ["snapshot"] + ["page"] * PAGES + ["summary"]
    snapshot, pages, summary = events[0], events[1:-1], events[-1]
    assert snapshot.data["document_id"] == created["document_id"]
    assert snapshot.data["page_count"] == PAGES
    assert sorted(page.data["page_number"] for page in pages) == list(range(1, PAGES + 1))
    for page in pages:
        assert page.data["state"] == "completed"
        assert page.data["total"] == PAGES
        assert {"sheet_number", "title", "scale", "done"} <= page.data.keys()
        assert page.id == page.data["finish_time"]
    assert summary.data["total_pages"] == PAGES
    assert summary.data["completed"] == PAGES
    assert summary.data["failed"] == 0

    status = client.get(created["status_url"])
    assert status.status_code == 200
    body = status.json()
    assert body["state"] == "done"
    assert body["pages"] == {"pending": 0, "processing": 0, "completed": PAGES, "failed": 0}
    assert body["operation"]["name"] == created["operation"]
    assert body["operation"]["done"] is True
    assert body["operation"]["summary"]["completed"] == PAGES


def test_last_event_id_resumes_after_that_page(client):
    created = post_drawing_set(client, tiff_document(PAGES))
    pages = [event for event in read_events(client, created["events_url"]) if event.name == "page"]
    by_finish = sorted(pages, key=lambda event: (nanos(event.id), event.data["page_number"]))
    first, last = by_finish[0], by_finish[-1]

    resumed = read_events(client, created["events_url"], headers={"Last-Event-ID": first.id})

    assert resumed[0].name == "snapshot"
    assert resumed[-1].name == "summary"
    later = [event.data["page_number"] for event in by_finish if nanos(event.id) > nanos(first.id)]
    assert [event.data["page_number"] for event in resumed[1:-1]] == later
    assert first.data["page_number"] not in later
    assert [event.name for event in resumed[1:-1]] == ["page"] * len(later)

    # From the last page on there is nothing left to report but the summary.
    finished = read_events(client, created["events_url"], headers={"Last-Event-ID": last.id})
    assert [event.name for event in finished] == ["snapshot", "summary"]


def test_a_raw_body_with_a_filename_and_an_idempotency_key(client):
    data = tiff_document(2)
    headers = {"Idempotency-Key": f"drawing-set-{uuid.uuid4()}", "Content-Type": "application/octet-stream"}

    first = client.post("/drawing-sets", params={"filename": "S-sheets.tif"}, content=data, headers=headers)
    again = client.post("/drawing-sets", params={"filename": "S-sheets.tif"}, content=data, headers=headers)

    assert first.status_code == again.status_code == 202, (first.text, again.text)
    assert again.json() == first.json()  # the same document and the same operation
    events = read_events(client, first.json()["events_url"])
    assert [event.name for event in events] == ["snapshot", "page", "page", "summary"]
    assert client.get(first.json()["status_url"]).json()["filename"] == "S-sheets.tif"


def test_a_file_that_is_not_a_drawing_is_400(client):
    response = client.post("/drawing-sets", files={"file": ("A-sheets.pdf", b"not a pdf", "application/pdf")})

    assert response.status_code == 400, response.text
    assert response.json()["code"] == "INVALID_ARGUMENT"


def test_a_raw_body_without_a_filename_is_400(client):
    response = client.post("/drawing-sets", content=tiff_document(1))

    assert response.status_code == 400


def test_a_body_over_the_apps_limit_is_413_and_over_planocrs_limit_too(start_server):
    data = tiff_document(PAGES)
    small_planocr = start_server(max_upload_bytes=len(data) - 1)

    with TestClient(create_app(small_planocr.address, max_upload_bytes=len(data) - 1)) as client:
        assert client.post("/drawing-sets", params={"filename": "big.tif"}, content=data).status_code == 413
        assert client.post("/drawing-sets", files={"file": ("big.tif", data, "image/tiff")}).status_code == 413
    with TestClient(create_app(small_planocr.address)) as client:
        response = client.post("/drawing-sets", params={"filename": "big.tif"}, content=data)
        assert response.status_code == 413
        assert response.json()["reason"] == "UPLOAD_TOO_LARGE"


def test_unknown_documents_are_404(client):
    unknown = uuid.uuid4()

    with client.stream("GET", f"/drawing-sets/{unknown}/events") as response:
        assert response.status_code == 404
        response.read()
        assert response.json()["reason"] == "DOCUMENT_NOT_FOUND"
    assert client.get(f"/drawing-sets/{unknown}").status_code == 404


def test_a_bad_last_event_id_is_400(client):
    created = post_drawing_set(client, tiff_document(1))

    response = client.get(created["events_url"], headers={"Last-Event-ID": "yesterday"})

    assert response.status_code == 400


def test_a_quiet_stream_sends_heartbeats_until_the_client_leaves(planocr_address):
    # Uploaded but never started: nothing reads it, so the watch stays open and quiet.
    with PlanocrClient(planocr_address) as planocr:
        document = planocr.upload(tiff_document(1), filename="idle.tif")

    with TestClient(create_app(planocr_address, heartbeat_seconds=0.05)) as client:
        with client.stream("GET", f"/drawing-sets/{document.document_id}/events") as response:
            assert response.status_code == 200
            lines = response.iter_lines()
            assert next(lines) == "event: snapshot"
            assert ": keep-alive" in (next(lines) for _ in range(10))
        # Leaving the stream cancelled the watch; the app still answers.
        assert client.get(f"/drawing-sets/{document.document_id}").json()["state"] == "incomplete"


def test_planocr_unavailable_is_503():
    with TestClient(create_app("127.0.0.1:1")) as client:
        response = client.get(f"/drawing-sets/{uuid.uuid4()}")

    assert response.status_code == 503
    assert "retry-after" in response.headers
