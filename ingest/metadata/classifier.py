"""The document-type classifier: character n-grams, TF-IDF, a linear model, on the CPU.

Text is folded first (lower case, Latin look-alikes read as Cyrillic, digits
as one symbol, one apostrophe) so an OCR slip or a different number does not
change the features. Features are hashed character n-grams inside words
(scikit-learn's ``HashingVectorizer``: no vocabulary to keep), weighted by a
sublinear TF-IDF; the model is a multinomial logistic regression, whose
probability of the chosen type is the confidence.

A trained model is plain arrays (:meth:`Model.to_bytes` is a NumPy ``.npz``
read with ``allow_pickle=False``): it is data, never code, and never
committed — it is rebuilt from the seed corpus and the centre's corrections.
"""

from __future__ import annotations

import io
import random
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from archive.doctypes import DocType
from ingest.metadata.seed import corpus, ocr_slips
from pii.folding import LABEL_FOLD

# Bumped whenever the features, the seed templates or the training change, so
# a stored model of an older recipe is rebuilt rather than trusted.
RECIPE = "1"
N_FEATURES = 2**18
NGRAMS = (2, 4)
# How much one correction of the centre weighs against one seed document.
CORRECTION_WEIGHT = 4.0
# The classifier reads the start of a document: the first pages say what it is.
MAX_CHARS = 4000
SEED_PER_TYPE = 24

_DIGITS = re.compile(r"\d")
_SPACE = re.compile(r"\s+")


def fold_text(text: str) -> str:
    """The text the features are taken from."""
    t = text[:MAX_CHARS].translate(LABEL_FOLD)
    t = _DIGITS.sub("0", t)
    return _SPACE.sub(" ", t).strip()


_VECTORISER: Any = None


def _vectoriser() -> Any:
    # Stateless (hashing), so one instance serves every call and thread.
    global _VECTORISER
    if _VECTORISER is None:
        _VECTORISER = _new_vectoriser()
    return _VECTORISER


def _new_vectoriser() -> Any:
    from sklearn.feature_extraction.text import HashingVectorizer

    return HashingVectorizer(
        analyzer="char_wb",
        ngram_range=NGRAMS,
        n_features=N_FEATURES,
        alternate_sign=False,
        norm=None,
        lowercase=False,
        dtype=np.float32,
    )


def classifier_text(pages: Iterable[str]) -> str:
    """The text a document is classified by: its first two pages."""
    return "\n".join(list(pages)[:2])


def text_counts(text: str) -> Any:
    """The hashed n-gram counts of a text (a 1-row CSR matrix), None when it has none.

    They do not depend on the model (hashing, no vocabulary): the worker process,
    which has the text, counts them, and :meth:`Model.classify_counts` weighs them
    with the model in use — the same answer as :meth:`Model.classify` on the text.
    """
    folded = fold_text(text)
    if not folded:
        return None
    return _vectoriser().transform([folded]).tocsr()


@dataclass(frozen=True, slots=True)
class Prediction:
    type: DocType
    confidence: float
    # The runner-up, to show a person what else it might be.
    second: DocType | None = None
    second_confidence: float = 0.0


@dataclass(frozen=True, slots=True)
class Sample:
    """One training text with its type; ``weight`` > 1 for the centre's corrections."""

    text: str
    type: DocType
    weight: float = 1.0


