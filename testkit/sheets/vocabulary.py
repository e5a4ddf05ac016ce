"""Words drawn on generated sheets: titles, labels, names, sheet numbers, scales and dates, per language.

The English and German lists are the ones the classic labelled sheets were
always drawn from; Italian, French, Spanish and Dutch follow the way title
blocks in those countries are labelled (Tavola, Planche, Plano Nº,
Tekeningnummer ...). Everything here is invented for the generator; names of
firms, projects and people are fictitious.
"""

from __future__ import annotations

import random
from dataclasses import dataclass

LANGUAGES = ("en", "de", "it", "fr", "es", "nl")
FOREIGN = ("it", "fr", "es", "nl")

# --- the classic English and German sheets ---------------------------------------------------

EN_LEVELS = ["FIRST FLOOR", "SECOND FLOOR", "THIRD FLOOR", "GROUND FLOOR", "BASEMENT", "ROOF", "MEZZANINE", "LEVEL 2", "SITE"]
EN_KINDS = ["PLAN", "REFLECTED CEILING PLAN", "FURNITURE PLAN", "FINISH PLAN", "DEMOLITION PLAN", "FRAMING PLAN",
            "POWER PLAN", "LIGHTING PLAN", "PLUMBING PLAN", "MECHANICAL PLAN", "FIRE PROTECTION PLAN"]
EN_OTHER = ["BUILDING SECTIONS", "EXTERIOR ELEVATIONS", "INTERIOR ELEVATIONS", "WALL SECTIONS", "DOOR SCHEDULE",
            "DOOR AND WINDOW SCHEDULES", "GENERAL NOTES", "ENLARGED TOILET ROOM PLANS", "STAIR DETAILS",
            "ROOF DETAILS", "COVER SHEET", "LIFE SAFETY", "PARTITION TYPES", "RISER DIAGRAM",
            "FOUNDATION PLAN AND DETAILS", "SITE UTILITIES", "CODE ANALYSIS", "DOOR HARDWARE"]
DE_TITLES = ["Grundriss Erdgeschoss", "Grundriss Obergeschoss", "Grundriss 1. Obergeschoss", "Grundriss Untergeschoss",
             "Grundriss Dachgeschoss", "Schnitt A-A", "Schnitte A-A und B-B", "Ansichten Nord und Süd",
             "Ansicht West", "Lageplan", "Dachaufsicht", "Deckenspiegel Erdgeschoss", "Details Fassade",
             "Fundamentplan", "Bewehrungsplan Decke über EG", "Baubeschreibung", "Freiflächengestaltung"]
EN_PROJECTS = ["RIVERSIDE MEDICAL OFFICE BUILDING", "LINCOLN ELEMENTARY SCHOOL ADDITION", "HARBOR VIEW APARTMENTS",
               "CITY HALL RENOVATION", "WESTGATE FIRE STATION NO. 4", "OAK STREET RESIDENCE", "MAPLE COMMONS RETAIL"]
DE_PROJECTS = ["Neubau Wohnanlage Am Park", "Umbau Rathaus Nord", "Ersatzneubau Schulhaus Linde",
               "Bürogebäude ST12 / Verwaltung", "Sanierung Sporthalle Süd"]
EN_FIRMS = ["NORTHWIND ARCHITECTS LLC", "STONE & PARTNERS ARCHITECTURE", "BLUE RIDGE ENGINEERING INC",
            "HALVERSON DESIGN GROUP"]
DE_FIRMS = ["Müller Partner Architekten AG", "Schneider + Weber Architekten GmbH", "Planungsbüro Keller"]
PEOPLE = ["JD", "MK", "AB", "R. SMITH", "T. NGUYEN", "KL", "smo", "ABC"]
DISCIPLINES = ["A", "S", "M", "E", "P", "C", "L", "FP", "AF", "ID", "G", "T"]

ARCH_SCALES = ['1/4" = 1\'-0"', '1/8" = 1\'-0"', '3/16" = 1\'-0"', '1/2" = 1\'-0"', '3/4" = 1\'-0"',
               '1 1/2" = 1\'-0"', '3" = 1\'-0"', '3/32" = 1\'-0"']
ENG_SCALES = ['1" = 20\'', '1" = 40\'', '1" = 10\'', '1" = 50\'']
CIVIL_SCALES = ['1" = 20\'', '1" = 50\'', '1" = 10\'', '1" = 40\'', '1" = 100\'', '1" = 30\'']
METRIC = ["1:50", "1:100", "1:200", "1:20", "1:500", "1:10"]

EN_LABELS = {"project": "PROJECT", "project_number": "PROJECT NO.", "date": "DATE", "drawn": "DRAWN BY",
             "checked": "CHECKED BY", "scale": "SCALE", "title": "SHEET TITLE", "revision": "REV", "firm": "ARCHITECT",
             "client": "CLIENT"}
