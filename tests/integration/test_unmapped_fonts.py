"""A sheet whose text has no Unicode map (CAD subset fonts), end to end through the real server."""

from __future__ import annotations

import pytest

from planocr.v1 import ocr_service_pb2 as pb
from planocr.v1 import page_pb2
from testkit.cidpdf import EmbeddedFont, sheet_pdf
from testkit.sheets import PAGE_SIZES, SheetSpec
from tests.conftest import make_settings
from tests.integration.test_documents import upload


@pytest.mark.parametrize("font", [EmbeddedFont(), EmbeddedFont(cmap=False, glyph_names=True)], ids=["cmap", "names"])
def test_sheet_in_a_font_without_unicode_map_is_read_from_its_text_layer(start_server, database_url, tmp_path, font):
    spec = SheetSpec(sheet_number="A-101", title=["FIRST FLOOR PLAN"], scale='1/4" = 1\'-0"', layout="corner",
                     page_size=PAGE_SIZES["ANSI B"], seed=11)
    # tesseract is the default engine: were the layer refused, the page would be OCRed instead
    running = start_server(make_settings(tmp_path, database_url, engine="tesseract", render_dpi=150))
    document = upload(running.stub, sheet_pdf(spec, font=font), filename="archicad-export.pdf").document
    (listed,) = running.stub.ListPages(pb.ListPagesRequest(document_id=document.document_id), timeout=10).pages

    reply = running.stub.ProcessPage(pb.ProcessPageRequest(page_id=listed.page_id), timeout=120)

    page = reply.page
    assert page.state == page_pb2.PAGE_STATE_COMPLETED
    assert page.text_source == page_pb2.TEXT_SOURCE_TEXT_LAYER
    assert page.sheet_number == "A-101"
    assert page.title == "FIRST FLOOR PLAN"
    assert " ".join(page.scale_text.split()) == '1/4" = 1\'-0"'
    assert "\ufffd" not in page.text
    assert "RIVERSIDE MEDICAL OFFICE BUILDING" in page.text
