"""``planocr ocr FILE...``: upload drawing sets, read them, print the sheet index.

Without ``--server`` the service is started in this process on a loopback
port with embedded defaults in a temporary data dir, so the whole path
(upload, gRPC, database, storage, engine) runs. Exit status: 0 when every
page completed, 1 when some failed, 2 for bad usage or unreadable input.
"""

from __future__ import annotations

import argparse
import atexit
import contextlib
import gc
import json
import logging
import os
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

from planocr.core.records import TextSource, TextSourceMode

if TYPE_CHECKING:
    from planocr.rpc.server import PlanocrServer

EXIT_OK, EXIT_FAILED_PAGES, EXIT_BAD_INPUT = 0, 1, 2



def add_parser(sub: argparse._SubParsersAction) -> None:
    parser = sub.add_parser(
        "ocr",
        help="read drawing sets and print their sheet index",
        description="Upload each FILE (PDF, PNG, JPEG, TIFF), read every page and print the sheet index.",
    )
    parser.add_argument("files", nargs="+", metavar="FILE")
    parser.add_argument("--server", metavar="HOST:PORT", help="use a running server instead of an in-process one")
    parser.add_argument("--engine", help="OCR engine (default: the server's)")
    parser.add_argument("--text-source", choices=[str(mode) for mode in TextSourceMode], help="where page text comes from")
    parser.add_argument("--json", action="store_true", help="print one JSON object on stdout and nothing else there")
    parser.add_argument("--force", action="store_true", help="read pages again even if already completed")
    parser.add_argument("--dpi", type=int, default=0, help="render PDF pages at this DPI (default: the server's)")
    parser.add_argument("--token", default=os.environ.get("PLANOCR_TOKEN"), help="bearer token for --server (or PLANOCR_TOKEN)")
    parser.add_argument("--tls", action="store_true", help="connect to --server with TLS")
    parser.add_argument("--ca", metavar="PEM", help="CA certificate for --tls")
    parser.add_argument("--quiet", action="store_true", help="no progress bar")
    parser.add_argument(
        "--detach", action="store_true",
        help="with --server: upload, start reading in the background, print each operation and exit (follow with `planocr watch`)",
    )
    parser.add_argument("--priority", type=int, default=0, help="with --detach: operations with a higher priority are read first")
    parser.set_defaults(func=main)


@contextlib.contextmanager
def local_server(engine: str | None) -> Iterator[PlanocrServer]:
    """The whole service, started in this process on a loopback port over a temporary data dir, then stopped.

    Its database is new and private (a SQLite file in that folder), so its
    schema is created from the models without Alembic; nobody else can see
    it, so it has no reflection, metrics, token or TLS either.
    """
    from planocr.config import Settings
    from planocr.rpc.server import create_server

    with tempfile.TemporaryDirectory(prefix="planocr-ocr-") as data_dir:
        overrides: dict[str, Any] = {
            "listen": "127.0.0.1:0",
            "data_dir": Path(data_dir),
            "database_url": None,
            "storage_url": None,
            "reflection": False,
            "metrics_listen": None,
            "auth_token": None,
            "tls_cert_file": None,
            "tls_key_file": None,
            "tls_client_ca_file": None,
            "grace_seconds": 1.0,
            # Its pages are read by this command's own call; nothing is left for the background.
            "background_work": False,
        }
        if engine:
            overrides["engine"] = engine
        if "PLANOCR_ENGINE_ISOLATION" not in os.environ:
            # One short run for one caller: a worker process would cost its start (about 0.3 s) on
            # every call and protects nothing that outlives the command.
            overrides["engine_isolation"] = "thread"
        settings = Settings(**overrides)
        server, _port = create_server(settings, private_database=True, metrics=False)
        server.start()
        try:
            yield server
        finally:
            server.stop(grace=1.0)


