"""Fixtures for the operability tests: a test PKI and a drawing set to upload."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.operability.helpers import Pki, make_pki
from tests.support.pdfs import text_pdf

#: Words that only the page text contains: log lines must never show them.
PAGE_SECRET_WORDS = "ZEPHYR QUOKKA MANIFOLD"

PAGES = [
    ["A-101 FIRST FLOOR PLAN", f"NOTES {PAGE_SECRET_WORDS}", "SCALE 1/4\" = 1'-0\""],
    ["A-102 SECOND FLOOR PLAN", "KEYNOTE BRAVO", "SCALE 1:100"],
]


@pytest.fixture(scope="module")
def pki(tmp_path_factory) -> Pki:
    return make_pki(tmp_path_factory.mktemp("pki"))


@pytest.fixture(scope="session")
def drawing_set() -> bytes:
    """A two-page PDF with a text layer (read without OCR, so any engine gives the same text)."""
    return text_pdf(PAGES)


@pytest.fixture(scope="session")
def drawing_set_file(tmp_path_factory, drawing_set) -> Path:
    path = tmp_path_factory.mktemp("sets") / "A-sheets.pdf"
    path.write_bytes(drawing_set)
    return path