class Model:
    """A trained classifier: IDF weights and a sparse coefficient matrix per type."""

    def __init__(
        self,
        classes: Sequence[str],
        idf_index: np.ndarray[Any, Any],
        idf_value: np.ndarray[Any, Any],
        idf_default: float,
        coef: Any,
        intercept: np.ndarray[Any, Any],
        info: dict[str, Any],
    ) -> None:
        self.classes = [DocType(c) for c in classes]
        self._idf_index = idf_index
        self._idf_value = idf_value
        self._idf_default = float(idf_default)
        self._coef = coef  # scipy.sparse CSR, (classes, features)
        self._intercept = intercept
        self.info = info
        self._idf: np.ndarray[Any, Any] | None = None
        self._coef_t: Any = None

    def _idf_vector(self) -> np.ndarray[Any, Any]:
        if self._idf is None:
            idf = np.full(N_FEATURES, self._idf_default, dtype=np.float32)
            idf[self._idf_index] = self._idf_value
            self._idf = idf
        return self._idf

    def _features(self, texts: Sequence[str]) -> Any:
        return self._weigh(_vectoriser().transform([fold_text(t) for t in texts]).tocsr())

    def _weigh(self, counts: Any) -> Any:
        from sklearn.preprocessing import normalize

        # Sublinear TF times IDF, on the stored values only (the same as multiplying
        # by a diagonal IDF matrix, without building one of 2^18 rows per call).
        counts.data = (1.0 + np.log(counts.data)) * self._idf_vector()[counts.indices]
        return normalize(counts, norm="l2", copy=False)

    def predict(self, texts: Sequence[str]) -> list[Prediction]:
        """The type of each text, with the model's probability of it.

        One call for many texts costs little more than one for one text: the
        pipeline classifies a group of documents at once.
        """
        if not texts:
            return []
        return self._predict_features(self._features(texts))

    def _predict_features(self, features: Any) -> list[Prediction]:
        if self._coef_t is None:
            self._coef_t = self._coef.T.tocsr()
        scores = np.asarray((features @ self._coef_t).todense()) + self._intercept
        scores -= scores.max(axis=1, keepdims=True)
        probs = np.exp(scores)
        probs /= probs.sum(axis=1, keepdims=True)
        out: list[Prediction] = []
        for row in probs:
            order = np.argsort(row)[::-1]
            first, second = int(order[0]), int(order[1]) if len(order) > 1 else None
            out.append(
                Prediction(
                    self.classes[first],
                    round(float(row[first]), 4),
                    self.classes[second] if second is not None else None,
                    round(float(row[second]), 4) if second is not None else 0.0,
                )
            )
        return out

    def classify(self, text: str) -> Prediction:
        return self.classify_many([text])[0]

    def classify_many(self, texts: Sequence[str]) -> list[Prediction]:
        """:meth:`classify` for several texts in one vectorised call (same answers)."""
        known = [i for i, t in enumerate(texts) if fold_text(t)]
        out = [Prediction(DocType.other, 0.0)] * len(texts)
        for i, p in zip(known, self.predict([texts[i] for i in known]), strict=True):
            out[i] = p
        return out

    def classify_counts(self, rows: Sequence[Any]) -> list[Prediction]:
        """:meth:`classify_many` from each text's :func:`text_counts` (same answers)."""
        from scipy import sparse

        known = [i for i, r in enumerate(rows) if r is not None]
        out = [Prediction(DocType.other, 0.0)] * len(rows)
        if known:
            # A new matrix: weighing changes its values in place, never the callers'.
            counts = sparse.vstack([rows[i] for i in known], format="csr", dtype=np.float32)
            if len(known) == 1:
                counts = counts.copy()
            for i, p in zip(known, self._predict_features(self._weigh(counts)), strict=True):
                out[i] = p
        return out

    # --- storage: plain arrays only -------------------------------------------------

    def to_bytes(self) -> bytes:
        import json

        coef = self._coef.tocsr()
        buf = io.BytesIO()
        np.savez_compressed(
            buf,
            classes=np.array([c.value for c in self.classes]),
            idf_index=self._idf_index.astype(np.int32),
            idf_value=self._idf_value.astype(np.float32),
            idf_default=np.array([self._idf_default], dtype=np.float32),
            coef_data=coef.data.astype(np.float32),
            coef_indices=coef.indices.astype(np.int32),
            coef_indptr=coef.indptr.astype(np.int64),
            coef_shape=np.array(coef.shape, dtype=np.int64),
            intercept=self._intercept.astype(np.float32),
            info=np.array([json.dumps(self.info, ensure_ascii=False)]),
        )
        return buf.getvalue()

    @classmethod
    def from_bytes(cls, data: bytes) -> Model:
        import json

        from scipy import sparse

        with np.load(io.BytesIO(data), allow_pickle=False) as z:
            coef = sparse.csr_matrix(
                (z["coef_data"], z["coef_indices"], z["coef_indptr"]),
                shape=tuple(int(x) for x in z["coef_shape"]),
            )
            return cls(
                [str(c) for c in z["classes"]],
                z["idf_index"],
                z["idf_value"],
                float(z["idf_default"][0]),
                coef,
                z["intercept"],
                json.loads(str(z["info"][0])),
            )