DE_LABELS = {"project": "Bauvorhaben", "project_number": "Projekt-Nr.", "date": "Datum", "drawn": "Gezeichnet",
             "checked": "Geprüft", "scale": "Maßstab", "title": "Planinhalt", "revision": "Index", "firm": "Architekt",
             "client": "Bauherr"}


def classic_sheet_number(rng: random.Random, language: str) -> tuple[str, bool]:
    """A sheet number in one of the styles the classic sheets use; True when it is drawn split over two lines."""
    d = rng.choice(DISCIPLINES)
    style = rng.randrange(14)
    n = rng.randint(1, 9)
    if language == "de":
        return rng.choice([
            f"{rng.randint(1000, 9999)}_A_{rng.choice(['GR', 'SN', 'AN'])}_{rng.choice(['EG', 'OG', 'UG', 'DG'])}_{rng.randint(100, 999)}",
            f"{rng.randint(10, 99)}-{rng.choice('ABC')}-{rng.randint(1, 9):02d}{rng.choice('abc')}-{rng.randint(100, 399)}",
            f"{rng.randint(1, 3)}.{rng.randint(1, 9)}.{rng.randint(10, 40)}",
            f"A-{rng.randint(100, 399)}",
            str(rng.randint(1, 40)),
            f"TR{rng.randint(10, 30)}-{rng.randint(1, 20):02d}{rng.choice('ABC')}",
        ]), False
    if style == 0:
        return f"{d}-{n}{rng.randint(0, 99):02d}", False
    if style == 1:
        return f"{d}{n}{rng.randint(0, 99):02d}", False
    if style == 2:
        return f"{d}{n}.{rng.randint(1, 20):02d}", False
    if style == 3:
        return f"{d}-{rng.randint(0, 9):03d}", False
    if style == 4:
        return f"{d}-{n}", False
    if style == 5:
        return f"{d}{n}.{rng.randint(1, 9)}", False
    if style == 6:
        return f"{rng.randint(1, 5)}.{rng.randint(1, 9)}.{rng.randint(10, 30)}", False
    if style == 7:
        return f"TR{rng.randint(10, 30)}-{rng.randint(1, 20):02d}{rng.choice('ABC')}", True
    if style == 8:
        return f"{d}{rng.randint(0, 9):03d}.{rng.randint(0, 9):02d}", False
    if style == 9:
        return f"{d}{d if len(d) == 1 else ''}{rng.randint(100, 999)}", False
    if style == 10:
        return f"{rng.choice(['TSDE', 'PSDE', 'EL'])}{rng.randint(1, 30):02d}", False
    return f"{d}-{n}{rng.randint(0, 99):02d}", False


def drawn_scale(canonical: str, rng: random.Random) -> str:
    """The same scale as a drafter (or a font) might write it."""
    variant = rng.randrange(5)
    if "=" in canonical:
        if variant == 1:
            return canonical.replace(" = ", "=")
        if variant == 2:
            return canonical.replace('"', "\u201d").replace("'", "\u2019")
        if variant == 3 and canonical.endswith("'-0\""):
            return canonical[: -len("-0\"")]
        return canonical
    if variant <= 1 and canonical.startswith("1:"):
        return f"M {canonical}"
    return canonical


# --- sheet numbers as real sets print them -----------------------------------------------------


def modern_sheet_number(rng: random.Random, language: str = "en") -> str:
    """A sheet number in a style seen on real sets: S2.10, S1.0, AD-02, W1, R05, A 301, A02-01 ..."""
    d = rng.choice(DISCIPLINES[:7])
    style = rng.randrange(12)
    if language in FOREIGN and rng.random() < 0.4:
        return _foreign_number(rng, language)
    if style == 0:
        return f"{d}{rng.randint(0, 6)}.{rng.randint(0, 3)}{rng.randint(0, 9)}"  # S2.10
    if style == 1:
        return f"{d}{rng.randint(0, 6)}.{rng.randint(0, 2)}"  # S1.0, S0.0
    if style == 2:
        return f"{rng.choice(['AD', 'MD', 'ED', 'SD', 'PD'])}-{rng.randint(0, 12):02d}"  # AD-02, MD-00
    if style == 3:
        return f"{rng.choice('WRCLDT')}{rng.randint(1, 12)}"  # W1
    if style == 4:
        return f"{rng.choice('RSAC')}{rng.randint(1, 20):02d}"  # R05
    if style == 5:
        return f"{d} {rng.randint(1, 6)}{rng.randint(0, 1)}{rng.randint(1, 9)}"  # A 301
    if style == 6:
        return f"{d}{rng.randint(1, 6)}0{rng.randint(1, 9)}"  # A101
    if style == 7:
        return f"{d}{rng.randint(0, 14):02d}-{rng.randint(1, 9):02d}"  # A02-01
    if style == 8:
        return f"{d}{rng.randint(1, 5)}.{rng.randint(1, 20):02d}"  # A2.01
    if style == 9:
        return f"{d}-{rng.randint(0, 9):03d}"  # G-001
    if style == 10:
        return f"{d}-{rng.randint(1, 5)}{rng.randint(0, 2)}{rng.randint(1, 9)}"  # S-111
    return f"{d}{rng.randint(1, 3)}{rng.randint(0, 9)}{rng.randint(0, 9)}"


