"""Bad input, generated: the server never crashes, never answers INTERNAL or UNKNOWN, and stays small.

Every property talks to one real server process (``fuzz_server``). Requests
are random and malformed ids, options (with enum values the contract does not
know), page tokens and sizes, upload message sequences and metadata, and
valid PNG, JPEG, TIFF and PDF files damaged by random mutations. Each test
ends by checking the process is alive and has logged no crash; the last one
repeats a fixed round of bad input and checks that the resident memory of
the process stops growing.
"""

from __future__ import annotations

import base64
import random
import re
import struct
import uuid
import zlib

import grpc
import pytest
from hypothesis import HealthCheck, currently_in_test_context, event, given, settings
from hypothesis import strategies as st

from planocr.v1 import ocr_service_pb2 as pb
from planocr.v1 import page_pb2
from tests.fuzz.conftest import MAX_UPLOAD_BYTES, check_status, seed_files

SEEDS = seed_files()
INT32 = st.integers(-(2**31), 2**31 - 1)
FUZZ = settings(
    deadline=None,
    max_examples=100,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture, HealthCheck.data_too_large],
)
FILES = settings(FUZZ, max_examples=150)
# Engines that exist but would load large models or call out of the machine are never named.
SAFE_ENGINES = st.one_of(
    st.sampled_from(["", "null", "NULL", "null ", "nope", "tesseract\x00", "../null"]),
    st.text(max_size=40).filter(lambda s: s.strip() not in ("tesseract", "rapidocr", "vision")),
)


def note(outcome: str) -> None:
    """Count outcomes in hypothesis's statistics (pytest --hypothesis-show-statistics)."""
    if currently_in_test_context():
        event(outcome)


def call(fn, request, timeout: float = 30):
    """Make the call; return the reply, or the status code after checking it is an allowed one."""
    try:
        reply = fn(request, timeout=timeout)
        reply = list(reply) if hasattr(reply, "__next__") else reply
        note("answer: OK")
        return reply
    except grpc.RpcError as error:
        code = check_status(error)
        note(f"answer: {code.name}")
        return code


@pytest.fixture(autouse=True)
def _server_survives(fuzz_server):
    since = fuzz_server.log_size()
    yield
    fuzz_server.assert_alive()
    assert fuzz_server.crash_lines(since) == []


# -- strategies --------------------------------------------------------------------------


def ids(known: list[str]):
    """Valid ids the server has, ids it does not, and strings that are no id at all."""
    return st.one_of(
        st.sampled_from(known),
        st.uuids().map(str),
        st.text(max_size=80),
        st.sampled_from(known).map(lambda s: s.upper()),
        st.sampled_from(known).map(lambda s: "{" + s + "}"),
        st.sampled_from(known).map(lambda s: s[:-1]),
        st.sampled_from(known).map(lambda s: s + "\x00"),
        st.binary(max_size=40).map(lambda b: b.hex()),
    )


options = st.builds(
    pb.ProcessOptions,
    force=st.booleans(),
    engine=SAFE_ENGINES,
    text_source_mode=st.one_of(st.sampled_from([0, 1, 2, 3, 4, 5, -1]), INT32),
)
views = st.one_of(st.sampled_from([0, 1, 2, 3, -1]), INT32)


def page_tokens(document_ids: list[str]):
    crafted = st.builds(
        lambda version, doc, after: base64.urlsafe_b64encode(f"{version}:{doc}:{after}".encode()).decode(),
        st.sampled_from(["v1", "v2", "", "v1 "]),
        st.one_of(st.sampled_from(document_ids), st.uuids().map(str), st.text(max_size=10)),
        st.one_of(st.integers(-(2**70), 2**70).map(str), st.text(max_size=12), st.just("1" * 5000)),
    )
    return st.one_of(st.just(""), crafted, st.text(max_size=100), st.binary(max_size=60).map(lambda b: base64.b64encode(b).decode()))


# -- requests ----------------------------------------------------------------------------


