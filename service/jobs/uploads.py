"""CreateDocument: store a drawing set and create its pages, all or nothing.

The file is read to the end (refused as soon as it passes the size limit),
checked, split into page images (PDF pages rendered, TIFF frames decoded),
and every object is stored under ``documents/<id>/``. Only then are the
document and its pages inserted, in one transaction. If anything fails on
the way, or the caller cancels or runs out of time, rendering stops before
the next page and the objects written so far are deleted: no document, no
pages, no orphaned objects.

A process can die half way, where it deletes nothing. So before the first
object is written the upload commits a claim on its prefix
(``upload_claims``), renews it while it runs, and hands its objects over to
the document in the transaction that inserts it (the claim is deleted
there). The sweeper (:class:`Sweeper`, at start and every
``PLANOCR_SWEEP_INTERVAL``) deletes the objects of every claim whose owner
stopped renewing it: its lease ran out, or it was a process on this machine
that no longer exists. The objects keep the keys documents always had, so
the rows, the FastAPI app and older documents read them as before; the
sweeper goes by the claims and never lists or judges objects no claim names.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import logging
import mimetypes
import os
import re
import secrets
import socket
import threading
import time
import uuid
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

from pypdfium2 import PdfiumError
from sqlalchemy import exc as sa_exc

from planocr.config import Settings
from planocr.db.models import as_utc, utcnow
from planocr.db.repository import DocumentRecord, NewPage, Repository, UploadClaimRecord
from planocr.errors import (
    Cancelled,
    DeadlineExceeded,
    InvalidArgument,
    NotFound,
    PlanocrError,
    Reason,
    ResourceExhausted,
    quote,
)
from planocr.media import imaging, pdf, textlayer
from planocr.storage import Storage, clean_key
from planocr.titleblock.rules import find_rules, rules_to_json

log = logging.getLogger(__name__)

_EXTENSIONS = {imaging.PDF: ".pdf", imaging.PNG: ".png", imaging.JPEG: ".jpg", imaging.TIFF: ".tif"}


def _rendered_pages(data: bytes, dpi: int, max_pixels: int) -> Iterator[pdf.RenderedPage]:
    """``pdf.render_pages``, with PDFium refusing to load a page counted as bad input, not a crash."""
    try:
        yield from pdf.render_pages(data, dpi, max_pixels)
    except PdfiumError as exc:
        # e.g. a page-tree entry whose object is not a page: PDFium opens the file, then fails on the page.
        raise InvalidArgument("a page of the PDF cannot be read (damaged file)", reason=Reason.PDF_UNREADABLE) from exc


class Stop(Protocol):
    """What an upload watches to stop early: set when the caller went away or the server is stopping."""

    @property
    def cancelled(self) -> bool: ...

    @property
    def expired(self) -> bool:
        """True when it was set because the caller's deadline passed."""
        ...


@dataclass(frozen=True, slots=True)
class UploadRequest:
    filename: str
    content_type: str = ""
    request_id: str = ""
    source_key: str = ""
    render_dpi: int = 0


def document_prefix(document_id: uuid.UUID) -> str:
    """Where an upload stores a document's objects."""
    return f"documents/{document_id}/"


_PREFIX = re.compile(r"^documents/([0-9a-f-]{36})/$")


@dataclass(frozen=True, slots=True)
class ProcessIdentity:
    """Names this process in upload claims, so a later process on the same machine can tell it is gone.

    ``machine`` is the host name, the kernel's boot id and the pid
    namespace: two processes with the same ``machine`` see each other's
    process ids. A claim whose owner has this machine and a pid that no
    longer exists (or our own pid with another token, which can only be an
    earlier process that had it) belongs to a dead process, and the sweeper
    need not wait for its lease. Claims from other machines, and from an
    earlier container (a restarted container has a new pid namespace), are
    judged by their lease alone: a shared host name is not enough to tell
    that a process is gone.
    """

    machine: str
    pid: int
    token: str

    @classmethod
    def current(cls) -> ProcessIdentity:
        return cls(_machine(), os.getpid(), secrets.token_hex(4))

    @property
    def owner(self) -> str:
        return f"{self.machine}/{self.pid}/{self.token}"

    def outlived(self, owner: str) -> bool:
        """True when ``owner`` is a process on this machine that no longer runs."""
        parts = owner.rsplit("/", 2)
        if len(parts) != 3 or not self.machine or parts[0] != self.machine or owner == self.owner:
            return False
        try:
            pid = int(parts[1])
        except ValueError:
            return False
        if pid == self.pid:
            return True  # our own pid in our own namespace, with another token: an earlier process that had it
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return True
        except OSError:
            return False  # alive, owned by another user
        return False