def _foreign_number(rng: random.Random, language: str) -> str:
    n = rng.randint(1, 24)
    return rng.choice({
        "it": [f"TAV. {n:02d}", f"A{n:02d}", f"ARC-{n:02d}", f"E.{n:02d}", f"S{n:02d}"],
        "fr": [f"PC{rng.randint(1, 8)}", f"A-{n:02d}", f"ARC {n:03d}", f"DCE-{n:02d}"],
        "es": [f"A-{n:02d}", f"P-{n:02d}", f"E{n}", f"ARQ-{n:02d}"],
        "nl": [f"BT-{n:02d}", f"VO-{n:02d}", f"A{n:02d}", f"WT{n:03d}"],
    }[language])


def numbered_date(rng: random.Random) -> str:
    """A date as printed next to a sheet number: 12.03.19, 2019-03-12, 03/12/19."""
    y, m, d = rng.randint(2010, 2025), rng.randint(1, 12), rng.randint(1, 28)
    return rng.choice([f"{d:02d}.{m:02d}.{y % 100:02d}", f"{y}-{m:02d}-{d:02d}", f"{m:02d}/{d:02d}/{y % 100:02d}",
                       f"{d:02d}.{m:02d}.{y}"])


# --- languages for the new sheet kinds --------------------------------------------------------


@dataclass(frozen=True)
class Language:
    """What a title block and its sheet say in one language."""

    code: str
    labels: dict[str, tuple[str, ...]]  # field -> ways blocks label it
    titles: tuple[str, ...]
    long_titles: tuple[str, ...]  # titles that wrap to two to four lines
    cover_titles: tuple[str, ...]
    projects: tuple[str, ...]
    firms: tuple[str, ...]
    clients: tuple[str, ...]
    addresses: tuple[str, ...]
    rooms: tuple[str, ...]
    notes_heading: tuple[str, ...]
    notes: tuple[str, ...]
    view_scale: tuple[str, ...]  # what precedes a view's scale under its title
    sheet_of: tuple[str, str]  # "SHEET", "OF"
    as_noted: str
    phases: tuple[str, ...]
    index_heads: tuple[str, str, str]  # drawing index heading, number column, title column
    dates: str  # "us", "eu", "nl"


