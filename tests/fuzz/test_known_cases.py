"""Inputs the property-based tests once found to crash the server, kept as fixed cases."""

from __future__ import annotations

import grpc
import pytest

from planocr.errors import MAX_MESSAGE_BYTES, InvalidArgument, Reason
from planocr.media import imaging
from planocr.v1 import ocr_service_pb2 as pb
from tests.fuzz.conftest import MAX_PIXELS, check_status, seed_files


def test_every_truncation_of_a_multi_page_tiff_is_refused_cleanly():
    """A damaged directory of a later TIFF frame made Pillow raise TypeError or KeyError while seeking."""
    data = seed_files()["tiff"]
    refused = 0
    for cut in range(8, len(data)):
        try:
            frames = list(imaging.decode_frames(data[:cut], MAX_PIXELS))
        except InvalidArgument as error:
            assert error.reason in (Reason.IMAGE_UNREADABLE, Reason.IMAGE_TOO_LARGE)
            refused += 1
        else:
            assert all(image.width > 0 for image, _dpi in frames)
    assert refused > len(data) // 2


def _upload(stub, data: bytes, filename: str):
    messages = [pb.CreateDocumentRequest(metadata=pb.DocumentUpload(filename=filename)), pb.CreateDocumentRequest(chunk=data)]
    try:
        return stub.CreateDocument(iter(messages), timeout=60)
    except grpc.RpcError as error:
        return check_status(error), error


@pytest.mark.parametrize(
    "damage",
    [
        pytest.param(lambda d: d.replace(b"/Type /Page\n", b"/Type /Pagx\n", 1), id="page-object-not-a-page"),
        pytest.param(lambda d: d[: len(d) * 2 // 3], id="truncated"),
    ],
)
def test_pdf_whose_page_cannot_be_loaded_is_invalid_argument(fuzz_server, damage):
    data = damage(seed_files()["pdf"])
    reply = _upload(fuzz_server.stub, data, "set.pdf")
    assert isinstance(reply, tuple), "a PDF with a broken page was accepted"
    code, error = reply
    assert code == grpc.StatusCode.INVALID_ARGUMENT, error.details()


def test_damaged_tiff_upload_is_invalid_argument(fuzz_server):
    data = seed_files()["tiff"]
    for cut in (len(data) - 100, len(data) * 3 // 4, len(data) // 2):
        reply = _upload(fuzz_server.stub, data[:cut], "scan.tif")
        if isinstance(reply, tuple):
            assert reply[0] == grpc.StatusCode.INVALID_ARGUMENT, reply[1].details()


def test_request_id_with_a_nul_character_is_invalid_argument(fuzz_server):
    """PostgreSQL text cannot hold NUL: the idempotency lookup failed with INTERNAL."""
    png = seed_files()["png"]
    messages = [
        pb.CreateDocumentRequest(metadata=pb.DocumentUpload(filename="a.png", request_id="req\x00id")),
        pb.CreateDocumentRequest(chunk=png),
    ]
    with pytest.raises(grpc.RpcError) as info:
        fuzz_server.stub.CreateDocument(iter(messages), timeout=60)
    assert check_status(info.value) == grpc.StatusCode.INVALID_ARGUMENT


@pytest.mark.parametrize("key", ["a" * 300, "é" * 200, "deep/" * 250 + "x.pdf"])
def test_overlong_source_key_is_invalid_argument_not_unavailable(fuzz_server, key):
    """A file name past the file system's limit made local storage answer UNAVAILABLE, inviting retries."""
    request = pb.CreateDocumentRequest(metadata=pb.DocumentUpload(filename="set.pdf", source_key=key))
    with pytest.raises(grpc.RpcError) as info:
        fuzz_server.stub.CreateDocument(iter([request]), timeout=60)
    assert check_status(info.value) == grpc.StatusCode.INVALID_ARGUMENT


@pytest.mark.parametrize("length", [100, 16_000, 1_000_000])
def test_a_long_invalid_id_is_invalid_argument_with_a_short_message(fuzz_server, length):
    """The whole id came back in grpc-message and the details trailer, past the client's 8 KiB limit for them:
    the caller saw RESOURCE_EXHAUSTED instead of INVALID_ARGUMENT."""
    from planocr.client import InvalidArgument, PlanocrClient

    value = "A" * length
    with PlanocrClient(fuzz_server.process.address, retry=None) as client:
        with pytest.raises(InvalidArgument) as info:
            client.get_document(value)
        assert info.value.reason == "INVALID_ID"
        assert len(info.value.message.encode()) <= MAX_MESSAGE_BYTES
        assert "A" * 40 in info.value.message and f"{length:,} characters" in info.value.message
        with pytest.raises(InvalidArgument):
            client.get_page(value)
    for request, method in [
        (pb.ListPagesRequest(document_id=fuzz_server.document_id, page_token=value), fuzz_server.stub.ListPages),
        (pb.ProcessPageRequest(page_id=fuzz_server.page_ids[0], options=pb.ProcessOptions(engine=value)), fuzz_server.stub.ProcessPage),
    ]:
        with pytest.raises(grpc.RpcError) as raised:
            method(request, timeout=30)
        assert check_status(raised.value) == grpc.StatusCode.INVALID_ARGUMENT


@pytest.mark.parametrize(
    "metadata",
    [
        pb.DocumentUpload(filename="set.pdf", content_type="x" * 50_000),
        pb.DocumentUpload(filename="set.pdf", source_key="k/" * 20_000 + "x.pdf"),
        pb.DocumentUpload(filename="set.pdf", source_key="\x00" * 30_000),
        pb.DocumentUpload(filename="f" * 100_000),
        pb.DocumentUpload(filename="set.pdf", request_id="r" * 100_000),
    ],
    ids=["content-type", "source-key", "source-key-nul", "filename", "request-id"],
)
def test_long_upload_metadata_is_refused_with_a_bounded_message(fuzz_server, metadata):
    with pytest.raises(grpc.RpcError) as info:
        fuzz_server.stub.CreateDocument(iter([pb.CreateDocumentRequest(metadata=metadata)]), timeout=60)
    assert check_status(info.value) == grpc.StatusCode.INVALID_ARGUMENT


def test_a_filename_with_nul_says_so(fuzz_server):
    """It was refused as if it were missing ("filename is required")."""
    from planocr.client import InvalidArgument, PlanocrClient

    with PlanocrClient(fuzz_server.process.address, retry=None) as client, pytest.raises(InvalidArgument) as info:
        client.upload(seed_files()["png"], filename="plan\x00.png")
    assert "NUL" in info.value.message
    assert "required" not in info.value.message
