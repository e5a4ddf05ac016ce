"""Fit the title-block ranker (``service/titleblock/ranker.json``) on generated and real sheets.

    python tools/train.py                       # generated set + ../shared/eval-real when present, write the model
    python tools/train.py --check               # fit and report only, leave the model file alone
    python tools/train.py --kinds choose        # per field, the kind that scores better leaving one project out

Every page of the sets is read the way the service reads it (text layer or
OCR within the reading budget; engine answers cached in build/eval-cache, so
a second run takes minutes, not hours). Its candidates for each field are
labelled by the truth: a sheet-number candidate is right when it equals
the true number, a title when it equals the true title, a scale when it is
the same scale. A model per field is fitted on the candidates' features;
the sheet number first, then title and scale candidates measured against
the number that model chooses. Two kinds are fitted: a logistic regression
and gradient-boosted trees (scikit-learn's HistGradientBoostingClassifier).
The default fits logistic models; ``--kinds choose`` gives each field the
kind that scores better leaving one project out (ties go to the logistic
model), ``--kinds boosting`` trees everywhere. Trees read more held-out
real numbers but miss labelled numbers in sparse hand-built blocks that
the linear model reads (tests/titleblock/test_parser.py), so they are not
the default.

Each field's threshold is the probability above which the best candidate
is reported, chosen to make the most pages right (a page without a number
is right when none is reported).

Leaving one project out: for every real project (``SOURCES.md``'s
repositories), the model is fitted on everything else and scored on that
project's pages alone; the figures say how the model does on a kind of
sheet it has never seen, which is what unseen sets will show.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import re
import sys
import time
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

import numpy as np  # noqa: E402

from tools.eval import norm_number, norm_text, same  # noqa: E402

MODEL = ROOT / "service" / "titleblock" / "ranker.json"
FIELDS = ("sheet_number", "sheet_title", "scale")
TRUTH_KEY = {"sheet_number": "sheet_number", "sheet_title": "title", "scale": "scale"}
SHORT = {"sheet_number": "number", "sheet_title": "title", "scale": "scale"}


@dataclass
class Page:
    """One page's reading, truth and project."""

    set: str  # "generated" or "real"
    project: str
    file: str
    number: int
    truth: dict
    lines: list
    width: int
    height: int
    structure: object = None  # its PageStructure: ruled cells, block, corner bubbles


@dataclass
class Rows:
    """The candidates of one field over all pages: features, labels, page index, texts."""

    names: list[str] = field(default_factory=list)
    x: list[list[float]] = field(default_factory=list)
    y: list[int] = field(default_factory=list)
    page: list[int] = field(default_factory=list)
    text: list[str] = field(default_factory=list)


# --- the sets ------------------------------------------------------------------------------------


def projects_of(folder: Path) -> dict[str, str]:
    """File name to project, from the repository column of ``SOURCES.md``; the file's stem when it has none."""
    sources = folder / "SOURCES.md"
    out: dict[str, str] = {}
    if sources.exists():
        for line in sources.read_text().splitlines():
            cells = [c.strip().strip("`") for c in line.strip().strip("|").split("|")]
            if len(cells) >= 2 and "." in cells[0] and "/" in cells[1]:
                out[cells[0]] = cells[1]
    return out


def load_pages(folder: Path, kind: str, *, refresh: bool = False) -> list[Page]:
    """Every scored page of ``folder`` read as the service reads it (readings kept in build/readings)."""
    from tools.sheetcache import frozen_readings

    truth = json.loads((folder / "truth.json").read_text())["sheets"]
    by_key = {(s["file"], int(s.get("page", 1))): s for s in truth}
    files = list(dict.fromkeys(s["file"] for s in truth))
    projects = projects_of(folder)
    pages: list[Page] = []
    for read in frozen_readings(folder, files, refresh=refresh):
        sheet = by_key.get((read.file, read.page))
        if sheet is None:
            continue
        project = projects.get(read.file) or (kind if kind == "generated" else re.split(r"[-_.]", read.file)[0])
        pages.append(Page(kind, project, read.file, read.page, sheet, read.lines, read.width, read.height,
                          read.structure))
    return pages