EN = Language(
    code="en",
    labels={
        "project": ("PROJECT", "PROJECT NAME", "PROJECT:"), "project_number": ("PROJECT NO.", "JOB NO.", "PROJECT NUMBER"),
        "date": ("DATE", "ISSUE DATE", "DATE:"), "drawn": ("DRAWN BY", "DRAWN", "DRAWN:"),
        "checked": ("CHECKED BY", "CHECKED", "REVIEWED BY"), "scale": ("SCALE", "SCALE:", "DRAWING SCALE"),
        "title": ("SHEET TITLE", "DRAWING TITLE", "TITLE", "SHEET NAME", "SHEET DESCRIPTION:"),
        "number": ("SHEET NO.", "SHEET NUMBER", "SHEET NUMBER:", "DWG NO.", "SHEET", "SHEET IDENTIFICATION"),
        "revision": ("REV", "REVISION"), "firm": ("ARCHITECT", "ENGINEER OF RECORD"), "client": ("CLIENT", "OWNER", "CUSTOMER:"),
        "phase": ("PHASE", "ISSUE"), "paper": ("SHEET SIZE",),
    },
    titles=tuple(f"{level} {kind}" for level in EN_LEVELS[:6] for kind in EN_KINDS[:5]) + tuple(EN_OTHER),
    long_titles=(
        "FOUNDATION AND SLAB ON GRADE PLAN - AREA B", "SECOND FLOOR REFLECTED CEILING PLAN - EAST WING",
        "ENLARGED TOILET ROOM PLANS AND INTERIOR ELEVATIONS", "EXTERIOR BUILDING ELEVATIONS AND WALL SECTIONS",
        "ROOF FRAMING PLAN - BLOCK A AND BLOCK B", "TYPICAL CONCRETE AND MASONRY DETAILS",
        "MECHANICAL SCHEDULES AND DETAILS", "EXISTING CONDITIONS AND DEMOLITION PLAN - LEVEL 1",
        "OVERALL SITE PLAN AND CONNECTION POINT", "WATERLINE A PLAN AND PROFILE", "PANEL AND PIER CAP DETAILS",
        "FIRST FLOOR POWER AND SIGNAL PLAN - PART 2", "STAIR 2 PLANS, SECTIONS AND DETAILS",
        "NEW CONCRETE FILL SLAB ON GROUND PLAN", "ACCESSIBILITY DETAILS AND MOUNTING HEIGHTS",
        "THIRD FLOOR FURNITURE, FIXTURES AND EQUIPMENT PLAN", "STEEL STUD DETAILS AT EXTERIOR OPENINGS",
    ),
    cover_titles=("COVER SHEET", "TITLE SHEET", "COVER", "STRUCTURAL COVER SHEET", "TITLE PAGE", "COVER SHEET AND DRAWING INDEX"),
    projects=("RIVERSIDE MEDICAL OFFICE BUILDING", "LINCOLN ELEMENTARY SCHOOL ADDITION", "HARBOR VIEW APARTMENTS",
              "CITY HALL RENOVATION", "WESTGATE FIRE STATION NO. 4", "OAK STREET RESIDENCE", "MAPLE COMMONS RETAIL",
              "STUDENT DINING COMMONS ALTERATION", "BATCH PLANT WATERLINE EXTENSION", "BUILDING 640 RENOVATION"),
    firms=("NORTHWIND ARCHITECTS LLC", "STONE & PARTNERS ARCHITECTURE", "BLUE RIDGE ENGINEERING INC",
           "HALVERSON DESIGN GROUP", "CARDINAL STRUCTURAL CONSULTANTS", "MESA + LOWE ARCHITECTS"),
    clients=("COUNTY OF HARLAN", "RIVERSIDE HEALTH SYSTEM", "MAPLE COMMONS LLC", "CITY OF MILLBROOK",
             "LINCOLN UNIFIED SCHOOL DISTRICT"),
    addresses=("123 MAIN STREET, SUITE 400", "4505 S. MARYLAND PARKWAY", "775 N US HWY 69", "88 HARBOR DRIVE",
               "1200 WEST 5TH AVENUE"),
    rooms=("OFFICE", "CONF.", "STOR.", "CORR.", "TOILET", "LOBBY"),  # the classic sheets sample these
    notes_heading=("GENERAL NOTES", "SHEET NOTES", "KEYNOTES", "GENERAL STRUCTURAL NOTES"),
    notes=("ALL DIMENSIONS ARE TO FACE OF STUD UNLESS NOTED OTHERWISE.", "VERIFY ALL CONDITIONS IN FIELD.",
           "COORDINATE OPENINGS WITH MECHANICAL DRAWINGS.", "PATCH AND REPAIR ALL SURFACES DAMAGED BY NEW WORK.",
           "PROVIDE BLOCKING FOR ALL WALL MOUNTED ITEMS.", "DO NOT SCALE THE DRAWINGS."),
    view_scale=("SCALE:", "SCALE:", "SCALE"),
    sheet_of=("SHEET", "OF"),
    as_noted="AS NOTED",
    phases=("CONSTRUCTION DOCUMENTS", "ISSUED FOR PERMIT", "ISSUED FOR BID", "100% CD", "FOR APPROVAL"),
    index_heads=("DRAWING INDEX", "SHEET NO.", "SHEET TITLE"),
    dates="us",
)

DE = Language(
    code="de",
    labels={
        "project": ("Bauvorhaben", "Projekt"), "project_number": ("Projekt-Nr.", "Proj.-Nr."), "date": ("Datum",),
        "drawn": ("Gezeichnet", "Gez."), "checked": ("Geprüft",), "scale": ("Maßstab", "M"),
        "title": ("Planinhalt", "Plan", "Darstellung"), "number": ("Plan-Nr.", "Plannummer", "Blatt"),
        "revision": ("Index",), "firm": ("Architekt", "Planverfasser"), "client": ("Bauherr", "Bauherrschaft"),
        "phase": ("Phase", "Leistungsphase"), "paper": ("Format",),
    },
    titles=tuple(t.upper() for t in DE_TITLES),
    long_titles=("GRUNDRISS ERDGESCHOSS MIT AUSSENANLAGEN", "SCHNITTE A-A UND B-B MIT ANSICHT OST",
                 "BEWEHRUNGSPLAN DECKE ÜBER ERDGESCHOSS - BAUTEIL B", "DETAILS FASSADE UND ATTIKA ANSCHLUSS"),
    cover_titles=("DECKBLATT", "PLANVERZEICHNIS UND DECKBLATT"),
    projects=tuple(DE_PROJECTS),
    firms=tuple(DE_FIRMS),
    clients=("Stadt Lindau", "Wohnbau Süd GmbH", "Gemeinde Oberried"),
    addresses=("Hauptstrasse 12, 8000 Zürich", "Lindenweg 4, 79104 Freiburg", "Am Markt 3, 88131 Lindau"),
    rooms=("Büro", "Lager", "Flur", "WC", "Besprechung"),
    notes_heading=("Allgemeine Hinweise", "HINWEISE"),
    notes=("Alle Masse sind am Bau zu prüfen.", "Unstimmigkeiten sind der Bauleitung zu melden.",
           "Öffnungen mit der Haustechnik abstimmen."),
    view_scale=("M", "M"),
    sheet_of=("Blatt", "von"),
    as_noted="wie angegeben",
    phases=("Ausführungsplanung", "Genehmigungsplanung", "Werkplanung"),
    index_heads=("PLANLISTE", "Plan-Nr.", "Planinhalt"),
    dates="eu",
)

