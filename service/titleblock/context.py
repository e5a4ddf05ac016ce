"""Document context: sheets of one set share a title-block layout.

The confident sheets of a document show where the sheet number and title
sit (as page fractions, so sheets of another pixel size still match); the
uncertain sheets are read again with that place as a hint. The pipeline
calls :func:`refine_document` after a ProcessDocument run and
:func:`duplicate_sheet_numbers` to flag numbers used twice.
"""

from __future__ import annotations

import statistics
from collections import Counter
from collections.abc import Sequence

from planocr.core.fields import TitleBlockResult
from planocr.core.page import Box, Line
from planocr.titleblock.parser import LayoutHint, parse_title_block

# A field at or above this confidence teaches the layout; below UNCERTAIN it is re-read.
CONFIDENT = 0.8
UNCERTAIN = 0.6
# Confident sheets whose number sits this far apart (page fraction) do not share a layout.
SPREAD = 0.05

Page = tuple[TitleBlockResult, Sequence[Line], int, int]


def _centre(box: Box, width: int, height: int) -> tuple[float, float]:
    cx, cy = box.center
    return cx / width, cy / height


def _learn(pages: Sequence[Page], name: str) -> tuple[float, float] | None:
    """The median position of ``name`` on the confident sheets, if they agree."""
    points = []
    for result, _, width, height in pages:
        found = result.fields.get(name)
        if found is not None and found.box is not None and found.confidence >= CONFIDENT and width and height:
            points.append(_centre(found.box, width, height))
    if len(points) < 2 and not (len(points) == 1 and len(pages) <= 3):
        return None
    mx = statistics.median(p[0] for p in points)
    my = statistics.median(p[1] for p in points)
    agreeing = [p for p in points if abs(p[0] - mx) <= SPREAD and abs(p[1] - my) <= SPREAD]
    if len(agreeing) < max(1, 0.6 * len(points)):
        return None
    return (mx, my)


def _uncertain(result: TitleBlockResult, name: str) -> bool:
    found = result.fields.get(name)
    return found is None or found.confidence < UNCERTAIN


def refine_document(pages: Sequence[Page]) -> list[TitleBlockResult | None]:
    """Re-read the uncertain sheets of one document where its confident sheets keep number and title.

    ``pages`` holds, for every page of the document in order, its current
    result, the lines it was parsed from, and the page width and height.
    Returns one entry per page: a new result where the re-read changed the
    sheet number or title, ``None`` where the page stays as it was.
    """
    number_at = _learn(pages, "sheet_number")
    title_at = _learn(pages, "sheet_title")
    out: list[TitleBlockResult | None] = []
    if number_at is None and title_at is None:
        return [None] * len(pages)
    hint = LayoutHint(number_at=number_at, title_at=title_at)
    for result, lines, width, height in pages:
        if not (_uncertain(result, "sheet_number") or _uncertain(result, "sheet_title")) or not lines:
            out.append(None)
            continue
        again = parse_title_block(lines, width, height, hint=hint)
        merged = _merge(result, again)
        changed = any(merged.value(name) != result.value(name) for name in ("sheet_number", "sheet_title"))
        out.append(merged if changed else None)
    return out


def _merge(old: TitleBlockResult, new: TitleBlockResult) -> TitleBlockResult:
    """The re-read fields where the old ones were uncertain; everything else as before."""
    merged = TitleBlockResult(
        fields=dict(old.fields),
        region=old.region or new.region,
        detected_sheet_numbers=list(old.detected_sheet_numbers),
        detected_titles=list(old.detected_titles),
        detected_scales=list(old.detected_scales),
    )
    for name, detected in (("sheet_number", merged.detected_sheet_numbers), ("sheet_title", merged.detected_titles)):
        fresh = new.fields.get(name)
        if fresh is None or not _uncertain(old, name):
            continue
        previous = old.fields.get(name)
        if previous is None or fresh.confidence > previous.confidence:
            merged.fields[name] = fresh
            if fresh.value not in detected:
                detected.insert(0, fresh.value)
    return merged


def duplicate_sheet_numbers(results: Sequence[TitleBlockResult | None]) -> list[str]:
    """Sheet numbers that more than one page of the document carries, in first-seen order."""
    counts: Counter[str] = Counter()
    spelled: dict[str, str] = {}
    for result in results:
        if result is None:
            continue
        number = result.value("sheet_number").strip()
        if number:
            key = "".join(number.upper().split())
            counts[key] += 1
            spelled.setdefault(key, number)
    return [spelled[key] for key, count in counts.items() if count > 1]
