"""The shipped ranker's models: trees written to JSON give scikit-learn's probabilities, and the file loads."""

from __future__ import annotations

import json

import numpy as np
import pytest

from planocr.titleblock.ranker import FieldModel, Ranker, TreeModel, default_ranker, model_from_json
from tools.train import _Boosted

pytest.importorskip("sklearn")


def test_boosted_trees_in_json_give_the_fitted_models_probabilities():
    from sklearn.ensemble import HistGradientBoostingClassifier

    rng = np.random.default_rng(3)
    x = rng.normal(size=(600, 4))
    x[:, 3] = rng.integers(0, 2, size=600)  # a 0/1 feature, as most candidate features are
    y = ((x[:, 0] + 0.5 * x[:, 1] * x[:, 3] + rng.normal(scale=0.5, size=600)) > 0.3).astype(int)
    fitted = HistGradientBoostingClassifier(max_iter=40, max_leaf_nodes=7, random_state=0).fit(x, y)
    names = ["a", "b", "c", "flag"]
    trees = _Boosted(fitted, names).trees()
    reloaded = model_from_json(json.loads(json.dumps(trees.to_json())))
    assert isinstance(reloaded, TreeModel) and len(reloaded.trees) == 40
    probe = rng.normal(size=(200, 4))
    probe[:, 3] = rng.integers(0, 2, size=200)
    ours = [reloaded.probability(dict(zip(names, row, strict=True))) for row in probe]
    np.testing.assert_allclose(ours, fitted.predict_proba(probe)[:, 1], atol=1e-4)
    # a bonus adds to the logit, as for the logistic model
    features = dict(zip(names, probe[0], strict=True))
    assert reloaded.probability(features, bonus=2.0) > reloaded.probability(features)


def test_a_model_without_a_kind_is_logistic():
    data = {"features": ["x"], "mean": [0.0], "scale": [1.0], "weights": [2.0], "intercept": -1.0, "threshold": 0.4}
    model = model_from_json(data)
    assert isinstance(model, FieldModel) and model.probability({"x": 0.5}) == pytest.approx(0.5)


def test_the_shipped_ranker_has_a_model_for_every_field_and_round_trips():
    ranker = default_ranker()
    assert set(ranker.models) == {"sheet_number", "sheet_title", "scale"}
    again = Ranker.from_json(json.loads(json.dumps(ranker.to_json())))
    for name, model in ranker.models.items():
        assert again.models[name] == model
        assert 0.25 <= model.threshold < 1
