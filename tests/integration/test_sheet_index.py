"""The sheet index end to end: a generated multi-sheet set through the real server."""

from __future__ import annotations

import pytest

from planocr.v1 import ocr_service_pb2 as pb
from planocr.v1 import page_pb2
from testkit.sheets import SheetSpec, draw_pdf
from tests.conftest import make_settings
from tests.integration.test_documents import run_document, upload

SPECS = [
    SheetSpec(sheet_number="A-101", title=["FIRST FLOOR PLAN"], scale='1/4" = 1\'-0"', layout="corner"),
    SheetSpec(sheet_number="A-102", title=["SECOND FLOOR", "REFLECTED CEILING PLAN"], scale='1/8" = 1\'-0"', layout="corner"),
    SheetSpec(sheet_number="S2.01", title=["FOUNDATION PLAN"], scale="NTS", layout="corner"),
    SheetSpec(sheet_number="A-102", title=["ROOF PLAN"], scale='1/4" = 1\'-0"', layout="corner"),
]
EXPECTED = [("A-101", "FIRST FLOOR PLAN", '1/4" = 1\'-0"'), ("A-102", "SECOND FLOOR REFLECTED CEILING PLAN", '1/8" = 1\'-0"'),
            ("S2.01", "FOUNDATION PLAN", "NTS"), ("A-102", "ROOF PLAN", '1/4" = 1\'-0"')]


def _normal(text: str) -> str:
    return " ".join(text.replace("’", "'").replace("”", '"').split()).upper()


@pytest.mark.parametrize("mode", [page_pb2.TEXT_SOURCE_MODE_AUTO, page_pb2.TEXT_SOURCE_MODE_OCR])
def test_sheet_index_of_a_generated_set(start_server, tmp_path, mode):
    running = start_server(make_settings(tmp_path, engine="tesseract", render_dpi=200))
    document = upload(running.stub, draw_pdf(SPECS), filename="set.pdf").document
    events = run_document(running.stub, document.document_id, text_source_mode=mode)
    summary = events[-1].summary
    assert summary.completed == 4
    assert list(summary.duplicate_sheet_numbers) == ["A-102"]
    pages = running.stub.ListPages(pb.ListPagesRequest(document_id=document.document_id), timeout=10).pages
    got = [(p.sheet_number, _normal(p.title), _normal(p.scale_text)) for p in pages]
    assert got == [(n, _normal(t), _normal(s)) for n, t, s in EXPECTED]
    for page in pages:
        assert page.title_block.sheet_number.confidence > 0
        assert page.sheet_number in page.detected_sheet_numbers
