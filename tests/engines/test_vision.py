"""The Cloud Vision engine against a fake ImageAnnotator gRPC server on a loopback port.

The real ``google-cloud-vision`` client talks to the fake over an insecure
channel, so request building, retry, timeout and response conversion are the
library's own. The fake decodes each image it is sent and answers with one
word per ink blob it finds, in that image's pixels: boxes mapped back to the
page are then checked against where the test drew the blobs.
"""

from __future__ import annotations

import io
import threading
import time
from collections.abc import Callable, Iterator
from concurrent import futures

import grpc
import pytest
from google.cloud import vision
from google.cloud.vision_v1.services.image_annotator.transports import ImageAnnotatorGrpcTransport
from google.cloud.vision_v1.types import BatchAnnotateImagesRequest, BatchAnnotateImagesResponse
from PIL import Image, ImageChops, ImageDraw, ImageOps

from planocr.config import Settings
from planocr.engines.registry import build_engine
from planocr.engines.vision import VisionEngine
from planocr.errors import FailedPrecondition, InvalidArgument, Reason, ResourceExhausted, Unavailable

Behaviour = Callable[[BatchAnnotateImagesRequest, grpc.ServicerContext], BatchAnnotateImagesResponse]


def _vertices(x0: int, y0: int, x1: int, y1: int, angle: int = 0) -> list[dict]:
    """Corners in reading order from the text's top left, as Vision lists them."""
    tl, tr, br, bl = (x0, y0), (x1, y0), (x1, y1), (x0, y1)
    order = {0: (tl, tr, br, bl), 90: (bl, tl, tr, br), 180: (br, bl, tl, tr), 270: (tr, br, bl, tl)}[angle]
    return [{"x": x, "y": y} for x, y in order]


def _word(text: str, box: tuple[int, int, int, int], confidence: float = 0.9, angle: int = 0, symbol_conf: float = 0.0) -> dict:
    return {
        "bounding_box": {"vertices": _vertices(*box, angle)},
        "confidence": confidence,
        "symbols": [{"text": ch, "confidence": symbol_conf} for ch in text],
    }


def annotate(words: list[dict], width: int, height: int) -> dict:
    return {
        "full_text_annotation": {
            "pages": [{"width": width, "height": height, "blocks": [{"paragraphs": [{"words": words}]}]}],
            "text": " ".join("".join(s["text"] for s in w["symbols"]) for w in words),
        }
    }


def ink_words(request: BatchAnnotateImagesRequest, _context) -> BatchAnnotateImagesResponse:
    """One word "INK" per image, boxed around all dark pixels of that image."""
    responses = []
    for item in request.requests:
        image = Image.open(io.BytesIO(item.image.content)).convert("L")
        box = ImageOps.invert(image).point(lambda v: 255 if v > 128 else 0).getbbox()
        words = [_word("INK", box, 0.8)] if box else []
        responses.append(annotate(words, image.width, image.height))
    return BatchAnnotateImagesResponse(responses=responses)


class FakeVision:
    """Answers BatchAnnotateImages with a script of behaviours, the last one repeated."""

    def __init__(self) -> None:
        self.requests: list[BatchAnnotateImagesRequest] = []
        self.script: list[Behaviour] = [ink_words]
        self.release = threading.Event()

    def batch_annotate_images(self, request: BatchAnnotateImagesRequest, context: grpc.ServicerContext):
        self.requests.append(request)
        behaviour = self.script[min(len(self.requests), len(self.script)) - 1]
        return behaviour(request, context)


@pytest.fixture
def fake() -> Iterator[tuple[FakeVision, str]]:
    servicer = FakeVision()
    server = grpc.server(futures.ThreadPoolExecutor(max_workers=4), options=[("grpc.max_receive_message_length", 64 << 20)])
    handler = grpc.method_handlers_generic_handler(
        "google.cloud.vision.v1.ImageAnnotator",
        {
            "BatchAnnotateImages": grpc.unary_unary_rpc_method_handler(
                servicer.batch_annotate_images,
                request_deserializer=BatchAnnotateImagesRequest.deserialize,
                response_serializer=BatchAnnotateImagesResponse.serialize,
            )
        },
    )
    server.add_generic_rpc_handlers((handler,))
    port = server.add_insecure_port("127.0.0.1:0")
    server.start()
    yield servicer, f"127.0.0.1:{port}"
    servicer.release.set()
    server.stop(0)