def seed_samples(per_type: int = SEED_PER_TYPE, *, seed: int = 0) -> list[Sample]:
    """The generated corpus, each text clean and once more with OCR slips."""
    rng = random.Random(f"slips:{seed}")
    out: list[Sample] = []
    for spec in corpus(per_type, seed=seed):
        out.append(Sample(spec.text, spec.type))
        out.append(
            Sample(ocr_slips(spec.text, rng, rate=rng.choice((0.02, 0.05, 0.08))), spec.type)
        )
    return out


def train(samples: Iterable[Sample], info: dict[str, Any] | None = None) -> Model:
    """Fit a model on the samples (a few seconds for the seed corpus on one core)."""
    from scipy import sparse
    from sklearn.linear_model import LogisticRegression
    from sklearn.preprocessing import normalize

    rows = [s for s in samples if fold_text(s.text)]
    if len({s.type for s in rows}) < 2:
        raise ValueError("training needs documents of at least two types")
    counts = _vectoriser().transform([fold_text(s.text) for s in rows]).tocsr()
    n = counts.shape[0]
    df = np.bincount(counts.indices, minlength=N_FEATURES)
    seen = np.flatnonzero(df)
    idf_seen = (np.log((1.0 + n) / (1.0 + df[seen])) + 1.0).astype(np.float32)
    idf_default = float(np.log(1.0 + n) + 1.0)
    idf = np.full(N_FEATURES, idf_default, dtype=np.float32)
    idf[seen] = idf_seen
    counts.data = 1.0 + np.log(counts.data)
    x = normalize(counts @ sparse.diags(idf), norm="l2", copy=False)
    y = np.array([s.type.value for s in rows])
    weights = np.array([s.weight for s in rows], dtype=np.float64)
    lr = LogisticRegression(C=20.0, max_iter=300, tol=1e-3)
    # Fitted on the columns seen in training only (a tenth of the hash space):
    # the others would get a zero weight anyway, and the fit is many times faster.
    lr.fit(x[:, seen], y, sample_weight=weights)
    coef = sparse.csr_matrix(
        (
            np.asarray(lr.coef_, dtype=np.float32).ravel(),
            (
                np.repeat(np.arange(len(lr.classes_)), len(seen)),
                np.tile(seen, len(lr.classes_)),
            ),
        ),
        shape=(len(lr.classes_), N_FEATURES),
    )
    meta = {
        "recipe": RECIPE,
        "samples": n,
        "types": len(lr.classes_),
        **(info or {}),
    }
    return Model(
        [str(c) for c in lr.classes_],
        seen.astype(np.int32),
        idf_seen,
        idf_default,
        coef,
        np.asarray(lr.intercept_, dtype=np.float32),
        meta,
    )


_SEED_MODEL: Model | None = None


def seed_model() -> Model:
    """The model trained on the seed corpus alone (built once per process)."""
    global _SEED_MODEL
    if _SEED_MODEL is None:
        _SEED_MODEL = train(seed_samples(), {"corrections": 0})
    return _SEED_MODEL