IT = Language(
    code="it",
    labels={
        "project": ("PROGETTO", "PROGETTO:", "Progetto"), "project_number": ("COMMESSA", "N. COMMESSA"),
        "date": ("DATA", "DATA:"), "drawn": ("DISEGNATO", "Disegnato:", "DIS."), "checked": ("VERIFICATO", "CONTROLLATO"),
        "scale": ("SCALA", "SCALA:", "Scala"), "title": ("OGGETTO", "OGGETTO:", "Oggetto", "TITOLO TAVOLA"),
        "number": ("TAVOLA", "TAVOLA N.", "TAVOLA NO.:", "Tav."), "revision": ("REV.", "REVISIONE"),
        "firm": ("PROGETTISTA", "PROGETTISTA:"), "client": ("COMMITTENTE", "Committente:"),
        "phase": ("FASE", "LIVELLO DI PROGETTAZIONE"), "paper": ("FORMATO", "FORMATO:"),
    },
    titles=("PIANTA PIANO TERRA", "PIANTA PIANO PRIMO", "PIANTA COPERTURE", "SEZIONI", "SEZIONE A-A", "PROSPETTI",
            "PROSPETTO NORD", "PIANTA DETTAGLIATA", "SEZIONI DETTAGLIATE", "PLANIMETRIA GENERALE", "PIANTA FONDAZIONI",
            "PARTICOLARI COSTRUTTIVI", "ABACO DEI SERRAMENTI", "PIANTA"),
    long_titles=("PIANTA PIANO TERRA E SISTEMAZIONI ESTERNE", "SEZIONI LONGITUDINALI E TRASVERSALI A-A B-B",
                 "PROSPETTI NORD, SUD, EST E OVEST", "PARTICOLARI COSTRUTTIVI DEL NODO DI COPERTURA",
                 "PIANTA PIANO PRIMO CON ARREDI E QUOTE"),
    cover_titles=("FRONTESPIZIO", "COPERTINA", "ELENCO ELABORATI"),
    projects=("MONTERREY DUPLEX", "RESIDENZA LE QUERCE", "NUOVA SCUOLA PRIMARIA VIA ROMA", "RECUPERO CASCINA BIANCA"),
    firms=("STUDIO BERTOLINI ARCHITETTI", "ROSSI & FERRARA INGEGNERI", "ATELIER MARCHETTI"),
    clients=("COMUNE DI CASTELNUOVO", "IMMOBILIARE LE QUERCE S.R.L.", "SIG. MARIO BIANCHI"),
    addresses=("VIA GARIBALDI 24, 20121 MILANO", "CORSO ITALIA 8, 10122 TORINO", "PIAZZA DUOMO 3, 37121 VERONA"),
    rooms=("SOGGIORNO", "CUCINA", "CAMERA", "BAGNO", "DISIMPEGNO", "RIPOSTIGLIO"),
    notes_heading=("NOTE GENERALI", "NOTE", "LEGENDA"),
    notes=("TUTTE LE QUOTE SONO DA VERIFICARE IN CANTIERE.", "LE QUOTE SONO ESPRESSE IN CENTIMETRI.",
           "PER I PARTICOLARI VEDERE LE TAVOLE DI DETTAGLIO.", "NON DESUMERE MISURE DAL DISEGNO."),
    view_scale=("Scala", "SCALA", "scala"),
    sheet_of=("TAVOLA", "DI"),
    as_noted="VARIE",
    phases=("PROGETTO ESECUTIVO", "PROGETTO DEFINITIVO", "PROGETTO PRELIMINARE"),
    index_heads=("ELENCO ELABORATI", "TAVOLA", "TITOLO"),
    dates="eu",
)

