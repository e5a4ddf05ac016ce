"""The page job: claim, fetch, recognize, parse, save. Knows nothing of gRPC.

Each step that touches the database is its own short transaction; fetching
the image and running the engine happen with no connection held. Transient
failures (database, storage or a remote engine unavailable) are retried with
exponential backoff a bounded number of times; then the page fails with the
last error. A page is never left in ``processing`` by this code: every path
out of a claim either saves a result, saves an error or releases the claim.

The recognize and parse steps of an image run in an engine worker process
(:mod:`planocr.jobs.procworkers`) or, in thread isolation, on the engine runner's
threads (:class:`planocr.jobs.workers.EngineRunner`); this module only reads the
image's header, for the pixel budget.
"""

from __future__ import annotations

import enum
import logging
import math
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, TypeVar

from planocr.config import Settings
from planocr.core import blocks as ocr_blocks
from planocr.core.records import COMPLETED, PENDING, TextSource, TextSourceMode
from planocr.db.repository import PageRecord, PageResult, Repository
from planocr.engines.registry import EngineRegistry
from planocr.errors import (
    Aborted,
    Cancelled,
    FailedPrecondition,
    Internal,
    InvalidArgument,
    NotFound,
    PlanocrError,
    Reason,
)
from planocr.jobs.cancel import CancelToken
from planocr.jobs.waiting import Signal
from planocr.jobs.workers import EngineRunner, PixelBudget
from planocr.media import textlayer
from planocr.media.imaging import image_size
from planocr.reading.sheetreader import ReadingOptions, SheetRead, SheetReader
from planocr.storage import Storage
from planocr.titleblock.context import duplicate_sheet_numbers, refine_document
from planocr.titleblock.rules import rules_from_json
from planocr.titleblock.structure import PageStructure

if TYPE_CHECKING:
    from planocr.jobs.procworkers import EngineProcesses

log = logging.getLogger(__name__)
T = TypeVar("T")

TEXT_SOURCE_MODES = tuple(TextSourceMode)


class Outcome(enum.Enum):
    PROCESSED = "processed"
    ALREADY_COMPLETED = "already_completed"
    PROCESSED_ELSEWHERE = "processed_elsewhere"
    BUSY = "busy"  # leased by another worker right now; the caller decides whether to wait


@dataclass(frozen=True, slots=True)
class ProcessOptions:
    force: bool = False
    engine: str | None = None
    text_source: TextSourceMode | None = None


@dataclass(slots=True)
class PageOutcome:
    """What a page job did. ``error`` is set when the page ended failed."""

    page: PageRecord
    outcome: Outcome
    error: PlanocrError | None = None


def reading_options(settings: Settings) -> ReadingOptions:
    """How much each page may be read beyond its first pass (``PLANOCR_READ_BUDGET`` and the tesseract settings)."""
    return ReadingOptions(
        budget=settings.read_budget,
        enlarge_below=settings.tesseract_enlarge_below,
        lang=settings.tesseract_auto_lang,
    )


def stored_error(page: PageRecord) -> PlanocrError:
    """The domain error saved with a failed page."""
    from planocr.errors import Code, error_for

    code = Code.__members__.get(page.error_code or "", Code.INTERNAL)
    reason = Reason.__members__.get(page.error_reason or "")
    return error_for(code, page.processing_error or "processing failed", reason)


