"""The categorizer: certain rules first, else the model trained on the labeled set."""

from __future__ import annotations

import functools
import hashlib
import threading
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, Final

from shared.categorizer import dataset
from shared.categorizer.rules import RULES, certain, normalize

#: Bumped with any change of features or classifier; the data's digest is appended.
MODEL_REVISION: Final = "1"
RULE_CONFIDENCE: Final = 0.95
FALLBACK: Final = "other"


@dataclass(frozen=True)
class Suggestion:
    """A category for a text, how sure, and why (``source``: rule, model or fallback)."""

    category: str
    confidence: float
    source: str
    reason: str


def _pipeline() -> Any:
    # Imported here: scikit-learn is loaded only by the processes that categorize.
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import SGDClassifier
    from sklearn.pipeline import FeatureUnion, Pipeline

    features = FeatureUnion(
        [
            ("chars", TfidfVectorizer(analyzer="char_wb", ngram_range=(2, 5), sublinear_tf=True)),
            ("words", TfidfVectorizer(analyzer="word", ngram_range=(1, 2), sublinear_tf=True)),
        ]
    )
    return Pipeline(
        [
            ("features", features),
            # Logistic loss for probabilities; SGD trains in a fraction of a second here.
            ("classify", SGDClassifier(loss="log_loss", alpha=1e-5, max_iter=50, random_state=0)),
        ]
    )


@functools.cache
def model_version() -> str:
    """The model's version: its revision and the labeled set's digest."""
    digest = hashlib.sha256(dataset.PATH.read_bytes()).hexdigest()[:12]
    return f"cat-{MODEL_REVISION}-{digest}"


class Categorizer:
    """Rules, then a TF-IDF + logistic-regression model trained (once, lazily) on ``rows``."""

    def __init__(self, rows: list[dataset.Row] | None = None, *, use_rules: bool = True) -> None:
        self._rows = rows
        self.use_rules = use_rules
        self._model: Any = None
        self._lock = threading.Lock()

    def model(self) -> Any:
        """The trained model (trained on first use; thread-safe)."""
        with self._lock:
            if self._model is None:
                rows = self._rows if self._rows is not None else dataset.load()
                model = _pipeline()
                model.fit([normalize(r.text) for r in rows], [r.category for r in rows])
                self._model = model
            return self._model

    def suggest(self, text: str, amount: Decimal | None = None, limit: int = 3) -> list[Suggestion]:
        """Up to ``limit`` categories for a merchant or description, best first."""
        cleaned = text.strip()
        if not cleaned:
            return [Suggestion(FALLBACK, 0.0, "fallback", "nothing to categorize")]
        out: list[Suggestion] = []
        rule = certain(cleaned) if self.use_rules else None
        if rule is not None:
            category, keyword = rule
            out.append(Suggestion(category, RULE_CONFIDENCE, "rule", f"matches '{keyword}'"))
        model = self.model()
        probabilities = model.predict_proba([normalize(cleaned)])[0]
        ranked = sorted(zip(model.classes_, probabilities, strict=True), key=lambda p: -p[1])
        for category, probability in ranked:
            if len(out) >= limit:
                break
            if any(s.category == category for s in out):
                continue
            out.append(
                Suggestion(
                    str(category), round(float(probability), 4), "model", "similar known names"
                )
            )
        return out

    def categorize(self, text: str, amount: Decimal | None = None) -> Suggestion:
        """The best category for a text."""
        return self.suggest(text, amount, limit=1)[0]


_DEFAULT: Categorizer | None = None
_DEFAULT_LOCK = threading.Lock()


def default_categorizer() -> Categorizer:
    """The process's categorizer over the committed labeled set (built on first call)."""
    global _DEFAULT
    with _DEFAULT_LOCK:
        if _DEFAULT is None:
            _DEFAULT = Categorizer()
        return _DEFAULT


__all__ = ["RULES", "Categorizer", "Suggestion", "default_categorizer"]