FR = Language(
    code="fr",
    labels={
        "project": ("PROJET", "OPÉRATION", "Projet :"), "project_number": ("N° AFFAIRE", "DOSSIER N°"),
        "date": ("DATE", "Date :"), "drawn": ("DESSINÉ PAR", "Dessiné", "DESSINATEUR"),
        "checked": ("VÉRIFIÉ PAR", "Vérifié"), "scale": ("ÉCHELLE", "ECHELLE", "Échelle :"),
        "title": ("TITRE", "TITRE DU PLAN", "DÉSIGNATION"), "number": ("PLANCHE", "N° DE PLAN", "PLANCHE N°", "N° PLAN"),
        "revision": ("INDICE", "IND."), "firm": ("ARCHITECTE", "MAÎTRE D'OEUVRE"),
        "client": ("MAÎTRE D'OUVRAGE", "Maître d'ouvrage :"), "phase": ("PHASE", "PHASE :"), "paper": ("FORMAT",),
    },
    titles=("PLAN DU REZ-DE-CHAUSSÉE", "PLAN DU 1ER ÉTAGE", "PLAN DE L'ÉTAGE", "COUPES", "COUPE A-A", "FAÇADES",
            "FAÇADE NORD", "PLAN DE MASSE", "PLAN DE TOITURE", "PLAN DES FONDATIONS", "DÉTAILS", "PLAN DE SITUATION",
            "CARNET DE DÉTAILS"),
    long_titles=("PLAN DU REZ-DE-CHAUSSÉE ET AMÉNAGEMENTS EXTÉRIEURS", "COUPES LONGITUDINALE ET TRANSVERSALE",
                 "FAÇADES NORD, SUD, EST ET OUEST", "PLAN DES FONDATIONS ET DÉTAILS DE SEMELLES",
                 "PLAN DU 1ER ÉTAGE - CLOISONS ET DOUBLAGES"),
    cover_titles=("PAGE DE GARDE", "COUVERTURE", "LISTE DES PLANS"),
    projects=("RÉSIDENCE LES TILLEULS", "GROUPE SCOLAIRE JEAN MOULIN", "MAISON INDIVIDUELLE DUPONT",
              "RÉHABILITATION DE LA HALLE"),
    firms=("ATELIER MOREAU ARCHITECTES", "CABINET LEFÈVRE & ASSOCIÉS", "BET STRUCTURE GIRARD"),
    clients=("COMMUNE DE SAINT-AUBIN", "SCI LES TILLEULS", "M. ET MME DUPONT"),
    addresses=("12 RUE DES LILAS, 69003 LYON", "4 AVENUE FOCH, 75116 PARIS", "27 QUAI DE LA LOIRE, 44000 NANTES"),
    rooms=("SÉJOUR", "CUISINE", "CHAMBRE", "SDB", "DÉGAGEMENT", "CELLIER"),
    notes_heading=("NOTES GÉNÉRALES", "NOTA", "LÉGENDE"),
    notes=("TOUTES LES COTES SONT À VÉRIFIER SUR SITE.", "COTES EXPRIMÉES EN CENTIMÈTRES.",
           "SE REPORTER AUX PLANS DE STRUCTURE.", "NE PAS MESURER SUR LE PLAN."),
    view_scale=("Éch.", "ÉCHELLE", "Echelle"),
    sheet_of=("PLANCHE", "SUR"),
    as_noted="DIVERSES",
    phases=("PC", "DCE", "APD", "EXE"),
    index_heads=("LISTE DES PLANS", "N° PLAN", "DÉSIGNATION"),
    dates="eu",
)

ES = Language(
    code="es",
    labels={
        "project": ("PROYECTO", "OBRA", "PROYECTO:"), "project_number": ("EXPEDIENTE", "Nº PROYECTO"),
        "date": ("FECHA", "FECHA:"), "drawn": ("DIBUJÓ", "DIBUJADO", "DIBUJO:"), "checked": ("REVISÓ", "COMPROBADO"),
        "scale": ("ESCALA", "ESCALA:"), "title": ("TÍTULO", "TITULO DEL PLANO", "DENOMINACIÓN", "PLANO:"),
        "number": ("PLANO Nº", "PLANO N°", "Nº PLANO", "HOJA"), "revision": ("REV.", "REVISIÓN"),
        "firm": ("ARQUITECTO", "ARQUITECTOS"), "client": ("PROPIETARIO", "PROMOTOR"),
        "phase": ("FASE",), "paper": ("FORMATO",),
    },
    titles=("PLANTA BAJA", "PLANTA PRIMERA", "PLANTA DE CUBIERTA", "ALZADOS", "ALZADO PRINCIPAL", "SECCIONES",
            "SECCIÓN A-A", "PLANTA DE CIMENTACIÓN", "EMPLAZAMIENTO", "DETALLES CONSTRUCTIVOS", "CARPINTERÍA",
            "PLANTA DE DISTRIBUCIÓN"),
    long_titles=("PLANTA BAJA Y URBANIZACIÓN EXTERIOR", "ALZADOS NORTE, SUR, ESTE Y OESTE",
                 "SECCIONES LONGITUDINAL Y TRANSVERSAL", "PLANTA DE CIMENTACIÓN Y DETALLES DE ZAPATAS",
                 "PLANTA PRIMERA - COTAS Y SUPERFICIES"),
    cover_titles=("PORTADA", "ÍNDICE DE PLANOS"),
    projects=("VIVIENDA UNIFAMILIAR AISLADA", "CENTRO DE SALUD LOS OLIVOS", "REHABILITACIÓN EDIFICIO CALLE MAYOR",
              "ESCUELA INFANTIL EL PINAR"),
    firms=("ESTUDIO GARCÍA ARQUITECTOS", "MARTÍNEZ & ROMERO ARQUITECTURA", "INGENIERÍA DEL SUR S.L."),
    clients=("AYUNTAMIENTO DE VILLANUEVA", "D. JUAN PÉREZ LÓPEZ", "PROMOCIONES OLIVAR S.A."),
    addresses=("C/ MAYOR 15, 28013 MADRID", "AVDA. DE LA CONSTITUCIÓN 7, SEVILLA", "PLAZA DEL PILAR 2, ZARAGOZA"),
    rooms=("SALÓN", "COCINA", "DORMITORIO", "BAÑO", "PASILLO", "DESPENSA"),
    notes_heading=("NOTAS GENERALES", "NOTAS", "LEYENDA"),
    notes=("TODAS LAS COTAS SE COMPROBARÁN EN OBRA.", "COTAS EN METROS.", "VER PLANOS DE ESTRUCTURA.",
           "NO TOMAR MEDIDAS A ESCALA DEL PLANO."),
    view_scale=("Escala", "ESCALA", "E:"),
    sheet_of=("HOJA", "DE"),
    as_noted="VARIAS",
    phases=("PROYECTO BÁSICO", "PROYECTO DE EJECUCIÓN"),
    index_heads=("ÍNDICE DE PLANOS", "PLANO Nº", "TÍTULO"),
    dates="eu",
)

