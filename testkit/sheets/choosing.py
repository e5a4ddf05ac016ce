"""Random sheet specs, one builder per kind of sheet.

``labelled`` is the classic sheet the title-block parser was written for
(English or German labelled cells). The other kinds are what real sets
also hold: label-free blocks, blocks labelled in Italian, French, Spanish
or Dutch, multi-line titles among busy neighbours, cover sheets with a
drawing index, blocks without a number, civil sheets numbered in a corner
bubble, numbers printed after the title or beside a date, scales only under
a view title, and pages with no title block at all.
"""

from __future__ import annotations

import random
from collections import Counter
from dataclasses import replace

from testkit.sheets import vocabulary as vocab
from testkit.sheets.spec import FONTS, LAYOUTS, LETTER_PORTRAIT, NO_BLOCK_CONTENTS, PAGE_SIZES, SheetSpec

KINDS = ("labelled", "label-free", "foreign", "multi-line", "cover", "no-number", "civil", "number-in-title",
         "date-near-number", "view-scale", "drawing-list", "spec-page", "map")
KIND_WEIGHTS = (30, 16, 16, 8, 4, 4, 6, 3, 3, 4, 2, 2, 2)


def random_spec(rng: random.Random, seed: int = 0, *, layout: str | None = None, language: str | None = None,
                kind: str | None = None) -> SheetSpec:
    """One random sheet of ``kind`` (default: the classic labelled sheet); layout and language can be fixed.

    A labelled sheet in Italian, French, Spanish or Dutch is the ``foreign``
    kind. Civil sheets keep their block in the corner and pages without a
    block ignore ``layout``; ``layout="none"`` leaves any other sheet without
    its block (and so without a number, title or scale in the truth).
    """
    kind = kind or "labelled"
    if kind not in KINDS:
        raise ValueError(f"unknown sheet kind {kind!r}; known: {', '.join(KINDS)}")
    if language is not None and language not in vocab.LANGUAGES:
        raise ValueError(f"unknown language {language!r}; known: {', '.join(vocab.LANGUAGES)}")
    if kind == "labelled" and language in vocab.FOREIGN:
        kind = "foreign"
    if kind == "labelled":
        return _classic(rng, seed, layout=layout, language=language)
    spec = _BUILDERS[kind](rng, seed, layout=layout, language=language)
    if spec.layout == "none" and spec.content not in NO_BLOCK_CONTENTS:  # the sheet shows no block, so no fields
        spec = replace(spec, sheet_number="", title=[], scale=None, scale_truth=None, number_style="cell")
    return spec


def random_kind(rng: random.Random) -> str:
    """A kind of sheet, as often as ``write_set`` mixes it in."""
    return rng.choices(KINDS, weights=KIND_WEIGHTS)[0]


# --- the classic sheet ---------------------------------------------------------------------------