# --- candidates and labels -------------------------------------------------------------------------


def _right(name: str, text: str, want) -> bool:
    if name == "sheet_number":
        return norm_number(text) == norm_number(want) and bool(norm_number(want))
    if name == "sheet_title":
        return norm_text(text) == norm_text(want)
    return same("scale", text, want)


_READINGS: dict[int, tuple] = {}


def candidates(page: Page, number_model=None) -> dict[str, list]:
    """The page's candidates per field; titles and scales measured against ``number_model``'s choice.

    A page's reading and its number candidates do not depend on the model, so they are made once.
    """
    from planocr.titleblock.candidates import number_candidates, scale_candidates, title_candidates
    from planocr.titleblock.layout import build_frames
    from planocr.titleblock.reading import read_page
    from planocr.titleblock.structure import PageStructure

    cached = _READINGS.get(id(page))
    if cached is None:
        structure = page.structure or PageStructure()
        reading = read_page(build_frames(page.lines, page.width, page.height), page.width, page.height,
                            structure.cells, structure.block, structure.bubbles)
        cached = _READINGS[id(page)] = (reading, number_candidates(reading))
    reading, numbers = cached
    if number_model is None:
        return {"sheet_number": numbers, "sheet_title": [], "scale": []}
    anchor = None
    if numbers:
        best = max(numbers, key=lambda c: number_model.probability(c.features))
        if number_model.probability(best.features) >= number_model.threshold:
            anchor = best
    return {"sheet_number": numbers, "sheet_title": title_candidates(reading, anchor),
            "scale": scale_candidates(reading, anchor)}


def rows_for(pages: list[Page], name: str, per_page: list[dict[str, list]]) -> Rows:
    rows = Rows()
    names: set[str] = set()
    for cands in per_page:
        for c in cands[name]:
            names.update(c.features)
    rows.names = sorted(names)
    for index, (page, cands) in enumerate(zip(pages, per_page, strict=True)):
        want = page.truth.get(TRUTH_KEY[name])
        if want is None:
            continue
        for c in cands[name]:
            rows.x.append([c.features.get(n, 0.0) for n in rows.names])
            rows.y.append(int(_right(name, c.text, want)))
            rows.page.append(index)
            rows.text.append(c.text)
    return rows


# --- fitting ---------------------------------------------------------------------------------------


def _weights(rows: Rows, pages: list[Page], real_weight: float) -> np.ndarray:
    """Each page's candidates weigh as much together as one right answer; real pages count ``real_weight`` times."""
    per_page = defaultdict(int)
    for p in rows.page:
        per_page[p] += 1
    w = np.array([(1.0 if y else 3.0 / max(1, per_page[p])) for p, y in zip(rows.page, rows.y, strict=True)])
    real = np.array([real_weight if pages[p].set == "real" else 1.0 for p in rows.page])
    return w * real


def fit_logistic(rows: Rows, pages: list[Page], mask: np.ndarray, real_weight: float, c: float):
    from sklearn.linear_model import LogisticRegression

    from planocr.titleblock.ranker import FieldModel

    x = np.asarray(rows.x, dtype=float)[mask]
    y = np.asarray(rows.y)[mask]
    w = _weights(rows, pages, real_weight)[mask]
    mean = x.mean(axis=0)
    scale = x.std(axis=0)
    scale[scale < 1e-9] = 1.0
    model = LogisticRegression(C=c, max_iter=2000)
    model.fit((x - mean) / scale, y, sample_weight=w)
    return FieldModel(tuple(rows.names), tuple(float(v) for v in mean), tuple(float(v) for v in scale),
                      tuple(float(v) for v in model.coef_[0]), float(model.intercept_[0]), 0.5)


def fit_boosting(rows: Rows, pages: list[Page], mask: np.ndarray, real_weight: float):
    from sklearn.ensemble import HistGradientBoostingClassifier

    x = np.asarray(rows.x, dtype=float)[mask]
    y = np.asarray(rows.y)[mask]
    w = _weights(rows, pages, real_weight)[mask]
    monotonic = [MONOTONIC.get(name, 0) for name in rows.names]
    model = HistGradientBoostingClassifier(max_iter=BOOSTING_ROUNDS, learning_rate=0.08, max_leaf_nodes=15,
                                           l2_regularization=1.0, early_stopping=False, random_state=0,
                                           monotonic_cst=monotonic)
    model.fit(x, y, sample_weight=w)
    return _Boosted(model, rows.names)


