"""A planocr server whose pages get one plain tesseract pass, like the tesseract command line.

The default service reads a page with an orientation step, a sparse-text
pass (and a layout pass for running text), then closer looks at the title
block within its reading budget (:mod:`planocr.reading.sheetreader`). To tell the
service's own cost apart from that extra reading, the comparison with the
command line is also run against this server: one automatic-layout pass
(PSM 3, the command line's default) of an upright page, and a reading
budget of 0 (no second look). Run as ``python -m bench.singlepass`` with
the same ``PLANOCR_*`` variables as ``planocr serve``.
"""

from __future__ import annotations

import signal
import threading

#: The command line's page segmentation: automatic layout.
PSM_AUTO = 3


def single_pass_engine(settings):
    """The tesseract engine with the service's models, reading every page upright in one PSM 3 pass."""
    from planocr.engines.tesseract import TesseractEngine

    engine = TesseractEngine(tessdata=settings.tessdata, lang=settings.tesseract_lang, extra_langs=(),
                             psm=PSM_AUTO, orientation=False)
    engine.max_pixels = settings.max_image_pixels
    return engine


def single_pass_settings(**overrides):
    """The server's settings from ``PLANOCR_*``, with no reading beyond the first pass."""
    from planocr.config import Settings

    return Settings(**{"read_budget": 0.0, "tesseract_enlarge_below": 0, "tesseract_auto_lang": "", **overrides})


def main() -> None:
    from planocr import logs
    from planocr.engines.registry import EngineRegistry
    from planocr.rpc.server import create_server

    settings = single_pass_settings()
    logs.configure(settings.log_level, settings.log_format)
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    engines = EngineRegistry("tesseract")
    # by its path, so that engine worker processes build it too
    engines.register_path("tesseract", "bench.singlepass:single_pass_engine", settings=settings)
    server, _port = create_server(settings, engines=engines)
    server.start()
    stop.wait()
    server.stop()


if __name__ == "__main__":
    main()