NL = Language(
    code="nl",
    labels={
        "project": ("PROJECT", "WERK", "Project:"), "project_number": ("PROJECTNUMMER", "PROJECTNR."),
        "date": ("DATUM", "Datum:"), "drawn": ("GETEKEND", "GET.", "Getekend:"), "checked": ("GECONTROLEERD", "GEZIEN"),
        "scale": ("SCHAAL", "SCHAAL:", "Schaal"), "title": ("TITEL", "OMSCHRIJVING", "ONDERWERP"),
        "number": ("TEKENINGNUMMER", "TEKENINGNR.", "BLAD", "BLADNR."), "revision": ("WIJZIGING", "REV."),
        "firm": ("ARCHITECT", "ONTWERP"), "client": ("OPDRACHTGEVER", "Opdrachtgever:"),
        "phase": ("FASE", "STATUS"), "paper": ("FORMAAT",),
    },
    titles=("PLATTEGROND BEGANE GROND", "PLATTEGROND EERSTE VERDIEPING", "GEVELS", "GEVEL NOORD", "DOORSNEDEN",
            "DOORSNEDE A-A", "SITUATIE", "DAKAANZICHT", "FUNDERINGSPLAN", "DETAILS", "KOZIJNSTAAT",
            "PLATTEGROND ZOLDER"),
    long_titles=("PLATTEGROND BEGANE GROND EN TERREININRICHTING", "GEVELS NOORD, OOST, ZUID EN WEST",
                 "DOORSNEDEN A-A EN B-B MET DETAILS", "FUNDERINGSPLAN EN PALENPLAN - BLOK B",
                 "PLATTEGROND EERSTE VERDIEPING - INDELING"),
    cover_titles=("VOORBLAD", "TEKENINGENLIJST"),
    projects=("WOONHUIS DE LINDE", "BASISSCHOOL HET KOMPAS", "APPARTEMENTEN HAVENKADE", "VERBOUW BOERDERIJ ZUIDERHOEK"),
    firms=("DE VRIES ARCHITECTEN BV", "BUREAU JANSEN & BAKKER", "VAN DIJK ONTWERP"),
    clients=("GEMEENTE ZEEWOLDE", "WONINGSTICHTING HAVENKADE", "FAM. VAN DEN BERG"),
    addresses=("KEIZERSGRACHT 120, 1015 CX AMSTERDAM", "HOOFDSTRAAT 8, 3811 LL AMERSFOORT", "MARKT 5, 5611 EB EINDHOVEN"),
    rooms=("WOONKAMER", "KEUKEN", "SLAAPKAMER", "BADKAMER", "HAL", "BERGING"),
    notes_heading=("ALGEMENE OPMERKINGEN", "OPMERKINGEN", "LEGENDA"),
    notes=("ALLE MATEN IN HET WERK CONTROLEREN.", "MATEN IN MILLIMETERS.", "ZIE CONSTRUCTIETEKENINGEN.",
           "NIET METEN OP TEKENING."),
    view_scale=("Schaal", "SCHAAL", "schaal"),
    sheet_of=("BLAD", "VAN"),
    as_noted="DIVERSE",
    phases=("BESTEK", "DEFINITIEF ONTWERP", "VOORLOPIG ONTWERP", "WERKTEKENING"),
    index_heads=("TEKENINGENLIJST", "TEK.NR.", "OMSCHRIJVING"),
    dates="nl",
)