def _classic(rng: random.Random, seed: int, *, layout: str | None, language: str | None) -> SheetSpec:
    language = language or ("de" if rng.random() < 0.3 else "en")
    layout = layout or rng.choices(LAYOUTS, weights=[30, 16, 14, 18, 12, 4])[0]
    number, split = vocab.classic_sheet_number(rng, language)
    if language == "de":
        title = rng.choice(vocab.DE_TITLES)
        view_scale = rng.choice(vocab.METRIC)
    else:
        kind = rng.random()
        title = f"{rng.choice(vocab.EN_LEVELS)} {rng.choice(vocab.EN_KINDS)}" if kind < 0.55 else rng.choice(vocab.EN_OTHER)
        view_scale = rng.choice(vocab.ENG_SCALES) if "SITE" in title else rng.choice(vocab.ARCH_SCALES)
    title_lines = [title]
    if len(title) > 22 and rng.random() < 0.45:
        words = title.split()
        cut = max(1, len(words) // 2)
        title_lines = [" ".join(words[:cut]), " ".join(words[cut:])]
    views = [(title.upper() if language == "en" else title, view_scale)]
    if rng.random() < 0.35:
        views.append(("DETAIL" if language == "en" else "Detail", rng.choice(vocab.ARCH_SCALES if language == "en" else vocab.METRIC)))
    scale_kind = rng.random()
    if scale_kind < 0.6:
        scale, truth = view_scale, [view_scale]
    elif scale_kind < 0.7:
        scale, truth = rng.choice(["NTS", "NOT TO SCALE", "N.T.S."]), ["NTS"]
        views = [(views[0][0], "NTS")]
    elif scale_kind < 0.82:
        scale, truth = ("AS NOTED" if language == "en" else "wie angegeben"), None
        if language == "en":
            truth = ["AS NOTED"]
    else:
        scale = None
        distinct = {v[1] for v in views}
        truth = [views[0][1]] if len(distinct) == 1 else None
    fonts = rng.choice(FONTS)
    page_name = rng.choice(list(PAGE_SIZES))
    page = PAGE_SIZES[page_name]
    big = page[0] > 2000
    if language == "de":
        number_label = rng.choice(["Plan-Nr.", "Plannummer", "Blatt", "Plan-Nr.:", None])
    else:
        number_label = rng.choice(["SHEET NO.", "SHEET", "DWG NO.", "DRAWING NUMBER", "PLAN REF NO", "SHEET NUMBER", None])
    if number.isdigit() and number_label is None:
        number_label = "Plan-Nr."
    inline = language == "de" and number_label is not None and rng.random() < 0.15 and not split
    spec = SheetSpec(
        sheet_number=number,
        title=title_lines,
        scale=vocab.drawn_scale(scale, rng) if scale else None,
        scale_truth=truth,
        layout=layout,
        language=language,
        page_size=page,
        fonts=fonts,
        number_label=number_label,
        number_size=rng.uniform(16, 34) if big else rng.uniform(14, 24),
        number_split=split,
        number_inline=inline,
        title_size=rng.uniform(9, 15) if big else rng.uniform(8, 12),
        label_size=rng.uniform(5, 7),
        value_size=rng.uniform(7, 9),
        project_name=rng.choice(vocab.DE_PROJECTS if language == "de" else vocab.EN_PROJECTS),
        project_number=rng.choice([f"20{rng.randint(10, 25)}-{rng.randint(1, 99):03d}", f"{rng.randint(100, 999)}-{rng.randint(10, 99)}-{rng.randint(100, 999)}", str(rng.randint(10000, 99999))]),
        firm=rng.choice(vocab.DE_FIRMS if language == "de" else vocab.EN_FIRMS),
        date=(f"{rng.randint(1, 28):02d}.{rng.randint(1, 12):02d}.20{rng.randint(10, 25)}" if language == "de"
              else rng.choice([f"{rng.randint(1, 12):02d}/{rng.randint(1, 28):02d}/20{rng.randint(10, 25)}", f"MAY {rng.randint(1, 28)}, 2024"])),
        revision=rng.choice(["0", "1", "2", "A", "B", "C"]),
        drawn_by=rng.choice(vocab.PEOPLE),
        checked_by=rng.choice(vocab.PEOPLE),
        views=views,
        sheet_of=(rng.randint(1, 9), rng.randint(10, 40)) if rng.random() < 0.3 else None,
        seed=seed,
    )
    if layout == "none":
        spec = replace(spec, sheet_number="", title=[], scale=None, scale_truth=None)
    return spec


# --- modern sheets: the common ground of the new kinds ---------------------------------------


def _paper_scale(canonical: str, paper: str, rng: random.Random) -> str:
    """``1:100`` as UK and Australian blocks write it with the sheet size: ``1:100 @ A1``, ``1 : 100 at A1``."""
    ratio = canonical if rng.random() < 0.6 else canonical.replace(":", " : ")
    return f"{ratio} {rng.choice(['@', 'at', '@'])} {paper}"


def _modern(rng: random.Random, seed: int, *, kind: str, language: str | None = None, layout: str | None = None,
            block_style: str = "labelled", long_title: bool | None = None, single_view: bool = False,
            scale_in_block: bool | None = None) -> SheetSpec:
    """A sheet with a modern block: labels in the sheet's language, or none on the title, number and scale."""
    language = language or rng.choices(vocab.LANGUAGES, weights=[55, 10, 9, 9, 9, 8])[0]
    lang = vocab.LANGUAGE[language]
    layout = layout or rng.choices(("right", "corner", "bottom", "right-rotated", "left"), weights=[40, 28, 18, 8, 6])[0]
    metric = language != "en" or rng.random() < 0.25
    page_name = rng.choice(["A1", "A2", "A3"] if metric else ["ARCH D", "ANSI D", "ARCH C", "ANSI B"])
    page = PAGE_SIZES[page_name]
    big = page[0] > 2000
    if long_title is None:
        long_title = rng.random() < (0.75 if block_style == "label-free" else 0.3)
    if long_title:
        title = rng.choice(lang.long_titles)
        lines = vocab.title_lines(title, rng.randint(2, 4))
    else:
        title = rng.choice(lang.titles)
        lines = vocab.title_lines(title, 2) if len(title) > 20 and rng.random() < 0.4 else [title]
    if metric:
        view_scale = rng.choice(vocab.METRIC)
    else:
        view_scale = rng.choice(vocab.ENG_SCALES) if "SITE" in title else rng.choice(vocab.ARCH_SCALES)
    a_paper = page_name in ("A1", "A2", "A3")
    paper = page_name if a_paper and rng.random() < 0.3 else None
    drawn_view = _paper_scale(view_scale, page_name, rng) if metric and a_paper and rng.random() < 0.2 else view_scale
    view_name = title if not long_title and rng.random() < 0.5 else rng.choice(lang.titles)
    views = [(view_name, drawn_view)]
    canonical = [view_scale]
    if not single_view and rng.random() < 0.35:
        other = rng.choice(vocab.METRIC if metric else vocab.ARCH_SCALES)
        views.append((rng.choice(lang.titles), other))
        canonical.append(other)
    if scale_in_block is None:
        scale_in_block = rng.random() < (0.5 if block_style == "label-free" else 0.78)
    if not scale_in_block:
        scale = None
        truth = [view_scale] if len(set(canonical)) == 1 else None
    else:
        pick = rng.random()
        if pick < 0.72:
            truth = [view_scale]
            if metric and a_paper and rng.random() < 0.25:
                scale = _paper_scale(view_scale, page_name, rng)
            elif language == "de" or not metric:
                scale = vocab.drawn_scale(view_scale, rng)
            else:
                scale = view_scale
        elif pick < 0.86 and language == "en":
            scale, truth = rng.choice(["NTS", "N.T.S.", "NOT TO SCALE"]), ["NTS"]
            views = [(views[0][0], "NTS")]
        else:
            scale = lang.as_noted
            truth = ["AS NOTED"] if language == "en" else None
    return SheetSpec(
        sheet_number=vocab.modern_sheet_number(rng, language),
        title=lines,
        scale=scale,
        scale_truth=truth,
        layout=layout,
        language=language,
        page_size=page,
        fonts=rng.choice(FONTS),
        number_label=None,
        number_size=rng.uniform(22, 40) if big else rng.uniform(16, 28),
        title_size=(rng.uniform(10, 15) if big else rng.uniform(8.5, 12)) * (1.25 if block_style == "label-free" else 1.0),
        label_size=rng.uniform(4.5, 6.5),
        value_size=rng.uniform(6.5, 8.5),
        project_name=rng.choice(lang.projects),
        project_number=rng.choice([f"20{rng.randint(10, 25)}-{rng.randint(1, 99):03d}", f"{rng.randint(1000, 9999)}.{rng.randint(0, 99):02d}",
                                   str(rng.randint(10000, 99999))]),
        firm=rng.choice(lang.firms),
        date=vocab.date_text(rng, lang),
        revision=rng.choice(["0", "1", "2", "A", "B", "C"]),
        drawn_by="Author" if block_style == "label-free" and rng.random() < 0.2 else rng.choice(vocab.PEOPLE),
        checked_by="Checker" if block_style == "label-free" and rng.random() < 0.2 else rng.choice(vocab.PEOPLE),
        views=views,
        sheet_of=(rng.randint(1, 9), rng.randint(10, 40)) if rng.random() < 0.15 else None,
        seed=seed,
        kind=kind,
        block_style=block_style,
        number_date=vocab.numbered_date(rng) if rng.random() < 0.1 else None,
        number_date_place=rng.choice(["under", "beside"]),
        stamp=rng.random() < (0.4 if language == "en" else 0.15),
        client=rng.choice(lang.clients) if rng.random() < 0.5 else None,
        address=rng.choice(lang.addresses),
        phase=rng.choice(lang.phases) if rng.random() < (0.5 if language in vocab.FOREIGN else 0.2) else None,
        paper=paper,
        inline_fields=language == "it" and block_style == "labelled" and layout in ("right", "left") and rng.random() < 0.5,
    )


def _label_free(rng: random.Random, seed: int, *, layout: str | None = None, language: str | None = None) -> SheetSpec:
    return _modern(rng, seed, kind="label-free", language=language, layout=layout, block_style="label-free")


def _foreign(rng: random.Random, seed: int, *, layout: str | None = None, language: str | None = None) -> SheetSpec:
    language = language or rng.choice(vocab.FOREIGN)
    return _modern(rng, seed, kind="foreign", language=language, layout=layout)


def _multi_line(rng: random.Random, seed: int, *, layout: str | None = None, language: str | None = None) -> SheetSpec:
    style = rng.choice(["labelled", "label-free"])
    spec = _modern(rng, seed, kind="multi-line", language=language, layout=layout, block_style=style, long_title=True)
    lang = vocab.LANGUAGE[spec.language]
    return replace(spec, crowded=True, stamp=rng.random() < 0.8, client=spec.client or rng.choice(lang.clients))


def _no_number(rng: random.Random, seed: int, *, layout: str | None = None, language: str | None = None) -> SheetSpec:
    spec = _modern(rng, seed, kind="no-number", language=language, layout=layout,
                   block_style=rng.choice(["labelled", "labelled", "label-free"]))
    return replace(spec, sheet_number="", number_date=None, sheet_of=None)


def _number_in_title(rng: random.Random, seed: int, *, layout: str | None = None, language: str | None = None) -> SheetSpec:
    spec = _modern(rng, seed, kind="number-in-title", language=language, layout=layout,
                   block_style=rng.choice(["labelled", "label-free"]), long_title=rng.random() < 0.25)
    return replace(spec, number_style="in-title", number_date=None)


def _date_near_number(rng: random.Random, seed: int, *, layout: str | None = None, language: str | None = None) -> SheetSpec:
    spec = _modern(rng, seed, kind="date-near-number", language=language, layout=layout,
                   block_style=rng.choice(["labelled", "label-free"]))
    return replace(spec, number_date=vocab.numbered_date(rng), number_date_place=rng.choice(["under", "beside"]))


def _view_scale(rng: random.Random, seed: int, *, layout: str | None = None, language: str | None = None) -> SheetSpec:
    return _modern(rng, seed, kind="view-scale", language=language, layout=layout,
                   block_style=rng.choice(["labelled", "label-free"]), single_view=True, scale_in_block=False)


def index_rows(rng: random.Random, language: str, count: int, first: tuple[str, str] | None = None) -> list[tuple[str, str]]:
    """A drawing index: sheet numbers in discipline order, each with a title."""
    lang = vocab.LANGUAGE[language]
    style = rng.randrange(5)
    disciplines = [d for d in ("G", "C", "A", "S", "M", "P", "E") if rng.random() < 0.7] or ["A"]
    rows = [first] if first else []
    drawn = Counter[str]()
    while len(rows) < count:
        d = disciplines[min(len(disciplines) - 1, len(rows) * len(disciplines) // count)]
        drawn[d] += 1
        k = drawn[d]
        number = (f"{d}-{100 + k}", f"{d}{k // 10 + 1}.{k % 10:02d}", f"{d}{k // 4:02d}-{k % 4 + 1:02d}",
                  f"{d}{k}", f"{d}-{k:03d}")[style]
        if all(number != n for n, _ in rows):
            rows.append((number, rng.choice(lang.titles + lang.long_titles)))
    return rows


def _cover(rng: random.Random, seed: int, *, layout: str | None = None, language: str | None = None) -> SheetSpec:
    spec = _modern(rng, seed, kind="cover", language=language, layout=layout,
                   block_style=rng.choice(["labelled", "label-free"]), long_title=False)
    lang = vocab.LANGUAGE[spec.language]
    title = rng.choice(lang.cover_titles)
    scale = rng.choice(["NTS", None]) if spec.language == "en" else None
    number = rng.choice([spec.sheet_number, "G-001", "A0.00", "T-1", "G0.01", "CS"])
    rows = index_rows(rng, spec.language, rng.randint(8, 24), first=(number, title))
    return replace(spec, title=vocab.title_lines(title, 2) if len(title) > 16 else [title], sheet_number=number,
                   scale=scale, scale_truth=["NTS"] if scale else [], views=[], content="cover", index=rows,
                   number_date=None)


def _civil(rng: random.Random, seed: int, *, layout: str | None = None, language: str | None = None) -> SheetSpec:
    total = rng.randint(5, 30)
    number = rng.randint(1, total)
    title = rng.choice(vocab.CIVIL_TITLES)
    county = rng.choice(vocab.CIVIL_COUNTIES)
    route = rng.randint(1, 99)
    views_names = ["PLAN", "ELEVATION", "SECTION A-A", "SECTION B-B", "PROFILE", "TYPICAL SECTION"]
    count = rng.choice([1, 1, 2, 3])
    scale = rng.choice(vocab.CIVIL_SCALES)
    if count == 1 or rng.random() < 0.4:
        views = [(name, scale) for name in rng.sample(views_names, count)]
        truth = [scale]
    else:
        views = [(views_names[0], scale)] + [(name, rng.choice(['3/4" = 1\'-0"', '1/2" = 1\'-0"', '1/4" = 1\'-0"']))
                                            for name in rng.sample(views_names[1:], count - 1)]
        truth = [scale] if len({v[1] for v in views}) == 1 else None
    page = PAGE_SIZES[rng.choices(["ANSI D", "ARCH C", "ANSI B"], weights=[30, 40, 30])[0]]
    year = rng.randint(58, 88)
    return SheetSpec(
        sheet_number=str(number),
        title=[title],
        scale=None,
        scale_truth=truth,
        layout="corner",
        language="en",
        page_size=page,
        fonts=rng.choice([FONTS[0], FONTS[2], FONTS[3]]),
        number_label=None,
        number_size=20,
        title_size=rng.uniform(11, 15),
        label_size=5,
        value_size=rng.uniform(7, 8.5),
        project_name=f"BRIDGE NO. {county[:3]}-{route}-{rng.randint(1000, 9999)}",
        project_number=f"{county[:3]}-{route}",
        firm=rng.choice(vocab.CIVIL_AGENCIES)[0],
        date=f"{rng.randint(1, 12)}-{rng.randint(1, 28)}-{year}",
        revision=f"{rng.randint(1, 12)}-{rng.randint(1, 28)}-{year + rng.randint(0, 2)}" if rng.random() < 0.5 else "",
        drawn_by=rng.choice(vocab.CIVIL_SIGNERS),
        checked_by=rng.choice(vocab.CIVIL_SIGNERS),
        views=views,
        seed=seed,
        kind="civil",
        block_style="civil",
        number_style="bubble",
        sheet_total=total,
        agency=list(rng.choice(vocab.CIVIL_AGENCIES)),
        subtitle=[f"BRIDGE NO. {county[:3]}-{route}-{rng.randint(1000, 9999)}",
                  rng.choice(["PEDESTRIAN BRIDGE", "CULVERT REPLACEMENT", "BRIDGE REHABILITATION", "GRADE SEPARATION"]),
                  f"{rng.choice(['I', 'SR', 'US'])}-{route} {rng.choice(['UNDER', 'OVER'])} {rng.choice(vocab.CIVIL_STREETS)}",
                  f"{county} COUNTY | STA. {rng.randint(10, 400)}+{rng.randint(0, 99):02d}.{rng.randint(0, 99):02d}"],
    )


def _no_block_page(rng: random.Random, seed: int, content: str, language: str | None) -> SheetSpec:
    language = language or ("en" if content != "drawing-list" or rng.random() < 0.7 else rng.choice(vocab.FOREIGN))
    lang = vocab.LANGUAGE[language]
    if content == "spec-page":
        page = LETTER_PORTRAIT
        fonts = rng.choice([FONTS[0], FONTS[1]])
    else:
        page = PAGE_SIZES[rng.choice(["ANSI B", "A3", "ARCH C"])]
        fonts = rng.choice(FONTS[:2])
    rows = index_rows(rng, language, rng.randint(14, 30)) if content == "drawing-list" else []
    return SheetSpec(sheet_number="", title=[], scale=None, scale_truth=[], layout="none", language=language,
                     page_size=page, fonts=fonts, number_label=None, project_name=rng.choice(lang.projects),
                     date=vocab.date_text(rng, lang), views=[], seed=seed, kind=content, block_style="labelled",
                     content=content, index=rows)


def _drawing_list(rng: random.Random, seed: int, *, layout: str | None = None, language: str | None = None) -> SheetSpec:
    return _no_block_page(rng, seed, "drawing-list", language)


def _spec_page(rng: random.Random, seed: int, *, layout: str | None = None, language: str | None = None) -> SheetSpec:
    return _no_block_page(rng, seed, "spec-page", language)


def _map(rng: random.Random, seed: int, *, layout: str | None = None, language: str | None = None) -> SheetSpec:
    return _no_block_page(rng, seed, "map", language)


_BUILDERS = {
    "label-free": _label_free,
    "foreign": _foreign,
    "multi-line": _multi_line,
    "cover": _cover,
    "no-number": _no_number,
    "civil": _civil,
    "number-in-title": _number_in_title,
    "date-near-number": _date_near_number,
    "view-scale": _view_scale,
    "drawing-list": _drawing_list,
    "spec-page": _spec_page,
    "map": _map,
}


def set_pages(rng: random.Random, base: SheetSpec, pages: int = 3) -> list[SheetSpec]:
    """Pages of one small set: the base sheet's block and layout, consecutive sheets with their own numbers."""
    specs = []
    lang = vocab.LANGUAGE[base.language]
    for page in range(pages):
        if page == 0:
            specs.append(replace(base, number_split=False, sheet_of=None))
            continue
        if base.kind == "labelled":
            number, _ = vocab.classic_sheet_number(rng, base.language)
            label = base.number_label or ("Plan-Nr." if number.isdigit() else None)
            specs.append(replace(base, sheet_number=number, number_split=False, number_label=label,
                                 seed=base.seed + page, sheet_of=None))
        else:
            title = rng.choice(lang.titles)
            specs.append(replace(base, sheet_number=vocab.modern_sheet_number(rng, base.language) if base.sheet_number else "",
                                 title=[title], seed=base.seed + page, sheet_of=None))
    return specs
