"""Background operations as the RPC layer sees them: start, look up, list, wait for, cancel, delete.

The work itself is :class:`planocr.jobs.background.BackgroundWork`'s, on
every replica; this module only talks to the database and wakes the local
loop. See :mod:`planocr.db.operations` for how operations live there.
"""

from __future__ import annotations

import time
import uuid

from planocr.db.operations import OperationRecord, OperationStore
from planocr.errors import Cancelled
from planocr.jobs.background import BackgroundWork
from planocr.jobs.cancel import CancelToken
from planocr.jobs.pipeline import Pipeline, ProcessOptions

#: How often a waiter re-reads an operation that pages finishing elsewhere may have ended.
POLL_SECONDS = 0.25


class Operations:
    def __init__(self, pipeline: Pipeline, store: OperationStore, work: BackgroundWork | None):
        self.pipeline = pipeline
        self.store = store
        self.work = work

    def start(self, document_id: uuid.UUID, options: ProcessOptions, *, priority: int = 0, request_id: str | None = None) -> tuple[OperationRecord, bool]:
        """Mark the document's pages as wanted (all of them with ``force``) and return the operation at once."""
        self.pipeline.check_options(options)
        operation, created = self.store.start(
            document_id,
            force=options.force,
            engine=options.engine,
            text_source=str(options.text_source) if options.text_source else None,
            priority=priority,
            request_id=request_id,
        )
        if created and self.work is not None:
            self.work.wake()
        return operation, created

    def get(self, operation_id: uuid.UUID) -> OperationRecord:
        return self.store.get(operation_id)

    def list_operations(self, *, document_id: uuid.UUID | None, running: bool | None, offset: int, limit: int) -> list[OperationRecord]:
        return self.store.list_operations(document_id=document_id, running=running, offset=offset, limit=limit)

    def cancel(self, operation_id: uuid.UUID) -> OperationRecord:
        operation = self.store.cancel(operation_id)
        if self.work is not None:
            self.work.cancel_local(operation_id)
        self.pipeline.page_saved.notify()
        return operation

    def delete(self, operation_id: uuid.UUID) -> None:
        self.store.delete(operation_id)

    def wait(self, operation_id: uuid.UUID, until: float, cancel: CancelToken) -> OperationRecord:
        """The operation once it has ended, or as it stands at ``until`` (monotonic)."""
        signal = self.pipeline.page_saved
        while True:
            seen = signal.count
            operation = self.store.get(operation_id)
            left = until - time.monotonic()
            if not operation.running or left <= 0:
                return operation
            if cancel.cancelled:
                raise Cancelled("the caller stopped waiting")
            signal.wait(seen, min(POLL_SECONDS, left))