@FUZZ
@given(data=st.data(), options=options, view=views, which=st.sampled_from(["get", "process"]))
def test_get_and_process_page_with_random_ids_options_and_views(fuzz_server, data, options, view, which):
    page_id = data.draw(ids(fuzz_server.page_ids), label="page_id")
    if which == "get":
        reply = call(fuzz_server.stub.GetPage, pb.GetPageRequest(page_id=page_id, view=view))
    else:
        reply = call(fuzz_server.stub.ProcessPage, pb.ProcessPageRequest(page_id=page_id, options=options, view=view))
    if isinstance(reply, grpc.StatusCode):
        assert reply in (
            grpc.StatusCode.INVALID_ARGUMENT,
            grpc.StatusCode.NOT_FOUND,
            grpc.StatusCode.FAILED_PRECONDITION,  # text-layer mode on a page without a usable one
        ), reply
    else:
        assert reply.page.page_id in fuzz_server.page_ids


@FUZZ
@given(data=st.data(), size=INT32, view=views)
def test_list_pages_with_random_tokens_sizes_and_views(fuzz_server, data, size, view):
    document_ids = [fuzz_server.document_id]
    document_id = data.draw(ids(document_ids), label="document_id")
    token = data.draw(page_tokens(document_ids), label="page_token")
    request = pb.ListPagesRequest(document_id=document_id, page_size=size, page_token=token, view=view)
    reply = call(fuzz_server.stub.ListPages, request)
    if isinstance(reply, grpc.StatusCode):
        assert reply in (grpc.StatusCode.INVALID_ARGUMENT, grpc.StatusCode.NOT_FOUND), reply
    else:
        assert len(reply.pages) <= min(size or 50, 1000)
        assert reply.total_size == len(fuzz_server.page_ids)


@FUZZ
@given(data=st.data(), options=options, which=st.sampled_from(["get", "process"]))
def test_get_and_process_document_with_random_ids_and_options(fuzz_server, data, options, which):
    document_id = data.draw(ids([fuzz_server.document_id]), label="document_id")
    if which == "get":
        reply = call(fuzz_server.stub.GetDocument, pb.GetDocumentRequest(document_id=document_id))
    else:
        reply = call(fuzz_server.stub.ProcessDocument, pb.ProcessDocumentRequest(document_id=document_id, options=options), 60)
    if isinstance(reply, grpc.StatusCode):
        assert reply in (grpc.StatusCode.INVALID_ARGUMENT, grpc.StatusCode.NOT_FOUND, grpc.StatusCode.FAILED_PRECONDITION), reply
    elif which == "process":
        assert reply[0].WhichOneof("event") == "started" and reply[-1].WhichOneof("event") == "summary"
        for event in reply[1:-1]:
            assert event.page.error.code not in (2, 13), event.page.error


metadata = st.builds(
    pb.DocumentUpload,
    filename=st.one_of(st.sampled_from(["set.pdf", "a.png", "", "x" * 600, "a\x00.pdf", "../../etc/passwd", "scan.tif"]), st.text(max_size=60)),
    content_type=st.one_of(st.sampled_from(["", "application/pdf", "image/png", "image/tiff", "image/jpeg", "text/html", "image/png; x=1"]), st.text(max_size=30)),
    request_id=st.one_of(st.just(""), st.text(max_size=40), st.sampled_from(["r" * 257, "id\x00", "fuzz-fixed"])),
    source_key=st.one_of(
        st.just(""),
        st.text(max_size=40),
        st.sampled_from(["../secret", "/etc/passwd", "documents/", "a//b", "fuzz/none.png", "a\\b", "./x", "documents/x/../../y"]),
        st.text(min_size=200, max_size=1500),
    ),
    render_dpi=st.one_of(st.sampled_from([0, 35, 36, 72, 1200, 1201, -1]), INT32),
)
chunks = st.binary(max_size=2048)
one_message = st.one_of(metadata.map(lambda m: pb.CreateDocumentRequest(metadata=m)), chunks.map(lambda c: pb.CreateDocumentRequest(chunk=c)))
# A valid file under random metadata (so the metadata is what decides), sometimes followed by stray messages.
valid_file_upload = st.builds(
    lambda meta, kind, size, tail: [pb.CreateDocumentRequest(metadata=meta)]
    + [pb.CreateDocumentRequest(chunk=SEEDS[kind][i : i + size]) for i in range(0, len(SEEDS[kind]), size)]
    + tail,
    metadata,
    st.sampled_from(sorted(SEEDS)),
    st.integers(1, 4096),
    st.lists(one_message, max_size=2),
)
messages = st.one_of(st.lists(one_message, max_size=6), valid_file_upload)