def engine_for(address: str, **options) -> VisionEngine:
    channel = grpc.insecure_channel(address, options=[("grpc.max_send_message_length", 64 << 20)])
    client = vision.ImageAnnotatorClient(transport=ImageAnnotatorGrpcTransport(channel=channel))
    return VisionEngine(client=client, **options)


def page_with_blobs(size: tuple[int, int], blobs: list[tuple[int, int, int, int]]) -> Image.Image:
    image = Image.new("L", size, 255)
    draw = ImageDraw.Draw(image)
    for x0, y0, x1, y1 in blobs:
        draw.rectangle((x0, y0, x1 - 1, y1 - 1), fill=0)
    return image


def test_response_becomes_words_lines_boxes_and_confidences(fake):
    servicer, address = fake
    words = [
        _word("SHEET", (100, 50, 220, 80), 0.97),
        _word("A-101", (240, 50, 360, 80), 0.0, symbol_conf=0.5),
        _word("NOTES", (100, 300, 220, 330), 0.88),
        # runs up the right edge: listed from its own top left, the bottom left corner
        _word("VERTICAL", (560, 100, 590, 300), 0.9, angle=90),
    ]
    servicer.script = [lambda request, _ctx: BatchAnnotateImagesResponse(responses=[annotate(words, 600, 400)])]
    result = engine_for(address, language_hints=["en", "de"]).recognize(Image.new("L", (600, 400), 255), dpi=150)

    assert (result.width, result.height, result.rotation, result.engine) == (600, 400, 0, "vision")
    assert [line.text for line in result.lines] == ["SHEET A-101", "VERTICAL", "NOTES"]
    by_text = {w.text: w for w in result.words}
    assert by_text["SHEET"].box.to_list() == [100, 50, 120, 30]
    assert by_text["SHEET"].confidence == pytest.approx(0.97)
    assert by_text["A-101"].confidence == pytest.approx(0.5)  # from the symbols when the word has none
    assert by_text["VERTICAL"].angle == 90 and by_text["VERTICAL"].box.to_list() == [560, 100, 30, 200]
    sent = servicer.requests[0].requests[0]
    assert [f.type_ for f in sent.features] == [vision.Feature.Type.DOCUMENT_TEXT_DETECTION]
    assert list(sent.image_context.language_hints) == ["en", "de"]
    assert Image.open(io.BytesIO(sent.image.content)).size == (600, 400)


def test_page_scanned_sideways_is_reported_upright(fake):
    servicer, address = fake
    # The page was turned a quarter clockwise: its text now runs top to bottom.
    words = [_word("PLAN", (50, 20, 80, 200), 0.9, angle=270), _word("A-1", (50, 220, 80, 300), 0.9, angle=270)]
    servicer.script = [lambda request, _ctx: BatchAnnotateImagesResponse(responses=[annotate(words, 400, 600)])]
    result = engine_for(address).recognize(Image.new("L", (400, 600), 255))

    assert (result.rotation, result.width, result.height) == (270, 600, 400)
    assert result.text == "PLAN A-1"
    plan = result.words[0]
    assert plan.angle == 0
    # (50..80, 20..200) turned 270 clockwise in a 400 x 600 image: x = y, y = 400 - x
    assert plan.box.to_list() == [20, 320, 180, 30]


def test_large_page_is_tiled_and_boxes_map_back(fake):
    servicer, address = fake
    blobs = [(100, 200, 400, 260), (1500, 900, 1800, 960)]
    page = page_with_blobs((2000, 1200), blobs)
    result = engine_for(address, tile_pixels=1_000_000, overlap=100).recognize(page)

    sent = [Image.open(io.BytesIO(r.image.content)) for r in servicer.requests[0].requests]
    assert len(sent) >= 3 and all(im.width * im.height <= 1_000_000 for im in sent)
    assert sorted(w.box.to_list() for w in result.words) == [[100, 200, 300, 60], [1500, 900, 300, 60]]


