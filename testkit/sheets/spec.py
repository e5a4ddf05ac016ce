"""What one generated sheet shows: the spec its drawing and its truth both come from."""

from __future__ import annotations

from dataclasses import dataclass, field

POINTS_PER_INCH = 72.0
PAGE_SIZES = {
    "ARCH D": (36 * 72, 24 * 72),
    "ANSI D": (34 * 72, 22 * 72),
    "ARCH C": (24 * 72, 18 * 72),
    "ANSI B": (17 * 72, 11 * 72),
    "A1": (2384, 1684),
    "A2": (1684, 1191),
    "A3": (1191, 842),
}
LETTER_PORTRAIT = (8.5 * 72, 11 * 72)
FONTS = [("Helvetica", "Helvetica-Bold"), ("Times-Roman", "Times-Bold"), ("Courier", "Courier-Bold"), ("Helvetica", "Helvetica")]
LAYOUTS = ("corner", "right", "right-rotated", "bottom", "left", "none")
BLOCK_STYLES = ("labelled", "label-free", "civil")
CONTENTS = ("plan", "cover", "drawing-list", "spec-page", "map")
NO_BLOCK_CONTENTS = ("drawing-list", "spec-page", "map")
NUMBER_STYLES = ("cell", "bubble", "in-title")


@dataclass
class SheetSpec:
    """Everything drawn on one sheet; the truth comes from here.

    The fields after ``seed`` describe the kinds of sheet the classic
    labelled ones do not cover; their defaults draw a classic sheet.
    """

    sheet_number: str = "A-101"
    title: list[str] = field(default_factory=lambda: ["FIRST FLOOR PLAN"])  # lines as drawn
    scale: str | None = '1/4" = 1\'-0"'  # the title-block scale as drawn; None: no scale cell
    scale_truth: list[str] | None = None  # canonical; None: not scored, []: the page shows none
    layout: str = "corner"
    language: str = "en"
    page_size: tuple[float, float] = PAGE_SIZES["ANSI B"]
    fonts: tuple[str, str] = FONTS[0]
    number_label: str | None = "SHEET NO."
    number_size: float = 24.0
    number_split: bool = False  # "TR14" over "-07C" in a narrow box
    number_inline: bool = False  # "Plan-Nr.: 2" in small print, as some German blocks do
    title_size: float = 11.0
    label_size: float = 5.5
    value_size: float = 7.5
    project_name: str = "RIVERSIDE MEDICAL OFFICE BUILDING"
    project_number: str = "2023-014"
    firm: str = "NORTHWIND ARCHITECTS LLC"
    date: str = "05/22/2024"
    revision: str = "2"
    drawn_by: str = "JD"
    checked_by: str = "MK"
    views: list[tuple[str, str]] = field(default_factory=lambda: [("FLOOR PLAN", '1/4" = 1\'-0"')])
    sheet_of: tuple[int, int] | None = None
    distractors: bool = True
    seed: int = 0
    kind: str = "labelled"  # the family it was made as (see choosing.KINDS)
    block_style: str = "labelled"  # labelled, label-free (no title/number/scale labels), civil (DOT block)
    content: str = "plan"  # plan, cover (with a drawing index), or a page without title block
    number_style: str = "cell"  # cell, bubble (civil corner circle), in-title ("FLOOR PLAN: A2.01")
    sheet_total: int | None = None  # the figure under the bar of a number bubble
    number_date: str | None = None  # a date printed right beside or under the sheet number
    number_date_place: str = "under"  # under, beside
    stamp: bool = False  # a professional's seal in a cell next to the title
    crowded: bool = False  # the title cell sits between cells holding the project, its address and the seal
    client: str | None = None
    address: str | None = None
    phase: str | None = None  # FASE / PHASE / STATUS cell
    paper: str | None = None  # FORMATO A1 cell; a paper size is no part of the scale
    inline_fields: bool = False  # small fields as "DATA: 14/07/2017  SCALA: 1:50" lines, as some Italian blocks
    agency: list[str] = field(default_factory=list)  # heading lines of a civil block
    subtitle: list[str] = field(default_factory=list)  # civil lines under the title that are not the title
    index: list[tuple[str, str]] = field(default_factory=list)  # drawing index rows: number, title
    text_mode: str = "text"  # how strings are put in the PDF: "text" (a text layer), "outline" (glyph paths)
    block_text_mode: str | None = None  # the title block's own mode; None: as text_mode

    def __post_init__(self) -> None:
        for name, value, known in (("layout", self.layout, LAYOUTS), ("block_style", self.block_style, BLOCK_STYLES),
                                   ("content", self.content, CONTENTS), ("number_style", self.number_style, NUMBER_STYLES),
                                   ("number_date_place", self.number_date_place, ("under", "beside"))):
            if value not in known:
                raise ValueError(f"SheetSpec.{name} {value!r} is none of {', '.join(known)}")

    def truth_title(self) -> str:
        return " ".join(self.title)

    @property
    def has_block(self) -> bool:
        """Whether the sheet has a title block at all."""
        return self.layout != "none" and self.content not in NO_BLOCK_CONTENTS