def _upload(stub, sequence, timeout: float = 60):
    try:
        reply = stub.CreateDocument(iter(sequence), timeout=timeout)
        note("upload: created")
        return reply
    except grpc.RpcError as error:
        code = check_status(error)
        note(f"upload: {code.name}")
        return code


@FUZZ
@given(sequence=messages)
def test_upload_streams_with_random_message_sequences_and_metadata(fuzz_server, sequence):
    reply = _upload(fuzz_server.stub, sequence)
    if isinstance(reply, grpc.StatusCode):
        assert reply in (grpc.StatusCode.INVALID_ARGUMENT, grpc.StatusCode.NOT_FOUND, grpc.StatusCode.RESOURCE_EXHAUSTED), reply
    else:
        assert reply.document.page_count >= 1


# -- files -------------------------------------------------------------------------------


def _png_with_size(width: int, height: int) -> bytes:
    """A PNG whose header claims ``width`` x ``height`` (the pixel data is only one row)."""

    def chunk(kind: bytes, body: bytes) -> bytes:
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))

    header = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(b"\x00" * 1024)) + chunk(b"IEND", b"")


MUTATIONS = ("flip", "set", "truncate", "insert", "delete", "duplicate", "number")


def mutate(data: bytes, ops: list[tuple[str, int, int, bytes]]) -> bytes:
    """Apply (op, position, amount, payload) mutations; positions are taken modulo the length."""
    out = bytearray(data)
    for op, position, amount, payload in ops:
        if not out:
            out += payload
            continue
        at = position % len(out)
        if op == "flip":
            out[at] ^= 1 << (amount % 8)
        elif op == "set":
            out[at] = amount % 256
        elif op == "truncate":
            del out[max(1, at):]
        elif op == "insert":
            out[at:at] = payload
        elif op == "delete":
            del out[at : at + amount % 512]
        elif op == "duplicate":
            out[at:at] = out[at : at + amount % 4096]
        elif op == "number":
            # Rewrite the next number in the text (PDF sizes, counts, offsets, lengths).
            match = re.compile(rb"-?\d+").search(bytes(out), at)
            if match:
                out[match.start() : match.end()] = str(amount * (-1 if payload[:1] == b"-" else 1)).encode()
    return bytes(out)


mutation = st.tuples(
    st.sampled_from(MUTATIONS),
    st.integers(0, 2**20),
    st.one_of(st.integers(0, 300), st.integers(0, 2**40)),
    st.binary(max_size=32),
)
damaged_files = st.one_of(
    st.tuples(st.sampled_from(sorted(SEEDS)), st.lists(mutation, min_size=1, max_size=5)).map(lambda t: mutate(SEEDS[t[0]], t[1])),
    st.tuples(st.sampled_from([b"%PDF-1.7\n", b"\x89PNG\r\n\x1a\n", b"II*\x00", b"MM\x00*", b"\xff\xd8\xff\xe0", b""]), st.binary(max_size=4096)).map(
        lambda t: t[0] + t[1]
    ),
    st.tuples(st.integers(0, 2**31 - 1), st.integers(0, 2**31 - 1)).map(lambda wh: _png_with_size(*wh)),
)