def _client(args: argparse.Namespace, target: str):
    from planocr.client import PlanocrClient

    root = Path(args.ca).read_bytes() if args.ca else None
    return PlanocrClient(target, tls=args.tls, root_certificates=root, token=args.token if args.server else None)


def _page_json(page, error: str | None) -> dict[str, Any]:
    from planocr.v1 import page_pb2

    # "pending", "processing", "completed", "failed" or "unspecified"
    state = page_pb2.PageState.Name(page.state).removeprefix("PAGE_STATE_").lower()
    return {
        "page_number": page.page_number,
        "page_id": page.page_id,
        "state": state,
        "sheet_number": page.sheet_number,
        "title": page.title,
        "scale": page.scale_text,
        "text": page.text,
        "text_source": str(TextSource.from_proto_name(page_pb2.TextSource.Name(page.text_source)) or ""),
        "engine": page.engine,
        "error": error,
    }


def _read_document(client, path: Path, args: argparse.Namespace, progress) -> dict[str, Any]:
    from planocr.client import PlanocrError
    from planocr.v1 import page_pb2

    entry: dict[str, Any] = {"file": str(path), "document_id": "", "pages": []}
    try:
        document = client.upload(path, render_dpi=args.dpi)
    except PlanocrError as error:
        entry["error"] = f"{error.code.name}: {error.message}"
        entry["exit"] = EXIT_BAD_INPUT if error.code.name in ("INVALID_ARGUMENT", "RESOURCE_EXHAUSTED", "NOT_FOUND") else EXIT_FAILED_PAGES
        return entry
    entry["document_id"] = document.document_id
    errors: dict[str, str] = {}
    bar = progress(total=document.page_count, desc=path.name)
    try:
        for event in client.process_document(
            document.document_id, force=args.force, engine=args.engine or "", text_source=args.text_source
        ):
            if event.HasField("page"):
                if event.page.HasField("error"):
                    errors[event.page.page_id] = event.page.error.message
                bar.update(1)
    except PlanocrError as error:
        entry["error"] = f"{error.code.name}: {error.message}"
    finally:
        bar.close()
    for page in client.list_pages(document.document_id, full=True):
        failed = page.state == page_pb2.PAGE_STATE_FAILED
        message = errors.get(page.page_id) or (page.error.message if failed else None)
        entry["pages"].append(_page_json(page, message))
    completed = all(p["state"] == "completed" for p in entry["pages"]) and "error" not in entry
    entry["exit"] = EXIT_OK if completed else EXIT_FAILED_PAGES
    return entry


def _start_document(client, path: Path, args: argparse.Namespace) -> dict[str, Any]:
    """Upload ``path`` and start reading it in the background; the document and its operation."""
    from planocr.client import PlanocrError

    entry: dict[str, Any] = {"file": str(path), "document_id": "", "operation": ""}
    try:
        document = client.upload(path, render_dpi=args.dpi)
        entry["document_id"] = document.document_id
        operation = client.start_document(
            document.document_id, force=args.force, engine=args.engine or "", text_source=args.text_source, priority=args.priority
        )
    except PlanocrError as error:
        entry["error"] = f"{error.code.name}: {error.message}"
        entry["exit"] = EXIT_BAD_INPUT if error.code.name in ("INVALID_ARGUMENT", "RESOURCE_EXHAUSTED", "NOT_FOUND") else EXIT_FAILED_PAGES
        return entry
    entry["operation"] = operation.name
    entry["pages"] = operation.progress.total_pages
    entry["exit"] = EXIT_OK
    return entry


def _print_started(documents: list[dict[str, Any]]) -> None:
    for entry in documents:
        if entry.get("error"):
            print(f"{entry['file']}  error: {entry['error']}")
        else:
            print(f"{entry['file']}  document {entry['document_id']}  {entry['operation']}  ({entry['pages']} pages)")
            print(f"  follow it: planocr watch {entry['document_id']}")