def test_image_over_the_byte_limit_is_downscaled_and_mapped_back(fake):
    servicer, address = fake
    # Light grey speckle (not ink) makes the PNG far larger than the limit.
    speckle = Image.effect_noise((1600, 1000), 60).point(lambda v: 200 + v // 5)
    page = ImageChops.darker(page_with_blobs((1600, 1000), [(400, 300, 1000, 500)]), speckle)
    engine = engine_for(address, tile_bytes=20_000)
    result = engine.recognize(page)

    sent = servicer.requests[0].requests[0].image.content
    assert len(sent) <= 20_000
    assert Image.open(io.BytesIO(sent)).width < 1600
    (word,) = result.words
    for got, want in zip(word.box.to_list(), [400, 300, 600, 200], strict=True):
        assert abs(got - want) <= 8


def test_per_image_error_becomes_domain_error(fake):
    servicer, address = fake
    servicer.script = [
        lambda request, _ctx: BatchAnnotateImagesResponse(
            responses=[{"error": {"code": 3, "message": "Bad image data."}}]
        )
    ]
    with pytest.raises(InvalidArgument) as caught:
        engine_for(address).recognize(Image.new("L", (100, 100), 255))
    assert caught.value.reason == Reason.ENGINE_FAILED
    assert "Bad image data" in caught.value.message

    servicer.script = [lambda request, _ctx: BatchAnnotateImagesResponse(responses=[{"error": {"code": 8, "message": "quota"}}])]
    with pytest.raises(ResourceExhausted):
        engine_for(address).recognize(Image.new("L", (100, 100), 255))


def test_unavailable_then_success_is_retried(fake):
    servicer, address = fake

    def unavailable(request, context):
        context.abort(grpc.StatusCode.UNAVAILABLE, "try again")

    servicer.script = [unavailable, ink_words]
    result = engine_for(address, timeout=10).recognize(page_with_blobs((300, 200), [(10, 10, 60, 40)]))
    assert len(servicer.requests) == 2
    assert [w.text for w in result.words] == ["INK"]


def test_unavailable_for_good_stops_within_the_timeout(fake):
    servicer, address = fake

    def unavailable(request, context):
        context.abort(grpc.StatusCode.UNAVAILABLE, "down")

    servicer.script = [unavailable]
    started = time.monotonic()
    with pytest.raises(Unavailable) as caught:
        engine_for(address, timeout=1.0).recognize(Image.new("L", (100, 100), 255))
    assert time.monotonic() - started < 3
    assert caught.value.retryable
    assert len(servicer.requests) >= 2


def test_other_call_errors_are_not_retried(fake):
    servicer, address = fake

    def denied(request, context):
        context.abort(grpc.StatusCode.PERMISSION_DENIED, "Vision API has not been enabled")

    servicer.script = [denied]
    with pytest.raises(FailedPrecondition) as caught:
        engine_for(address).recognize(Image.new("L", (100, 100), 255))
    assert caught.value.reason == Reason.ENGINE_UNAVAILABLE
    assert len(servicer.requests) == 1


def test_deadline(fake):
    servicer, address = fake

    def slow(request, context):
        servicer.release.wait(5)
        return ink_words(request, context)

    servicer.script = [slow]
    started = time.monotonic()
    with pytest.raises(Unavailable) as caught:
        engine_for(address, timeout=0.5).recognize(Image.new("L", (100, 100), 255))
    assert time.monotonic() - started < 2
    assert caught.value.reason == Reason.ENGINE_TIMEOUT


def test_settings_reach_the_engine(tmp_path):
    settings = Settings(
        data_dir=tmp_path,
        vision_endpoint="vision.example.internal:443",
        vision_timeout=7,
        vision_language_hints="en, de",
        max_image_pixels=5_000_000,
    )
    engine = build_engine("vision", settings)
    assert (engine.endpoint, engine.timeout, engine.language_hints, engine.max_pixels) == (
        "vision.example.internal:443",
        7,
        ["en", "de"],
        5_000_000,
    )


def test_missing_credentials_are_reported(monkeypatch, tmp_path):
    monkeypatch.setenv("GOOGLE_APPLICATION_CREDENTIALS", str(tmp_path / "missing.json"))
    with pytest.raises(FailedPrecondition) as caught:
        VisionEngine(endpoint="127.0.0.1:1").recognize(Image.new("L", (10, 10), 255))
    assert caught.value.reason == Reason.ENGINE_UNAVAILABLE
    assert "credentials" in caught.value.message