#: Trees of a boosted model.
BOOSTING_ROUNDS = 150
#: Features whose direction is known (+1: more of it never makes a candidate less likely, -1: never
#: more likely). Trees see few hand-made canonical pages (a number under its label in an otherwise
#: empty block); held to these directions they still read them as the linear model does, and the
#: weights stay learned.
MONOTONIC = {
    "lab_number_first": 1, "lab_number_later": 1, "lab_colon": 1, "tallest_block": 1, "tallest_page": 1,
    "over_number": 1, "shape": 1, "confidence": 1, "inside": 1, "in_block": 1,
    "lab_other_first": -1, "lab_other_later": -1, "callout": -1, "in_note": -1, "date": -1, "excluded": -1,
    "column_peers": -1, "repeated": -1,
}


class _Boosted:
    """A fitted HistGradientBoostingClassifier with the calls the evaluation makes; ``trees()`` is what ships."""

    def __init__(self, model, names):
        self.model, self.names, self.threshold = model, names, 0.5

    def trees(self):
        """The same model as :class:`planocr.titleblock.ranker.TreeModel` (checked to give the same probabilities)."""
        from planocr.titleblock.ranker import TreeModel

        trees = []
        for (predictor,) in self.model._predictors:
            nodes = predictor.nodes
            if nodes["is_categorical"].any():
                raise ValueError("categorical splits are not supported")
            trees.append(tuple((-1 if node["is_leaf"] else int(node["feature_idx"]), float(node["num_threshold"]),
                                int(node["left"]), int(node["right"]), float(node["value"])) for node in nodes))
        baseline = float(np.ravel(self.model._baseline_prediction)[0])
        return TreeModel(tuple(self.names), baseline, tuple(trees), float(self.threshold))

    def probability(self, features: dict[str, float]) -> float:
        return float(self.model.predict_proba(np.array([[features.get(n, 0.0) for n in self.names]]))[0, 1])

    def probabilities(self, x: np.ndarray) -> np.ndarray:
        return self.model.predict_proba(x)[:, 1]


def probabilities(model, rows: Rows, index: np.ndarray) -> np.ndarray:
    x = np.asarray(rows.x, dtype=float)[index]
    if isinstance(model, _Boosted):
        return model.probabilities(x)
    mean, scale, weights = np.array(model.mean), np.array(model.scale), np.array(model.weights)
    z = ((x - mean) / scale) @ weights + model.intercept
    return 1.0 / (1.0 + np.exp(-np.clip(z, -40, 40)))


def page_answers(rows: Rows, probs: np.ndarray, index: np.ndarray) -> dict[int, tuple[float, str, bool]]:
    """Per page: the best candidate's probability, text and whether it is right."""
    best: dict[int, tuple[float, str, bool]] = {}
    for p, prob, i in zip(np.asarray(rows.page)[index], probs, index, strict=True):
        if p not in best or prob > best[p][0]:
            best[int(p)] = (float(prob), rows.text[i], bool(rows.y[i]))
    return best


def accuracy(name: str, pages: list[Page], scored: list[int], best: dict[int, tuple[float, str, bool]],
             threshold: float) -> tuple[int, int]:
    """Pages right when the best candidate is reported at ``threshold`` or more (nothing reported otherwise)."""
    right = 0
    for p in scored:
        want = pages[p].truth.get(TRUTH_KEY[name])
        answer = best.get(p)
        reported = answer is not None and answer[0] >= threshold
        if reported:
            right += answer[2]
        else:
            right += want in ("", [])
    return right, len(scored)


#: What a wrong value costs against a blank one when thresholds are chosen: a user sees a blank
#: field and checks the sheet, but trusts a wrong one.
WRONG_COST = 0.0
#: No field is reported below this probability, whatever the training set's mix of pages with and
#: without a value would allow: a long chance is no answer. (At 0.25 the number model took a road
#: name on a generated map for a sheet number: pages without a title block must read empty.)
MIN_THRESHOLD = 0.30