class Pipeline:
    """Runs page jobs against the shared repository, storage and engines."""

    def __init__(
        self,
        settings: Settings,
        repository: Repository,
        storage: Storage,
        engines: EngineRegistry,
        runner: EngineRunner | EngineProcesses,
        *,
        worker_id: str | None = None,
        observer: Callable[[PageOutcome, float], None] | None = None,
    ):
        self.settings = settings
        self.repo = repository
        self.storage = storage
        self.engines = engines
        self.runner = runner
        self.worker_id = worker_id or f"planocr-{uuid.uuid4().hex[:12]}"
        self._observer = observer
        #: Notified each time a page job of this process saves its page (watchers and background work listen).
        self.page_saved = Signal()
        self.reader = SheetReader(reading_options(settings))
        self.pixels = PixelBudget(settings.pixel_budget)

    # -- options ------------------------------------------------------------

    def check_options(self, options: ProcessOptions) -> None:
        """Refuse unknown engines and modes before any page is claimed."""
        if options.text_source is not None and options.text_source not in TEXT_SOURCE_MODES:
            raise InvalidArgument(f"unknown text source mode {options.text_source!r}")
        if isinstance(self.runner, EngineRunner):
            self.engines.get(options.engine)
        else:
            self.engines.check(options.engine)  # built in the worker processes, not here

    # -- the page job -------------------------------------------------------

    def run_page(self, page_id: uuid.UUID, options: ProcessOptions, cancel: CancelToken) -> PageOutcome:
        """Claim and process one page. Returns BUSY without waiting if another worker holds it."""
        if cancel.cancelled:
            raise Cancelled("cancelled before the page was started")
        claim = self._retry(lambda: self.repo.claim_page(page_id, self.worker_id, self.settings.lease_seconds, force=options.force), cancel)
        if not claim.claimed:
            if claim.page.status == COMPLETED:
                return PageOutcome(claim.page, Outcome.ALREADY_COMPLETED)
            return PageOutcome(claim.page, Outcome.BUSY)
        return self.process_claimed(claim.page, options, cancel)

    def process_claimed(self, page: PageRecord, options: ProcessOptions, cancel: CancelToken) -> PageOutcome:
        """Process a page this worker has claimed: save its result or its error, or give it back if cancelled."""
        started = time.monotonic()
        try:
            result = self._retry(lambda: self._read_page(page, options, cancel), cancel, page)
        except Cancelled:
            self._release(page)
            raise
        except PlanocrError as error:
            return self._fail(page, error, started)
        except Exception:
            # A bug in our own code: the page must still not stay in processing.
            log.error("page job crashed for page %s", page.id, exc_info=True)
            return self._fail(page, Internal("internal error while processing the page"), started)
        result.processing_ms = round((time.monotonic() - started) * 1000)
        saved = self._retry(lambda: self.repo.complete_page(page.id, self.worker_id, result), None)
        if saved is None:
            raise Aborted("the page's lease expired and another worker took it over", reason=Reason.LEASE_LOST)
        outcome = PageOutcome(saved, Outcome.PROCESSED)
        self._observe(outcome, started)
        return outcome

    def _fail(self, page: PageRecord, error: PlanocrError, started: float) -> PageOutcome:
        elapsed = round((time.monotonic() - started) * 1000)
        saved = self._retry(lambda: self.repo.fail_page(page.id, self.worker_id, error, elapsed), None)
        if saved is None:
            raise Aborted("the page's lease expired and another worker took it over", reason=Reason.LEASE_LOST)
        outcome = PageOutcome(saved, Outcome.PROCESSED, error)
        self._observe(outcome, started)
        return outcome

    def _release(self, page: PageRecord) -> None:
        try:
            self._retry(lambda: self.repo.release_page(page.id, self.worker_id), None)
        except PlanocrError:
            # The lease will expire on its own; log so an operator can see why it lingered.
            log.warning("could not release page %s; its lease will expire", page.id)

    def _observe(self, outcome: PageOutcome, started: float) -> None:
        self.page_saved.notify()
        if self._observer is not None:
            self._observer(outcome, time.monotonic() - started)

    def _read_page(self, page: PageRecord, options: ProcessOptions, cancel: CancelToken) -> PageResult:
        mode = options.text_source or self.settings.text_source
        read: SheetRead | None = None
        engine_name: str = TextSource.TEXT_LAYER
        if mode in ("auto", "text-layer") and page.text_layer_key:
            words, rules = textlayer.layer_from_json(self._fetch(page.text_layer_key, "text layer"))
            usable, why = textlayer.assess(words, page.width, page.height)
            if usable:
                structure = PageStructure.from_rules(rules_from_json(rules), page.width, page.height) if rules else None
                read = self.reader.read_layer(textlayer.result_from_words(words, page.width, page.height), structure)
            elif mode == "text-layer":
                raise FailedPrecondition(f"the page's text layer is not usable: {why}", reason=Reason.TEXT_LAYER_MISSING)
        elif mode == "text-layer":
            raise FailedPrecondition("the page has no PDF text layer", reason=Reason.TEXT_LAYER_MISSING)
        if read is None:
            read, engine_name = self._ocr(page, options, cancel)
        elif mode == "auto" and self.reader.needs_completion(read, page.dpi):
            # CAD exports often write some text as outlines (SHX fonts) or paste the title block in
            # as an image; the layer then has the notes but not the number.
            read, name = self._ocr(page, options, cancel, read)
            if read.ocr.text_source == TextSource.TEXT_LAYER_AND_OCR:
                engine_name = name
        ocr, title_block = read.ocr, read.title_block
        return PageResult(
            ocr_text=ocr.text,
            ocr_blocks=ocr_blocks.encode(ocr, title_block),
            sheet_number=title_block.value("sheet_number") or None,
            title=title_block.value("sheet_title") or None,
            scale_text=title_block.value("scale") or None,
            engine=engine_name,
            text_source=ocr.text_source,
            rotation=ocr.rotation,
            processing_ms=0,
        )

    def _ocr(self, page: PageRecord, options: ProcessOptions, cancel: CancelToken,
             layer: SheetRead | None = None) -> tuple[SheetRead, str]:
        """The page's image read by the engine (``layer``: a text layer's reading completed); and the engine's name.

        Only the image's header is read here, for its size: the page waits
        for that many pixels of the budget, and the runner decodes it (in a
        worker process, or on this thread in thread isolation).
        """
        data = self._fetch(page.image_key, "page image")
        if cancel.cancelled:
            raise Cancelled("cancelled before OCR")
        width, height = image_size(data, self.settings.max_image_pixels)
        with self.pixels.admit(width * height, cancel) as waited:
            if waited > self.settings.lease_seconds / 4:  # the claim should not run out while the engine reads
                try:
                    self.repo.extend_lease(page.id, self.worker_id, self.settings.lease_seconds)
                except PlanocrError:
                    pass  # saving the result reports a lost lease
            return self.runner.read(self.engines, self.reader, options.engine, data, page.dpi, layer,
                                    self.settings.max_image_pixels, cancel)

    def _fetch(self, key: str, what: str) -> bytes:
        try:
            return self.storage.get(key)
        except NotFound:
            raise FailedPrecondition(f"the {what} ({key}) is missing from storage", reason=Reason.IMAGE_MISSING) from None

    def _retry(self, fn: Callable[[], T], cancel: CancelToken | None, page: PageRecord | None = None) -> T:
        """Call ``fn``, retrying retryable errors with exponential backoff."""
        attempts = self.settings.retry_attempts
        for attempt in range(attempts):
            try:
                return fn()
            except PlanocrError as error:
                if not error.retryable or isinstance(error, Aborted) or attempt == attempts - 1:
                    raise
                delay = self.settings.retry_backoff * math.pow(2, attempt)
                log.info("retrying after %s (%s), attempt %d of %d", error.reason, error.message, attempt + 2, attempts)
                if cancel is not None and cancel.sleep(delay):
                    raise Cancelled("cancelled while waiting to retry") from error
                if cancel is None:
                    time.sleep(delay)
                if page is not None:
                    try:
                        self.repo.extend_lease(page.id, self.worker_id, self.settings.lease_seconds)
                    except PlanocrError:
                        pass  # the next attempt's own database call reports it
        raise AssertionError("unreachable")

    # -- document context -----------------------------------------------------

    def refine_document(self, document_id: uuid.UUID) -> list[str]:
        """Re-read uncertain sheets with the layout the confident ones share; return duplicate sheet numbers.

        Runs after a ProcessDocument run. Only the fields of completed pages
        change; their text and blocks stay as they were read.
        """
        completed = [p.id for p in self.repo.page_states(document_id) if p.status == COMPLETED]
        pages = self.repo.pages_with_results(completed)
        inputs = []
        for page in pages:
            stored = ocr_blocks.decode(page.ocr_blocks)
            width, height = stored.width or page.width, stored.height or page.height
            inputs.append((stored.title_block, stored.lines, width, height))
        refined = refine_document(inputs)
        for page, _, new in zip(pages, inputs, refined, strict=True):
            if new is None:
                continue
            self.repo.update_fields(
                page.id,
                sheet_number=new.value("sheet_number") or None,
                title=new.value("sheet_title") or None,
                scale_text=new.value("scale") or None,
                ocr_blocks=ocr_blocks.with_title_block(page.ocr_blocks, new),
            )
        final = [new or old for (old, *_), new in zip(inputs, refined, strict=True)]
        return duplicate_sheet_numbers(final)


__all__ = [
    "Outcome",
    "PageOutcome",
    "Pipeline",
    "ProcessOptions",
    "PENDING",
    "stored_error",
]
