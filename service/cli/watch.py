"""``planocr watch DOCUMENT_ID``: follow a document being read on a running server, then print its sheet index.

It shows a progress bar from WatchDocument (pages read by any replica, in
the background or by other callers) and ends when no page is left pending
or processing. Leaving it (Ctrl-C) does not stop the work. Exit status: 0
when every page completed, 1 when some failed or the server could not be
reached, 2 for a bad document id.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from typing import Any

from planocr.cli.ocr import EXIT_BAD_INPUT, EXIT_FAILED_PAGES, EXIT_OK, _client, _page_json, _print_table

DEFAULT_SERVER = "127.0.0.1:50051"


def add_parser(sub: argparse._SubParsersAction) -> None:
    parser = sub.add_parser(
        "watch",
        help="follow a document being read on a running server, then print its sheet index",
        description="Show the progress of DOCUMENT_ID on a running server until no page is left to read; "
        "leaving does not stop the work.",
    )
    parser.add_argument("document_id", metavar="DOCUMENT_ID")
    parser.add_argument(
        "--server", default=os.environ.get("PLANOCR_SERVER", DEFAULT_SERVER),
        metavar="HOST:PORT", help=f"the server (default PLANOCR_SERVER, else {DEFAULT_SERVER})",
    )
    parser.add_argument("--token", default=os.environ.get("PLANOCR_TOKEN"), help="bearer token (or PLANOCR_TOKEN)")
    parser.add_argument("--tls", action="store_true", help="connect with TLS")
    parser.add_argument("--ca", metavar="PEM", help="CA certificate for --tls")
    parser.add_argument("--json", action="store_true", help="print one JSON object on stdout and nothing else there")
    parser.add_argument("--quiet", action="store_true", help="no progress bar")
    parser.set_defaults(func=main)


def main(args: argparse.Namespace) -> int:
    import threading

    from tqdm import tqdm

    from planocr.client import InvalidArgument, NotFound, PlanocrError
    from planocr.v1 import page_pb2

    tqdm.set_lock(threading.RLock())
    entry: dict[str, Any] = {"file": "", "document_id": args.document_id, "pages": []}
    bar = None
    try:
        with _client(args, args.server) as client:
            for event in client.watch_document(args.document_id):
                kind = event.WhichOneof("event")
                if kind == "snapshot":
                    document = event.snapshot.document
                    entry["file"] = document.filename
                    counts = document.page_counts
                    bar = tqdm(
                        total=document.page_count, initial=counts.completed + counts.failed, desc=document.filename,
                        unit="page", file=sys.stderr, disable=args.quiet, leave=False,
                    )
                elif kind == "page" and bar is not None:
                    bar.n = event.page.done
                    bar.refresh()
            if bar is not None:
                bar.close()
            for page in client.list_pages(args.document_id, full=True):
                failed = page.state == page_pb2.PAGE_STATE_FAILED
                entry["pages"].append(_page_json(page, page.error.message if failed else None))
    except (InvalidArgument, NotFound) as error:
        print(f"planocr watch: {error.message}", file=sys.stderr)
        return EXIT_BAD_INPUT
    except PlanocrError as error:
        print(f"planocr watch: {error.code.name}: {error.message}", file=sys.stderr)
        return EXIT_FAILED_PAGES
    except KeyboardInterrupt:
        return EXIT_FAILED_PAGES
    if args.json:
        json.dump({"documents": [entry]}, sys.stdout, ensure_ascii=False)
        sys.stdout.write("\n")
    else:
        _print_table([entry])
    return EXIT_OK if all(p["state"] == "completed" for p in entry["pages"]) else EXIT_FAILED_PAGES