def choose_threshold(name: str, pages: list[Page], scored: list[int], best) -> float:
    grid = [0.05 * k for k in range(round(MIN_THRESHOLD / 0.05), 20)]

    def merit(t: float) -> float:
        right = accuracy(name, pages, scored, best, t)[0]
        wrong = sum(1 for p in scored if (a := best.get(p)) is not None and a[0] >= t and not a[2])
        return right - WRONG_COST * wrong

    return max((merit(t), -abs(t - 0.5), t) for t in grid)[2]


def scored_pages(name: str, pages: list[Page], subset: set[int] | None = None) -> list[int]:
    return [i for i, p in enumerate(pages) if p.truth.get(TRUTH_KEY[name]) is not None and (subset is None or i in subset)]


def fit_all(pages: list[Page], train: set[int], real_weight: float, c: float, kind: str | dict[str, str] = "logistic"):
    """The three field models fitted on the pages in ``train``; ``kind`` for all fields or per field."""
    kinds = kind if isinstance(kind, dict) else dict.fromkeys(FIELDS, kind)
    per_page = [candidates(p) for p in pages]
    models = {}
    for name in FIELDS:
        if name == "sheet_title":  # titles and scales are measured against the number the fitted model picks
            per_page = [candidates(p, models["sheet_number"]) for p in pages]
        rows = rows_for(pages, name, per_page)
        mask = np.array([p in train for p in rows.page]) if rows.page else np.zeros(0, bool)
        if not mask.any() or len(set(np.asarray(rows.y)[mask])) < 2:
            raise SystemExit(f"not enough {name} candidates to fit")
        model = (fit_logistic(rows, pages, mask, real_weight, c) if kinds[name] == "logistic"
                 else fit_boosting(rows, pages, mask, real_weight))
        index = np.flatnonzero(mask)
        best = page_answers(rows, probabilities(model, rows, index), index)
        threshold = choose_threshold(name, pages, scored_pages(name, pages, train), best)
        model = _with_threshold(model, threshold)
        models[name] = model
    return models


def _with_threshold(model, threshold: float):
    if isinstance(model, _Boosted):
        model.threshold = threshold
        return model
    from dataclasses import replace

    return replace(model, threshold=threshold)


def evaluate(models, pages: list[Page], subset: set[int]) -> dict[str, tuple[int, int]]:
    """Page accuracy of fitted ``models`` on ``subset``."""
    out = {}
    per_page = [candidates(p, models["sheet_number"]) if i in subset else {n: [] for n in FIELDS} for i, p in enumerate(pages)]
    for name in FIELDS:
        rows = rows_for(pages, name, per_page)
        index = np.array([i for i, p in enumerate(rows.page) if p in subset], dtype=int)
        best = page_answers(rows, probabilities(models[name], rows, index), index) if len(index) else {}
        out[name] = accuracy(name, pages, scored_pages(name, pages, subset), best, models[name].threshold)
    return out


def misses(models, pages: list[Page], subset: set[int]) -> list[str]:
    """One line per wrong field on ``subset``: what was wanted, what was reported, where the right candidate ranked."""
    out = []
    for i in sorted(subset):
        page = pages[i]
        cands = candidates(page, models["sheet_number"])
        for name in FIELDS:
            want = page.truth.get(TRUTH_KEY[name])
            if want is None:
                continue
            ranked = sorted(cands[name], key=lambda c: -models[name].probability(c.features))
            best = ranked[0] if ranked else None
            p_best = models[name].probability(best.features) if best else 0.0
            got = best.text if best is not None and p_best >= models[name].threshold else ""
            ok = _right(name, got, want) if got else (want in ("", []))
            if ok:
                continue
            where = next((k for k, c in enumerate(ranked) if _right(name, c.text, want)), None)
            rank = "not a candidate" if where is None else (
                f"rank {where + 1} p={models[name].probability(ranked[where].features):.2f}")
            classes = ",".join(c for c in page.truth.get("classes", []) if c not in ("labelled", "en", "vector"))
            out.append(f"{page.file[:34]:<34} p{page.number:<2} [{classes[:40]}] {SHORT[name]:<6} want {str(want)[:40]!r:<42} "
                       f"got {got[:30]!r:<32} p={p_best:.2f}  right one: {rank}")
    return out


