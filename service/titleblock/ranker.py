"""Weighing candidates with weights fitted on generated and real sheets (``make train``).

``ranker.json`` holds, for each field (``sheet_number``, ``sheet_title``,
``scale``), a logistic model over the candidate's features: the feature
names in order, their means and spreads (features are standardized), one
weight each, an intercept, and the probability from which the best
candidate is reported. ``tools/train.py`` writes the file; its header says
what it was fitted on and how it scored leaving one real project out.

A feature the file does not name is ignored; a name the candidate lacks
counts as 0, so features can be added before the model is fitted again.
"""

from __future__ import annotations

import functools
import json
import math
from collections.abc import Sequence
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

from planocr.titleblock.candidates import Candidate

FIELDS = ("sheet_number", "sheet_title", "scale")


@dataclass(frozen=True, slots=True)
class FieldModel:
    """A logistic model for one field's candidates."""

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
        z = self.logit(features) + bonus
        return 1.0 / (1.0 + math.exp(-max(-40.0, min(40.0, z))))

    def to_json(self) -> dict:
        return {
            "features": list(self.features), "mean": list(self.mean), "scale": list(self.scale),
            "weights": list(self.weights), "intercept": self.intercept, "threshold": self.threshold,
        }

    @classmethod
    def from_json(cls, data: dict) -> FieldModel:
        return cls(tuple(data["features"]), tuple(data["mean"]), tuple(data["scale"]), tuple(data["weights"]),
                   float(data["intercept"]), float(data["threshold"]))


@dataclass(frozen=True, slots=True)
class Ranker:
    """One model per field."""

    models: dict[str, FieldModel]
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
        return cls({name: FieldModel.from_json(m) for name, m in data["fields"].items()}, data.get("about", {}))

    def save(self, path: Path) -> None:
        path.write_text(json.dumps(self.to_json(), indent=1) + "\n")


@functools.cache
def default_ranker() -> Ranker:
    """The fitted model shipped with the package (``ranker.json``)."""
    text = resources.files("planocr.titleblock").joinpath("ranker.json").read_text("utf-8")
    return Ranker.from_json(json.loads(text))
