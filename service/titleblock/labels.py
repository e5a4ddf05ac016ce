"""Title-block labels in English and German, and which field each one names.

A label is matched against one to four words at the start of a phrase (or
after another label). Labels of fields we do not report (client, location,
phase, job number ...) still matter: they claim the value next to them, so
a project number under "JOB NO." is never taken for the sheet number.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

# Field names used for labels of things the result does not report.
OTHER = "other"

_NO = r"(?:NO|NR|NUM|NUMBER|NUMMER|#|N°|NO\.?)"

_LABELS: list[tuple[str, str]] = [
    # sheet number
    ("sheet_number", rf"(?:SHEET|DWG|DRAWING|DRG|PLAN\s*REF|PLAN|DRAWING\s*REF|PAGE|BLATT|ZEICHNUNGS?|ZEICHN|PLAN-?)\s*[-.]?\s*{_NO}"),
    ("sheet_number", r"SHEET|BLATT|PLANNUMMER|BLATTNUMMER|ZEICHNUNGSNUMMER|PLANNR|PLAN-NR|PLAN-NUMMER|SHEET\s+ID"),
    # sheet title
    ("sheet_title", r"(?:SHEET|DRAWING|DWG|DRG|PLAN)\s*(?:TITLE|NAME)|TITLE|PLANINHALT|PLANTITEL|PLANBEZEICHNUNG|INHALT|DARSTELLUNG|BEZEICHNUNG|PLANART|ZEICHNUNGSINHALT|TITEL"),
    # scale
    # (OCR without a German model reads the ß of Maßstab as B, F, D or &)
    ("scale", r"SCALE|DRAWING\s+SCALE|MASSSTAB|MASSTAB|MA[BFDP&]S?STAB|MST"),
    # project
    ("project_name", r"PROJECT(?:\s*(?:NAME|TITLE))?|PROJEKT(?:NAME|BEZEICHNUNG)?|BAUVORHABEN|BAUOBJEKT|OBJEKT|VORHABEN|BAUPROJEKT|JOB(?:\s*NAME)?"),
    ("project_number", rf"(?:PROJECT|PROJ|JOB|COMM|COMMISSION|PROJEKT|OBJEKT|AUFTRAGS?|AUFTRAG|KOMMISSIONS?|FILE)\s*[-.]?\s*{_NO}|PROJEKTNUMMER|PROJEKTNR|OBJEKTNUMMER|AUFTRAGSNUMMER"),
    ("date", r"(?:ISSUE|PLOT|DRAWING|PRINT|REVISION)?\s*DATE|DATUM|DAT|AUSGABEDATUM|PLOTDATUM|ERSTELLT\s+AM"),
    ("revision", r"REV|REVISION|REV\s*NO|REVISION\s*NO|REVISIONS?|ÄNDERUNG|AENDERUNG|ÄNDERUNGSINDEX|REVISIONSINDEX"),
    ("drawn_by", r"DRAWN(?:\s*BY)?|DRN|DR\s*BY|DRAFTED(?:\s*BY)?|GEZEICHNET|GEZ|BEARBEITER|BEARB|ZEICHNER|DESIGNED(?:\s*BY)?|DESIGNER|ENTERED\s*BY"),
    ("checked_by", r"CHECKED(?:\s*BY)?|CHK(?:D)?|CHKD\s*BY|GEPRÜFT|GEPRUEFT|GEPR|PRÜFER|KONTROLLE|APPROVED(?:\s*BY)?|APPR|VISUM|FREIGABE"),
    # labels of things we do not report: they claim their values
    (OTHER, rf"(?:BUILDING|CONTRACT|LOCATION|LOT|PARCEL|PERMIT|PHONE|TEL|FAX|LICENSE|REG|CAD|ORDER|FED\.?\s*AID\s*PROJ)\s*[-.]?\s*{_NO}"),
    (OTHER, r"CLIENT|OWNER|LOCATION|PHASE|ADDRESS|PROJECT\s+ADDRESS|CONSULTANT|ARCHITECT|ENGINEER|STAMP|SEAL|KEY\s*PLAN|NORTH|"
            r"BAUHERR|BAUHERRSCHAFT|AUFTRAGGEBER|ARCHITEKT|PLANVERFASSER|FACHPLANER|LEISTUNGSPHASE|PHASE|ADRESSE|"
            r"GRÖSSE|GROESSE|FORMAT|BLATTGRÖSSE|PLOTTED\s*BY|FILE\s*NAME|TIME|REGION|STATE|DESCRIPTION|BY|"
            r"REMARKS|BEMERKUNGEN|BUILDING\s+DESIGNER|ISSUED\s+FOR|ISSUE|STATUS|SUBMITTAL|"
            r"PROJ\.?\s*ENGR|REGIONAL\s*ADM|OF|SHEETS|TOTAL\s+SHEETS|VON"),
]

_COMPILED = [(name, re.compile(rf"(?:{pattern})")) for name, pattern in _LABELS]


def label_key(text: str) -> str:
    """Upper-case, ß as SS, without the punctuation labels end with."""
    text = text.upper().replace("ß", "SS").replace("ẞ", "SS")
    text = re.sub(r"[\s_]+", " ", text)
    return text.strip(" :.;,|")


def match_label(words: Sequence[str]) -> tuple[str, int, bool] | None:
    """Which field the leading words name: ``(field, words used, ended with colon)``.

    The longest match wins; ``None`` when the phrase does not start with a label.
    """
    for count in range(min(4, len(words)), 0, -1):
        raw = " ".join(words[:count])
        key = label_key(raw)
        if not key or len(key) > 30:
            continue
        for name, pattern in _COMPILED:
            if pattern.fullmatch(key):
                return name, count, raw.rstrip().endswith(":")
    return None


def is_label_text(text: str) -> bool:
    """Whether the whole of ``text`` is made of labels (a header row such as "DATE  CHECKED  DRAWN")."""
    words = text.split()
    i = 0
    while i < len(words):
        found = match_label(words[i:])
        if not found:
            return False
        i += found[1]
    return bool(words)