def leave_one_project_out(pages: list[Page], real_weight: float, c: float, kind: str | dict[str, str] = "logistic",
                          missed: list[str] | None = None):
    """Per real project: accuracy of the model fitted without it; and the pooled figures."""
    projects = sorted({p.project for p in pages if p.set == "real"})
    table = {}
    pooled = {name: [0, 0] for name in FIELDS}
    for project in projects:
        held = {i for i, p in enumerate(pages) if p.project == project}
        train = set(range(len(pages))) - held
        models = fit_all(pages, train, real_weight, c, kind)
        result = evaluate(models, pages, held)
        if missed is not None:
            missed += misses(models, pages, held)
        table[project] = result
        for name in FIELDS:
            pooled[name][0] += result[name][0]
            pooled[name][1] += result[name][1]
    return table, {name: tuple(v) for name, v in pooled.items()}


def _shipped(model, pages: list[Page]):
    """The model as the service runs it; a boosted one converted to trees, checked against scikit-learn."""
    if not isinstance(model, _Boosted):
        return model
    trees = model.trees()
    x = np.random.default_rng(0).permuted(np.array([[0.0] * len(model.names)] + [
        [c.features.get(n, 0.0) for n in model.names] for p in pages[:50] for c in candidates(p)["sheet_number"]]), axis=0)
    ours = np.array([trees.probability(dict(zip(model.names, row, strict=True))) for row in x])
    if not np.allclose(ours, model.probabilities(x), atol=1e-4):
        raise SystemExit("the trees written do not give scikit-learn's probabilities")
    return trees


