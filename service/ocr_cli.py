"""``planocr ocr FILE...``: upload drawing sets, read them, print the sheet index."""

from __future__ import annotations

import argparse


def add_parser(sub: argparse._SubParsersAction) -> None:
    parser = sub.add_parser("ocr", help="read drawing sets and print their sheet index")
    parser.add_argument("files", nargs="+", metavar="FILE")
    parser.set_defaults(func=main)


def main(args: argparse.Namespace) -> int:
    raise SystemExit("not implemented yet")