def _print_table(documents: list[dict[str, Any]]) -> None:
    for entry in documents:
        print(f"{entry['file']}  ({entry['document_id'] or 'not uploaded'})")
        if entry.get("error"):
            print(f"  error: {entry['error']}")
        if not entry["pages"]:
            continue
        rows = [("page", "sheet", "title", "scale", "state")] + [
            (str(p["page_number"]), p["sheet_number"], p["title"], p["scale"], p["state"] + (f" ({p['error']})" if p["error"] else ""))
            for p in entry["pages"]
        ]
        widths = [min(max(len(r[i]) for r in rows), 48) for i in range(4)]
        for row in rows:
            cells = [row[i][:48].ljust(widths[i]) for i in range(4)] + [row[4]]
            print("  " + "  ".join(cells).rstrip())


@contextlib.contextmanager
def _collector_paused() -> Iterator[None]:
    """No cycle collections while the start-up (imports, the in-process server) builds its objects.

    The start-up makes some 85,000 objects that live as long as the process;
    the collector's passes over them while they are made cost about a tenth
    of this command's run. Afterwards they are frozen, so later collections
    (while pages are read) look only at what came after.
    """
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        gc.freeze()
        if enabled:
            gc.enable()


def _freeze_at_exit() -> None:
    """Keep the interpreter's teardown from running the cycle collector over everything imported.

    Tearing down the modules triggers collections over the some 85,000
    objects the imports made: a third of a second of this command's run,
    after its work is done. By the time this runs (atexit) the server is
    stopped and its files are closed and deleted, so there is nothing of
    ours left for a collection to finalize; the objects are frozen instead.
    """
    gc.disable()
    gc.freeze()


def main(args: argparse.Namespace) -> int:
    import threading

    from tqdm import tqdm

    atexit.register(_freeze_at_exit)

    # tqdm's default lock is a multiprocessing lock, built on the first bar (a POSIX
    # semaphore and the multiprocessing import); this process has threads only.
    tqdm.set_lock(threading.RLock())

    paths = [Path(f) for f in args.files]
    unreadable = [p for p in paths if not p.is_file() or not os.access(p, os.R_OK)]
    if unreadable:
        for path in unreadable:
            print(f"planocr ocr: cannot read {path}", file=sys.stderr)
        return EXIT_BAD_INPUT
    if args.dpi and not 36 <= args.dpi <= 1200:
        print("planocr ocr: --dpi must be between 36 and 1200", file=sys.stderr)
        return EXIT_BAD_INPUT
    if args.detach and not args.server:
        print("planocr ocr: --detach needs --server: the in-process server stops when this command ends", file=sys.stderr)
        return EXIT_BAD_INPUT
    logging.getLogger().setLevel(logging.WARNING)

    def progress(total: int, desc: str):
        return tqdm(total=total, desc=desc, unit="page", file=sys.stderr, disable=args.quiet, leave=False)

    from pydantic import ValidationError

    from planocr.client import PlanocrError as ClientError
    from planocr.errors import PlanocrError as ServiceError

    try:
        with contextlib.ExitStack() as stack:
            with _collector_paused():
                target = args.server or f"127.0.0.1:{stack.enter_context(local_server(args.engine)).port}"
                client = stack.enter_context(_client(args, target))
            if args.detach:
                documents = [_start_document(client, path, args) for path in paths]
            else:
                documents = [_read_document(client, path, args, progress) for path in paths]
    except (ClientError, ServiceError, ValidationError, OSError) as error:
        # The server could not be started or reached: one readable line, no traceback.
        print(f"planocr ocr: {error}", file=sys.stderr)
        return EXIT_FAILED_PAGES if args.server else EXIT_BAD_INPUT
    status = max(entry.pop("exit") for entry in documents)
    if args.json:
        json.dump({"documents": documents}, sys.stdout, ensure_ascii=False)
        sys.stdout.write("\n")
    elif args.detach:
        _print_started(documents)
    else:
        _print_table(documents)
    return status