def _pct(pair) -> str:
    right, total = pair
    return f"{100 * right / total:5.1f} % ({right}/{total})" if total else "      -      "


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--generated", type=Path, default=ROOT / "build" / "train-set")
    parser.add_argument("--count", type=int, default=300, help="generated sheets (written when the folder is missing)")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--real", type=Path, default=ROOT.parent / "shared" / "eval-real")
    parser.add_argument("--out", type=Path, default=MODEL)
    parser.add_argument("--real-weight", type=float, default=2.0)
    parser.add_argument("--c", type=float, default=0.3, help="inverse regularization strength")
    parser.add_argument("--check", action="store_true", help="fit and report, do not write the model")
    parser.add_argument("--reread", action="store_true",
                        help="read the pages again (after the reading changed; engine answers stay cached)")
    parser.add_argument("--no-lopo", action="store_true", help="skip leaving one project out")
    parser.add_argument("--kinds", choices=("choose", "logistic", "boosting"), default="logistic",
                        help="the model kind of every field, or the better of the two per field leaving one project out")
    parser.add_argument("--misses", choices=("real", "generated", "all"), default=None,
                        help="list the pages the fitted model gets wrong")
    parser.add_argument("--fields", default=",".join(FIELDS),
                        help="the fields whose models are written (comma-separated); the others keep the models "
                        "in --out as they are (default: all)")
    args = parser.parse_args(argv)
    refit = [name.strip() for name in args.fields.split(",") if name.strip()]
    if not refit or set(refit) - set(FIELDS):
        parser.error(f"--fields takes some of {', '.join(FIELDS)}")

    started = time.monotonic()
    if not (args.generated / "truth.json").exists():
        from testkit import sheets

        print(f"writing {args.count} generated sheets to {args.generated}", flush=True)
        sheets.write_set(args.generated, args.count, args.seed)
    pages = load_pages(args.generated, "generated", refresh=args.reread)
    real = args.real if (args.real / "truth.json").exists() else None
    if real is not None:
        pages += load_pages(real, "real", refresh=args.reread)
    n_real = sum(p.set == "real" for p in pages)
    print(f"{len(pages)} pages ({len(pages) - n_real} generated, {n_real} real) read in {time.monotonic() - started:.0f} s",
          flush=True)

    everything = set(range(len(pages)))
    kinds = dict.fromkeys(FIELDS, "logistic" if args.kinds == "choose" else args.kinds)
    lopo = compared = None
    if n_real and not args.no_lopo:
        held_misses: list[str] | None = [] if args.misses else None
        if args.kinds == "choose":
            compared = {kind: leave_one_project_out(pages, args.real_weight, args.c, kind)[1] for kind in ("logistic", "boosting")}
            kinds = {name: "boosting" if compared["boosting"][name][0] > compared["logistic"][name][0] else "logistic"
                     for name in FIELDS}
            for kind, pooled in compared.items():
                print(f"leaving one project out, every field {kind + ':':<10} " + "  ".join(
                    f"{SHORT[name]} {_pct(pooled[name])}" for name in FIELDS))
            print("chosen: " + ", ".join(f"{name} {kind}" for name, kind in kinds.items()))
        table, pooled = leave_one_project_out(pages, args.real_weight, args.c, kinds, missed=held_misses)
        lopo = pooled
        for line in held_misses or []:
            print("  held out: " + line)
        print("leaving one project out (real pages of each project scored by a model fitted without it):")
        for project, result in table.items():
            print(f"  {project:<36} " + "  ".join(f"{SHORT[name]} {_pct(result[name])}" for name in FIELDS))
        print("  all real pages:                      " + "  ".join(f"{SHORT[name]} {_pct(pooled[name])}" for name in FIELDS))
    models = fit_all(pages, everything, args.real_weight, args.c, kinds)
    fitted = evaluate(models, pages, {i for i, p in enumerate(pages) if p.set == "real"}) if n_real else {}
    generated_fit = evaluate(models, pages, {i for i, p in enumerate(pages) if p.set == "generated"})
    print("fitted on everything:")
    for name in FIELDS:
        real_text = f"   real {_pct(fitted[name])}" if fitted else ""
        print(f"  {name:<13} {kinds[name]:<9} generated {_pct(generated_fit[name])}{real_text}   "
              f"threshold {models[name].threshold:.2f}")
    if args.misses:
        subset = {i for i, p in enumerate(pages) if args.misses == "all" or p.set == args.misses}
        for line in misses(models, pages, subset):
            print("  " + line)
    if not args.check:
        from planocr.titleblock.ranker import Ranker

        about = {
            "fitted": dt.date.today().isoformat(),
            "pages": {"generated": len(pages) - n_real, "real": n_real},
            "generated_set": {"count": args.count, "seed": args.seed},
            "real_weight": args.real_weight,
            "c": args.c,
            "kinds": kinds,
            "in_sample_real": {name: list(fitted[name]) for name in FIELDS} if fitted else None,
            "leave_one_project_out": {name: list(lopo[name]) for name in FIELDS} if lopo else None,
        }
        if compared:
            about["leave_one_project_out_by_kind"] = {kind: {name: list(v[name]) for name in FIELDS}
                                                      for kind, v in compared.items()}
        shipped = {name: _shipped(model, pages) for name, model in models.items()}
        # When and how each field's model was fitted (--fields refits some and keeps the others).
        about["fields_fit"] = {name: {"fitted": about["fitted"], "c": args.c, "real_weight": args.real_weight}
                               for name in FIELDS}
        kept = [name for name in FIELDS if name not in refit]
        if kept:
            # The models of the fields not refitted stay as they were, with what was measured of them then.
            previous = Ranker.from_json(json.loads(args.out.read_text()))
            before = previous.about
            for name in kept:
                shipped[name] = previous.models[name]
                kinds[name] = before.get("kinds", {}).get(name, kinds[name])
                about["fields_fit"][name] = before.get("fields_fit", {}).get(name) or {
                    "fitted": before.get("fitted"), "c": before.get("c"), "real_weight": before.get("real_weight")}
                for key in ("in_sample_real", "leave_one_project_out"):
                    if about.get(key) is not None and before.get(key):
                        about[key][name] = before[key][name]
        Ranker(shipped, about).save(args.out)
        print(f"wrote {args.out.relative_to(ROOT) if args.out.is_relative_to(ROOT) else args.out}")
    print(f"{time.monotonic() - started:.0f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
