"""A planocr server whose ``tesseract`` engine makes one plain pass, like the tesseract command line.

The default engine reads each page several times (orientation, sparse text,
title-block bands, vertical edges). To tell the service's own cost apart
from that extra reading, the comparison with the command line is also run
against this server: one automatic-layout pass (PSM 3, the command line's
default), no extra passes. Run as ``python -m bench.singlepass`` with the
same ``PLANOCR_*`` variables as ``planocr serve``.
"""

from __future__ import annotations

import inspect
import signal
import threading

#: Options that turn the default engine into a single plain pass; ones the
#: engine does not (or no longer) take are left out.
SINGLE_PASS = {"psm": 3, "orientation": False, "coarse": False, "title_block": False, "vertical": False, "enlarge_below": 0}


def single_pass_engine(settings):
    from planocr.engines.tesseract import TesseractEngine

    accepted = inspect.signature(TesseractEngine.__init__).parameters
    options = {k: v for k, v in SINGLE_PASS.items() if k in accepted}
    return TesseractEngine(tessdata=settings.tessdata, **options)


def main() -> None:
    from planocr import logs
    from planocr.config import Settings
    from planocr.engines.registry import EngineRegistry
    from planocr.server import create_server

    settings = Settings()
    logs.configure(settings.log_level, settings.log_format)
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    engines = EngineRegistry("tesseract")
    engines.register(single_pass_engine(settings))
    server, _port = create_server(settings, engines=engines)
    server.start()
    stop.wait()
    server.stop()


if __name__ == "__main__":
    main()