@FILES
@given(data=damaged_files, chunk=st.integers(1, 64 * 1024), filename=st.sampled_from(["set.pdf", "scan.png", "scan.tif", "scan.jpg", "file"]))
def test_damaged_files_are_refused_or_read_never_crash(fuzz_server, data, chunk, filename):
    sequence = [pb.CreateDocumentRequest(metadata=pb.DocumentUpload(filename=filename))]
    sequence += [pb.CreateDocumentRequest(chunk=data[i : i + chunk]) for i in range(0, len(data), chunk)]
    reply = _upload(fuzz_server.stub, sequence)
    if isinstance(reply, grpc.StatusCode):
        assert reply in (grpc.StatusCode.INVALID_ARGUMENT, grpc.StatusCode.RESOURCE_EXHAUSTED), reply
        return
    # Accepted: every page it made can be read, each reported once, none with a server fault.
    events = call(fuzz_server.stub.ProcessDocument, pb.ProcessDocumentRequest(document_id=reply.document.document_id), 120)
    assert not isinstance(events, grpc.StatusCode), events
    pages = [e.page for e in events if e.WhichOneof("event") == "page"]
    assert len(pages) == reply.document.page_count == len({p.page_id for p in pages})
    for page in pages:
        assert page.state == page_pb2.PAGE_STATE_COMPLETED or page.error.code not in (2, 13), page.error


@FILES
@given(data=damaged_files)
def test_damaged_page_images_in_storage_fail_only_their_page(fuzz_server, data):
    """Bytes that skipped the upload checks (written by the existing app, or damaged in storage)."""
    page_id = fuzz_server.seed_page(data)
    reply = call(fuzz_server.stub.ProcessPage, pb.ProcessPageRequest(page_id=page_id), 60)
    if isinstance(reply, grpc.StatusCode):
        assert reply == grpc.StatusCode.INVALID_ARGUMENT, reply
        stored = fuzz_server.repository.get_page(uuid.UUID(page_id))
        assert stored.status == "error" and stored.error_reason in ("IMAGE_UNREADABLE", "IMAGE_TOO_LARGE")
    else:
        assert reply.page.state == page_pb2.PAGE_STATE_COMPLETED


# -- memory ------------------------------------------------------------------------------


def _fixed_round(stub, rng: random.Random) -> None:
    """The same mix of bad and good input each time it is given the same seed."""
    for _ in range(12):
        kind = rng.choice(sorted(SEEDS))
        ops = [(rng.choice(MUTATIONS), rng.randrange(2**20), rng.randrange(300), rng.randbytes(8)) for _ in range(rng.randint(1, 4))]
        data = mutate(SEEDS[kind], ops)
        reply = _upload(stub, [pb.CreateDocumentRequest(metadata=pb.DocumentUpload(filename=f"f.{kind}")), pb.CreateDocumentRequest(chunk=data)])
        if not isinstance(reply, grpc.StatusCode):
            call(stub.ProcessDocument, pb.ProcessDocumentRequest(document_id=reply.document.document_id), 120)
    for width, height in ((70_000, 70_000), (2000, 1999), (1, 2**31 - 1)):
        _upload(stub, [pb.CreateDocumentRequest(metadata=pb.DocumentUpload(filename="big.png")), pb.CreateDocumentRequest(chunk=_png_with_size(width, height))])
    too_big = [pb.CreateDocumentRequest(metadata=pb.DocumentUpload(filename="huge.pdf"))]
    too_big += [pb.CreateDocumentRequest(chunk=b"%PDF-1.7\n" + b"\0" * (1024 * 1024))] * (MAX_UPLOAD_BYTES // (1024 * 1024) + 2)
    assert _upload(stub, too_big) == grpc.StatusCode.RESOURCE_EXHAUSTED


def test_memory_stays_bounded_under_repeated_bad_input(fuzz_server):
    _fixed_round(fuzz_server.stub, random.Random(7))  # warm-up: caches, pools and arenas reach their size
    _fixed_round(fuzz_server.stub, random.Random(7))
    start = fuzz_server.rss()
    sizes = []
    for _ in range(4):
        _fixed_round(fuzz_server.stub, random.Random(7))
        sizes.append(fuzz_server.rss())
    growth = max(sizes) - start
    # Shown with pytest -s; docs/reliability.md quotes it.
    print(f"\nserver RSS after warm-up {start >> 20} MiB, after each identical round {[s >> 20 for s in sizes]} MiB")
    assert growth < 48 * 1024 * 1024, f"RSS grew by {growth / 2**20:.0f} MiB over four identical rounds: {[s >> 20 for s in sizes]} MiB"
    assert max(sizes) < 1024 * 1024 * 1024, f"RSS reached {max(sizes) >> 20} MiB"
