"""Weighing candidates with weights fitted on generated and real sheets (``make train``).

``ranker.json`` holds, for each field (``sheet_number``, ``sheet_title``,
``scale``), a model over the candidate's features and the probability from
which the best candidate is reported. A model is either logistic (the
feature names in order, their means and spreads, one weight each, an
intercept) or gradient-boosted trees (the feature names, a baseline, and
for each tree its nodes: the feature a node splits on and where, its two
children, and a leaf's value); ``make train`` chooses per field the kind
that scores better on projects it was not fitted on. ``tools/train.py`` writes the file; its header says
what it was fitted on and how it scored leaving one real project out.

A feature the file does not name is ignored; a name the candidate lacks
counts as 0, so features can be added before the model is fitted again.
"""

from __future__ import annotations

import functools
import json
import math
import re
from collections.abc import Sequence
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

from planocr.titleblock.candidates import Candidate

FIELDS = ("sheet_number", "sheet_title", "scale")


def _sigmoid(z: float) -> float:
    return 1.0 / (1.0 + math.exp(-max(-40.0, min(40.0, z))))


@dataclass(frozen=True, slots=True)
class FieldModel:
    """A logistic model for one field's candidates."""

    kind = "logistic"

    features: tuple[str, ...]
    mean: tuple[float, ...]
    scale: tuple[float, ...]
    weights: tuple[float, ...]
    intercept: float
    threshold: float

    def logit(self, features: dict[str, float]) -> float:
        total = self.intercept
        for name, mean, scale, weight in zip(self.features, self.mean, self.scale, self.weights, strict=True):
            total += weight * (features.get(name, 0.0) - mean) / scale
        return total

    def probability(self, features: dict[str, float], bonus: float = 0.0) -> float:
        return _sigmoid(self.logit(features) + bonus)

    def to_json(self) -> dict:
        return {
            "kind": self.kind, "features": list(self.features), "mean": list(self.mean), "scale": list(self.scale),
            "weights": list(self.weights), "intercept": self.intercept, "threshold": self.threshold,
        }

    @classmethod
    def from_json(cls, data: dict) -> FieldModel:
        return cls(tuple(data["features"]), tuple(data["mean"]), tuple(data["scale"]), tuple(data["weights"]),
                   float(data["intercept"]), float(data["threshold"]))


#: A tree node: the index of the feature it splits on (-1 for a leaf), the split value (a feature at
#: or below it goes left), the left and right children's indexes, and the leaf's value.
Node = tuple[int, float, int, int, float]


@dataclass(frozen=True, slots=True)
class TreeModel:
    """Gradient-boosted trees for one field's candidates: the baseline plus each tree's leaf is the logit."""

    features: tuple[str, ...]
    baseline: float
    trees: tuple[tuple[Node, ...], ...]
    threshold: float

    kind = "trees"

    def logit(self, features: dict[str, float]) -> float:
        x = [features.get(name, 0.0) for name in self.features]
        total = self.baseline
        for nodes in self.trees:
            feature, split, left, right, value = nodes[0]
            while feature >= 0:
                feature, split, left, right, value = nodes[left if x[feature] <= split else right]
            total += value
        return total

    def probability(self, features: dict[str, float], bonus: float = 0.0) -> float:
        return _sigmoid(self.logit(features) + bonus)

    def to_json(self) -> dict:
        # Split values and leaf values to 6 decimals: the probabilities move by less than 1e-4.
        trees = [[[f, round(t, 6), lo, hi, round(v, 6)] for f, t, lo, hi, v in tree] for tree in self.trees]
        return {"kind": self.kind, "features": list(self.features), "baseline": self.baseline, "trees": trees,
                "threshold": self.threshold}

    @classmethod
    def from_json(cls, data: dict) -> TreeModel:
        trees = tuple(tuple((int(f), float(t), int(lo), int(hi), float(v)) for f, t, lo, hi, v in tree) for tree in data["trees"])
        return cls(tuple(data["features"]), float(data["baseline"]), trees, float(data["threshold"]))


Model = FieldModel | TreeModel


def model_from_json(data: dict) -> Model:
    """A field's model as ``to_json`` wrote it (logistic when the kind is not said)."""
    return TreeModel.from_json(data) if data.get("kind") == TreeModel.kind else FieldModel.from_json(data)


@dataclass(frozen=True, slots=True)
class Ranker:
    """One model per field."""

    models: dict[str, Model]
    about: dict

    def rank(self, candidates: Sequence[Candidate], bonus=None) -> list[Candidate]:
        """``candidates`` with their ``score`` set, best first; ``bonus(candidate)`` adds to the logit."""
        if not candidates:
            return []
        model = self.models[candidates[0].field]
        for candidate in candidates:
            candidate.score = model.probability(candidate.features, bonus(candidate) if bonus else 0.0)
        return sorted(candidates, key=lambda c: -c.score)

    def threshold(self, field: str) -> float:
        return self.models[field].threshold

    def to_json(self) -> dict:
        return {"about": self.about, "fields": {name: model.to_json() for name, model in self.models.items()}}

    @classmethod
    def from_json(cls, data: dict) -> Ranker:
        return cls({name: model_from_json(m) for name, m in data["fields"].items()}, data.get("about", {}))

    def save(self, path: Path) -> None:
        text = json.dumps(self.to_json(), indent=1)
        # A list of numbers (a tree node, the weights) on one line: the trees take thousands of nodes.
        text = re.sub(r"\[\s+([-\d.e, \n]*?)\s+\]", lambda m: "[" + " ".join(m.group(1).split()) + "]", text)
        path.write_text(text + "\n")


@functools.cache
def default_ranker() -> Ranker:
    """The fitted model shipped with the package (``ranker.json``)."""
    text = resources.files("planocr.titleblock").joinpath("ranker.json").read_text("utf-8")
    return Ranker.from_json(json.loads(text))
