"""The latency benchmark still runs end to end (tiny corpus)."""

from __future__ import annotations

from pathlib import Path
from types import ModuleType

from tests import bench_module


def load_bench() -> ModuleType:
    return bench_module.load_bench("search_latency")


def test_bench_builds_reuses_and_reports(tmp_path: Path) -> None:
    bench = load_bench()
    args = ["--pages", "150", "--queries", "4", "--lemmas", "300", "--keep", str(tmp_path)]
    first = bench.main(args)
    assert first["pages"] == 150 and first["indexed_documents"] == first["documents"]
    assert 0 < first["kb_per_page"] < 20
    assert set(first["queries"]) == {"word", "inflected word", "two words", "phrase", "filtered"}
    assert all(q["mean_total"] >= 0 for q in first["queries"].values())
    # The phrases are taken from the indexed pages, so they are found.
    assert first["queries"]["phrase"]["mean_total"] >= 1
    second = bench.main(args)  # reuses the kept index
    assert second["build_seconds"] == first["build_seconds"]


def test_corpus_is_deterministic_and_exact_in_pages() -> None:
    bench = load_bench()
    vocab = bench.build_vocabulary(300, 1)
    corpus = bench.Corpus(vocab, seed=3, words_per_page=120)
    docs = [doc for doc, _ in corpus.documents(40)]
    assert sum(len(d.pages) for d in docs) == 40
    again = bench.Corpus(vocab, seed=3, words_per_page=120).document(0)
    assert again.pages == docs[0].pages and again.case == docs[0].case