def _machine() -> str:
    """Host name, boot id and pid namespace; empty when they cannot be read (claims then wait for their lease)."""
    try:
        boot = Path("/proc/sys/kernel/random/boot_id").read_text().strip()[:8]
        namespace = os.stat("/proc/self/ns/pid").st_ino
    except OSError:
        return ""
    host = socket.gethostname().replace("/", "_")[:48]
    return f"{host}~{boot}~{namespace}"


@dataclass(slots=True)
class SweepResult:
    """What one sweep did: the prefixes it deleted, and when it should look again for claims it had to leave."""

    deleted: list[str] = field(default_factory=list)
    next_expiry: dt.datetime | None = None


class Uploads:
    """CreateDocument's work, and the claims and sweeps that keep the store free of abandoned uploads' objects."""

    def __init__(self, settings: Settings, repository: Repository, storage: Storage, identity: ProcessIdentity | None = None):
        self.settings = settings
        self.repo = repository
        self.storage = storage
        self.identity = identity or ProcessIdentity.current()
        self.owner = self.identity.owner
        self._lock = threading.Lock()
        self._active: set[uuid.UUID] = set()

    # -- an upload ------------------------------------------------------------

    def create(
        self, request: UploadRequest, chunks: Iterable[bytes], stop: Stop | None = None, deadline: float | None = None
    ) -> tuple[DocumentRecord, bool]:
        """Create the document; returns it and False when ``request_id`` matched an earlier upload.

        ``stop`` (a cancel token) and ``deadline`` (a ``time.monotonic()``
        value) are checked between chunks, between pages and once more inside
        the transaction before it commits: a caller that cancels or whose
        deadline passes gets CANCELLED or DEADLINE_EXCEEDED within one page,
        and nothing it sent stays behind.
        """
        self._check_request(request)
        if request.request_id:
            earlier = self.repo.find_document_by_request_id(request.request_id)
            if earlier is not None:
                return earlier, False
        if request.source_key:
            data = self._read_source(request.source_key)
        else:
            data = self._read_chunks(chunks, stop, deadline)
        media_type = self._media_type(request, data)
        self._check_stop(stop, deadline)
        document_id = uuid.uuid4()
        prefix = document_prefix(document_id)
        # Committed before the first object is written: from here on, every object has a row that claims it.
        self.repo.claim_upload(document_id, prefix, self.owner, self.settings.upload_lease_seconds)
        with self._lock:
            self._active.add(document_id)
        try:
            source_key = request.source_key or f"{prefix}source{_EXTENSIONS[media_type]}"
            if not request.source_key:
                self.storage.put(source_key, bytes(data), media_type)
            dpi = request.render_dpi or self.settings.render_dpi
            pages = list(self._store_pages(prefix, media_type, data, dpi, stop, deadline))
            self._check_stop(stop, deadline)
            record = self.repo.create_document(
                document_id=document_id,
                filename=request.filename,
                content_type=media_type,
                source_key=source_key,
                size_bytes=len(data),
                sha256=hashlib.sha256(data).hexdigest(),
                request_id=request.request_id or None,
                pages=pages,
                claim_owner=self.owner,
                before_commit=lambda: self._check_stop(stop, deadline),
            )
        except sa_exc.IntegrityError:
            self._undo(document_id, prefix)
            earlier = self.repo.find_document_by_request_id(request.request_id) if request.request_id else None
            if earlier is None:
                raise
            return earlier, False
        except BaseException:
            self._undo(document_id, prefix)
            raise
        finally:
            with self._lock:
                self._active.discard(document_id)
        return record, True

    @staticmethod
    def _check_stop(stop: Stop | None, deadline: float | None) -> None:
        if (deadline is not None and time.monotonic() >= deadline) or (stop is not None and stop.expired):
            raise DeadlineExceeded("the upload did not finish before the caller's deadline")
        if stop is not None and stop.cancelled:
            raise Cancelled("the upload was cancelled")

    def _undo(self, document_id: uuid.UUID, prefix: str) -> None:
        """Delete what a failed upload stored, then its claim; if the store does not answer, the sweeper will."""
        try:
            self.storage.delete_prefix(prefix)
        except PlanocrError:
            log.warning("could not remove the objects of a failed upload under %s; the sweeper will", prefix)
            return  # the claim stays; no longer renewed, it expires and the sweeper takes it
        try:
            self.repo.drop_upload_claim(document_id, self.owner)
        except PlanocrError:
            log.warning("could not drop the claim of a failed upload under %s; it will expire", prefix)

    # -- claims and the sweeper ------------------------------------------------

    def renew_claims(self) -> int:
        """Extend the claims of the uploads running in this process; returns how many there are."""
        with self._lock:
            active = list(self._active)
        if active:
            self.repo.renew_upload_claims(self.owner, active, self.settings.upload_lease_seconds)
        return len(active)

    def release_claims(self) -> int:
        """Let any sweeper take this process's claims now (the process is about to exit)."""
        return self.repo.expire_upload_claims(self.owner)

    def sweep(self) -> SweepResult:
        """Delete the objects of every abandoned upload, then its claim.

        A claim is abandoned when its lease ran out, or when its owner was a
        process on this machine that no longer exists. It is taken over
        (conditionally: its owner must be the one read) before anything is
        deleted, so the upload that held it can no longer commit.
        """
        result = SweepResult()
        now = utcnow()
        with self._lock:
            active = set(self._active)
        for claim in self.repo.upload_claims():
            if claim.id in active:
                continue
            if claim.expired(now):
                taken = self.repo.take_upload_claim(claim, self.owner, self.settings.upload_lease_seconds, only_if_expired=True)
            elif self.identity.outlived(claim.owner):
                taken = self.repo.take_upload_claim(claim, self.owner, self.settings.upload_lease_seconds, only_if_expired=False)
            else:
                expiry = as_utc(claim.expires_at)
                result.next_expiry = expiry if result.next_expiry is None else min(result.next_expiry, expiry)
                continue
            if taken and self._clear(claim):
                result.deleted.append(claim.prefix)
        if result.deleted:
            log.info("swept the objects of %d abandoned upload(s)", len(result.deleted), extra={"prefixes": result.deleted[:20]})
        return result

    def _clear(self, claim: UploadClaimRecord) -> bool:
        match = _PREFIX.match(claim.prefix)
        if match is None or match.group(1) != str(claim.id):
            # Not a prefix an upload writes: leave the objects alone, drop nothing.
            log.warning("upload claim %s names the prefix %s, which no upload writes; left alone", claim.id, quote(claim.prefix))
            return False
        try:
            self.storage.delete_prefix(claim.prefix)
        except PlanocrError as error:
            log.warning("could not sweep %s (%s); the claim stays for a later sweep", claim.prefix, error.reason)
            return False
        try:
            self.repo.drop_upload_claim(claim.id, self.owner)
        except PlanocrError:
            pass  # the objects are gone; the claim expires and the next sweep finds nothing to delete
        return True

    def _check_request(self, request: UploadRequest) -> None:
        if not request.filename:
            raise InvalidArgument("metadata.filename is required")
        if len(request.filename) > 512:
            raise InvalidArgument(f"metadata.filename is {len(request.filename):,} characters long; at most 512 are allowed")
        if "\x00" in request.filename:
            # PostgreSQL text cannot hold NUL.
            raise InvalidArgument("metadata.filename must not contain NUL characters")
        if request.content_type and request.content_type not in imaging.SUPPORTED_TYPES:
            raise InvalidArgument(
                f"content type {quote(request.content_type)} is not supported; use one of {', '.join(imaging.SUPPORTED_TYPES)}",
                reason=Reason.UNSUPPORTED_MEDIA_TYPE,
            )
        if len(request.request_id) > 256:
            raise InvalidArgument("metadata.request_id is longer than 256 characters")
        if "\x00" in request.request_id:
            # PostgreSQL text cannot hold NUL; the driver would fail the lookup with a bare ValueError.
            raise InvalidArgument("metadata.request_id must not contain NUL characters")
        if request.render_dpi and not 36 <= request.render_dpi <= 1200:
            raise InvalidArgument("metadata.render_dpi must be between 36 and 1200")
        if request.source_key:
            clean_key(request.source_key)

    def _read_source(self, key: str) -> bytes:
        try:
            data = self.storage.get(key)
        except NotFound:
            raise NotFound(f"no object {quote(key)} in storage", reason=Reason.OBJECT_NOT_FOUND) from None
        self._check_size(len(data))
        return data

    def _read_chunks(self, chunks: Iterable[bytes], stop: Stop | None, deadline: float | None) -> bytes:
        buffer = bytearray()
        for chunk in chunks:
            buffer += chunk
            self._check_size(len(buffer))
            self._check_stop(stop, deadline)
        if not buffer:
            raise InvalidArgument("the upload has no file bytes", reason=Reason.UPLOAD_INCOMPLETE)
        return bytes(buffer)

    def _check_size(self, size: int) -> None:
        if size > self.settings.max_upload_bytes:
            raise ResourceExhausted(
                f"the upload is larger than the limit of {self.settings.max_upload_bytes:,} bytes",
                reason=Reason.UPLOAD_TOO_LARGE,
                metadata={"max_upload_bytes": str(self.settings.max_upload_bytes)},
            )

    def _media_type(self, request: UploadRequest, data: bytes) -> str:
        sniffed = imaging.sniff_media_type(data[:1024])
        declared = request.content_type or mimetypes.guess_type(request.filename)[0] or ""
        if declared == imaging.PDF and sniffed != imaging.PDF:
            raise InvalidArgument("the file is labelled as a PDF but is not one", reason=Reason.PDF_UNREADABLE)
        if sniffed is None:
            raise InvalidArgument(
                "the file is not a PDF, PNG, JPEG or TIFF", reason=Reason.UNSUPPORTED_MEDIA_TYPE
            )
        return sniffed

    def _store_pages(
        self, prefix: str, media_type: str, data: bytes, dpi: int, stop: Stop | None, deadline: float | None
    ) -> Iterator[NewPage]:
        """Render or decode each page and store it; ``stop`` and ``deadline`` are checked as each page is ready.

        Leaving the loop closes the renderer, so no page after the current one is rendered.
        """
        if media_type == imaging.PDF:
            for rendered in _rendered_pages(data, dpi, self.settings.max_page_pixels):
                self._check_stop(stop, deadline)
                number = rendered.index + 1
                image_key = f"{prefix}pages/{number:04d}.png"
                self.storage.put(image_key, imaging.encode_png(rendered.image, rendered.dpi), imaging.PNG)
                words_key = None
                if rendered.words:
                    words_key = f"{prefix}pages/{number:04d}.words.json"
                    layer = textlayer.layer_to_json(rendered.words, rules_to_json(find_rules(rendered.image, rendered.dpi)))
                    self.storage.put(words_key, layer, "application/json")
                yield NewPage(number, image_key, rendered.image.width, rendered.image.height, rendered.dpi, words_key)
            return
        count = 0
        for index, (image, image_dpi) in enumerate(imaging.decode_frames(data, self.settings.max_image_pixels)):
            self._check_stop(stop, deadline)
            number = index + 1
            image_key = f"{prefix}pages/{number:04d}.png"
            self.storage.put(image_key, imaging.encode_png(image, image_dpi), imaging.PNG)
            count += 1
            yield NewPage(number, image_key, image.width, image.height, image_dpi)
        if count == 0:
            raise InvalidArgument("the image has no pages", reason=Reason.DOCUMENT_EMPTY)