LANGUAGE = {lang.code: lang for lang in (EN, DE, IT, FR, ES, NL)}


def date_text(rng: random.Random, language: Language) -> str:
    """A title-block date in the language's usual form."""
    y, m, d = rng.randint(2010, 2025), rng.randint(1, 12), rng.randint(1, 28)
    if language.dates == "us":
        return rng.choice([f"{m:02d}/{d:02d}/{y}", f"MAY {d}, {y}", f"{m}/{d}/{y % 100:02d}"])
    if language.dates == "nl":
        return rng.choice([f"{d:02d}-{m:02d}-{y}", f"{d}-{m}-{y}"])
    return rng.choice([f"{d:02d}/{m:02d}/{y}", f"{d:02d}.{m:02d}.{y}"])


def title_lines(title: str, lines: int) -> list[str]:
    """``title`` broken at spaces into at most ``lines`` lines of about equal length."""
    words = title.split()
    lines = max(1, min(lines, len(words)))
    out: list[str] = []
    rest = words
    for left in range(lines, 0, -1):
        if left == 1:
            out.append(" ".join(rest))
            break
        target = len(" ".join(rest)) / left
        take = 1
        while take < len(rest) - (left - 1) and len(" ".join(rest[: take + 1])) <= target + 2:
            take += 1
        out.append(" ".join(rest[:take]))
        rest = rest[take:]
    return out


# --- civil and highway sheets --------------------------------------------------------------

CIVIL_AGENCIES = (
    ("CITY OF MILLBROOK, OHIO", "DEPARTMENT OF PUBLIC SERVICE", "DIVISION OF ENGINEERING & CONSTRUCTION"),
    ("STATE OF INDIANA", "STATE HIGHWAY COMMISSION", "BRIDGE DESIGN SECTION"),
    ("COUNTY OF HARLAN", "OFFICE OF THE COUNTY ENGINEER"),
    ("STATE OF OREGON", "DEPARTMENT OF TRANSPORTATION", "HIGHWAY DIVISION - BRIDGE SECTION"),
)
CIVIL_TITLES = ("SITE PLAN", "GENERAL PLAN AND ELEVATION", "ABUTMENT DETAILS", "PIER DETAILS", "SUPERSTRUCTURE DETAILS",
                "ESTIMATED QUANTITIES", "TYPICAL SECTIONS", "PLAN AND PROFILE", "DRAINAGE DETAILS", "WINGWALL DETAILS",
                "BEARING DETAILS", "GENERAL NOTES", "REINFORCING STEEL SCHEDULE", "TITLE SHEET", "GRADING PLAN",
                "PEDESTRIAN BRIDGE QUANTITIES")
CIVIL_COUNTIES = ("FRANKLIN", "HARLAN", "MARION", "DELAWARE", "LAKE")
CIVIL_STREETS = ("LINCOLN AVENUE", "MILL CREEK", "STATE ROUTE 33", "OAK GROVE ROAD", "RAILROAD")
CIVIL_SIGNERS = ("G.G.", "R.M.", "J.T.", "W.K.", "A.B.", "D.L.")

# --- seals, revision tables, project teams ------------------------------------------------------

STAMPS = {
    "en": ("REGISTERED ARCHITECT", "STATE OF OREGON"),
    "de": ("Architektenkammer", "Baden-Württemberg"),
    "it": ("ORDINE DEGLI ARCHITETTI", "PROVINCIA DI MILANO"),
    "fr": ("ORDRE DES ARCHITECTES", "RÉGION RHÔNE-ALPES"),
    "es": ("COLEGIO DE ARQUITECTOS", "DE MADRID"),
    "nl": ("ARCHITECTENREGISTER", "NEDERLAND"),
}
STAMP_NAMES = ("DAVID C. COOPER", "M. ROSSI", "ANNE LAURENT", "J. GARCÍA", "P. DE VRIES", "K. WEBER")
REVISION_HEADS = {
    "en": ("NO.", "DESCRIPTION", "DATE"), "de": ("Index", "Änderung", "Datum"), "it": ("REV.", "DESCRIZIONE", "DATA"),
    "fr": ("IND.", "MODIFICATION", "DATE"), "es": ("REV.", "DESCRIPCIÓN", "FECHA"), "nl": ("WIJZ.", "OMSCHRIJVING", "DATUM"),
}
EN_REVISIONS = ("ISSUED FOR PERMIT", "ADDENDUM 1", "BID SET", "OWNER REVIEW", "PERMIT COMMENTS", "ASI 03")
CONSULTANTS = ("STRUCTURAL: CARDINAL ENGINEERS", "MEP: THOMAS ENGINEERING LLC", "CIVIL: RIDGELINE CIVIL INC",
               "LANDSCAPE: GREENFIELD STUDIO")
LEVELS = ("--", "1F", "2F", "9F", "B1", "RF", "L1", "L2")
