"""The classifier on text: held-out generated documents, OCR slips, storage, learning."""

from __future__ import annotations

import random

import pytest

from ingest.metadata import DocType, Model, Sample, seed_samples, train
from ingest.metadata.classifier import seed_model
from ingest.metadata.seed import corpus, full_name, ocr_slips


@pytest.fixture(scope="module")
def model() -> Model:
    return seed_model()


def test_held_out_documents_with_ocr_slips(model: Model) -> None:
    rng = random.Random(11)
    docs = list(corpus(4, seed=42))  # other seeds than the training corpus
    texts = [ocr_slips(d.text, rng, rate=0.06) for d in docs]
    preds = model.predict(texts)
    right = sum(p.type == d.type for p, d in zip(preds, docs, strict=True))
    assert right / len(docs) >= 0.95
    assert all(0.0 <= p.confidence <= 1.0 for p in preds)


def test_empty_text_is_other_with_no_confidence(model: Model) -> None:
    p = model.classify("   \n ")
    assert p.type == DocType.other and p.confidence == 0.0


def test_model_file_is_plain_arrays(model: Model) -> None:
    data = model.to_bytes()
    assert data[:2] == b"PK"  # a NumPy .npz, loaded with allow_pickle=False
    again = Model.from_bytes(data)
    text = "\n".join(next(iter(corpus(1, seed=5))).lines)
    assert again.classify(text) == model.classify(text)


def _new_layout(rng: random.Random) -> str:
    """An unusual document the seed corpus knows nothing like: a water-meter acceptance act
    the centre files as a contract."""
    return "\n".join(
        [
            "АКТ",
            "приймання вузла обліку холодної води в експлуатацію",
            f"Споживач {full_name(rng)}",
            f"Лічильник марки {rng.choice(['Sensus', 'Apator', 'Itron'])} заводський "
            f"{rng.randint(100000, 999999)}",
            f"Показники на момент пломбування {rng.randint(0, 999)} куб. м",
            f"Пломба водоканалу {rng.randint(1000, 9999)} встановлена",
            "Представник водоканалу ________ Споживач ________",
        ]
    )


def test_twenty_corrections_teach_a_new_layout(model: Model) -> None:
    rng = random.Random(7)
    before = model.predict([_new_layout(rng) for _ in range(10)])
    assert sum(p.type == DocType.contract for p in before) <= 2
    corrections = [Sample(_new_layout(rng), DocType.contract, 4.0) for _ in range(20)]
    retrained = train([*seed_samples(), *corrections])
    after = retrained.predict([_new_layout(rng) for _ in range(20)])
    assert all(p.type == DocType.contract for p in after)
    # What it knew stays known.
    docs = list(corpus(2, seed=77))
    right = sum(
        p.type == d.type
        for p, d in zip(retrained.predict([d.text for d in docs]), docs, strict=True)
    )
    assert right / len(docs) >= 0.95