class Housekeeper:
    """Two background threads: one renews the claims of this process's uploads, one sweeps abandoned uploads.

    The first sweep runs at start. Later sweeps run every ``interval``
    seconds, and sooner when a sweep left a claim whose lease had not run out
    yet: then again just after it does, so the objects of a process that
    died elsewhere go as soon as its lease allows.
    """

    def __init__(self, uploads: Uploads, interval: float, lease: float):
        self.uploads = uploads
        self.interval = interval
        self.lease = lease
        self._stop = threading.Event()
        self._threads: list[threading.Thread] = []
        self.swept = threading.Event()  # set after each sweep that finished (tests wait on it)

    def start(self) -> None:
        for target, name in ((self._renew_loop, "planocr-upload-claims"), (self._sweep_loop, "planocr-sweeper")):
            thread = threading.Thread(target=target, name=name, daemon=True)
            thread.start()
            self._threads.append(thread)

    def stop(self, timeout: float = 5.0) -> None:
        self._stop.set()
        for thread in self._threads:
            thread.join(timeout)

    def _renew_loop(self) -> None:
        while not self._stop.wait(self.lease / 3):
            try:
                self.uploads.renew_claims()
            except PlanocrError as error:
                log.warning("could not renew the claims of uploads in progress (%s)", error.reason)

    def _sweep_loop(self) -> None:
        while not self._stop.is_set():
            wait = self.interval
            try:
                result = self.uploads.sweep()
            except PlanocrError as error:
                log.warning("the sweep for abandoned uploads failed (%s); trying again later", error.reason)
                wait = min(self.interval, self.lease)
            else:
                self.swept.set()
                if result.next_expiry is not None:
                    until = (result.next_expiry - utcnow()).total_seconds() + 0.5
                    wait = min(wait, max(until, 0.5))
            if self._stop.wait(wait):
                return
