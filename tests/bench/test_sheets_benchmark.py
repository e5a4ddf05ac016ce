"""The sheets benchmark on a tiny generated stand-in: rows per kind, ratios from the times, accuracy shares."""

from __future__ import annotations

import pytest

from bench import report, sheets
from planocr.config import Settings
from tools.eval import FIELDS, KINDS


@pytest.fixture(scope="module")
def result(tmp_path_factory):
    # Low render DPI keeps the OCR of the outline page short; raster images keep their own DPI.
    settings = Settings(_env_file=None, render_dpi=72)
    absent = tmp_path_factory.mktemp("no-real") / "eval-real"
    return sheets.run(1, real=absent, engine="tesseract", tools=(), generated_count=1, settings=settings)


def test_real_section_is_skipped_when_its_folder_is_absent(result):
    assert set(result["sets"]["real"]) == {"skipped"}
    assert "eval-real" in result["sets"]["real"]["skipped"]


def test_every_page_kind_has_a_row_with_planocr_and_the_floor(result):
    generated = result["sets"]["generated"]
    assert set(generated["kinds"]) == set(KINDS)
    for kind, row in generated["kinds"].items():
        assert row["pages"] == sum(1 for p in generated["pages"] if p["kind"] == kind) == 1
        assert {"planocr", "floor"} <= set(row)
        assert "tesseract" not in row and "ocrmypdf" not in row  # tools not asked for


def test_ratios_are_the_measured_times_over_the_floor(result):
    generated = result["sets"]["generated"]
    for kind, row in generated["kinds"].items():
        pages = [p for p in generated["pages"] if p["kind"] == kind]
        floor = sum(p["floor"]["seconds"] for p in pages)
        planocr = sum(p["planocr"]["seconds"] for p in pages)
        assert floor > 0 and planocr > 0
        assert row["floor"]["vs_floor"] == 1.0
        assert row["planocr"]["vs_floor"] == round(planocr / floor, 2)
        assert row["planocr"]["seconds_per_page"] == pytest.approx(planocr / len(pages), abs=1e-4)


def test_accuracy_is_a_share_of_scored_pages(result):
    for row in result["sets"]["generated"]["kinds"].values():
        for reader in ("planocr", "floor"):
            present = row[reader]["number_present"]
            if present:
                assert 0 <= present["right"] <= present["scored"]
                assert 0.0 <= present["share"] <= 1.0
        for name in FIELDS:
            field = row["planocr"]["fields"][name]
            if field:
                assert 0.0 <= field["share"] <= 1.0
                assert field["share"] == round(field["right"] / field["scored"], 3)
    # the vector page's text layer holds its sheet number: planocr reads it from there
    assert result["sets"]["generated"]["kinds"]["vector"]["planocr"]["number_present"]["share"] == 1.0


def test_results_keep_no_text_of_the_sheets(result):
    for page in result["sets"]["generated"]["pages"]:
        assert "text" not in str(page) and "file" not in page


def test_report_puts_the_sheets_table_first_and_says_why_the_real_set_is_missing(result):
    machine = {"date": "d", "cpu": "c", "cores": 2, "memory_gb": 1, "os": "o", "kernel": "k", "python": "p",
               "grpcio": "g", "libtesseract": "t", "postgresql": "not used", "planocr_commit": "x"}
    text = report.render({"sheets": {**result, "machine": machine, "minutes": 0.1, "cpu_pressure": [None, None]}})
    assert text.index("## Drawing sheets against one engine pass (the headline)") < text.index("## The machine")
    assert "Not run: no truth.json in" in text
    for kind in KINDS:
        assert f"| {kind} (1 page) | planocr" in text


@pytest.mark.parametrize(("text", "number", "present"), [
    ("SHEET NO. A-101 FLOOR PLAN", "A-101", True),
    ("sheet a-101", "A-101", True),
    ("S 1.0 GENERAL NOTES", "S1.0", True),
    ("A101 A1010", "A10", False),
    ("DETAIL 3/A5", "A5", True),
    ("", "A5", False),
])
def test_number_present_wants_the_number_as_words(text, number, present):
    assert sheets.number_present(text, number) is present
