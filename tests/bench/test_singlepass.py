"""bench.singlepass: the server the scripted tools are also compared with reads each page in one pass."""

from __future__ import annotations

from bench.singlepass import PSM_AUTO, single_pass_engine, single_pass_settings


def test_single_pass_server_reads_a_page_once_upright(monkeypatch):
    from PIL import Image

    settings = single_pass_settings(_env_file=None)
    assert settings.read_budget == 0.0 and settings.tesseract_auto_lang == ""
    engine = single_pass_engine(settings)
    try:
        assert engine.psm == PSM_AUTO and engine.orientation is False and engine.extra_langs == ()
        passes = []
        read = engine._read
        monkeypatch.setattr(engine, "_read", lambda image, dpi, psm, *a: passes.append(psm) or read(image, dpi, psm, *a))
        engine.recognize(Image.new("L", (300, 100), 255), dpi=300)
        assert passes == [PSM_AUTO]
    finally:
        engine.close()
