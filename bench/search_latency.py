"""Search latency and index size on synthetic Ukrainian pages.

Builds an index of N synthetic pages (Zipf-distributed vocabulary of a few
thousand lemmas in their pymorphy3 inflections, several pages per document),
then times ~200 queries of each kind and prints p50/p95 in milliseconds, the
build time and the index size per page.

    .venv/bin/python bench/search_latency.py                   # 100,000 pages
    .venv/bin/python bench/search_latency.py --pages 1000000 --keep /var/tmp/b1m
    .venv/bin/python bench/search_latency.py --index-url tantivy:///tmp/x

Pages are generated per document from a seeded generator and streamed to the
index in batches, so memory stays flat whatever ``--pages`` is. ``--keep DIR``
keeps the index (and its parameters) in DIR and reuses it on the next run with
the same parameters, skipping the build.
"""

from __future__ import annotations

import argparse
import functools
import gc
import itertools
import json
import math
import shutil
import statistics
import sys
import tempfile
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

import numpy as np
import pymorphy3

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from search.base import IndexDoc, SearchIndex, SearchQuery
from search.factory import open_index
from search.morphology import default_analyzer

# Most frequent first: function words, then the vocabulary of ЦНАП paperwork.
_CORE_TEXT = """
і в на з що до не про за у від який цей для як бути по він вона особа це або та його її
якщо також їх при після так між через під над без чи вже ще тільки може все кожний свій інший
заява послуга адміністративний документ центр надання справа рішення реєстрація державний
громадянин місце проживання паспорт україна рада міський сільський селищний орган місцевий
самоврядування територіальний громада управління відділ департамент копія довідка витяг реєстр
дата номер рік місяць день строк термін порядок закон постанова кабінет міністр наказ
розпорядження голова виконавчий комітет облік власність право майно земельний ділянка
нерухомий об'єкт фізичний юридичний підприємець суб'єкт звернення заявник представник
довіреність нотаріус нотаріальний посвідчений підпис печатка бланк форма зразок опис пакет
вхідний вихідний результат адміністратор посадовий працівник служба спеціаліст начальник
керівник директор заступник секретар видача видати отримати отримання подати подання
розглянути розгляд надати повідомлення повідомити відмова відмовити зареєструвати
зареєстрований внести внесення зміна змінити припинення припинити народження смерть шлюб
розірвання дитина батько мати син дочка сім'я людина особистий ім'я прізвище стать
громадянство адреса вулиця будинок квартира область район місто село селище код
ідентифікаційний податковий платник картка соціальний допомога субсидія пенсія житловий
комунальний оплата платіж сума гривня рахунок банк квитанція збір вартість безоплатний платний
будівельний будівництво дозвіл ліцензія сертифікат свідоцтво технічний транспортний засіб
водійський посвідчення реєстраційний електронний цифровий портал сервіс система база дані
персональний захист обробка згода інформація запит відповідь лист прийняти прийом вимога
відповідно пункт стаття частина положення додаток перелік підстава умова вимагати підтвердити
підтвердження оригінал примірник сторінка аркуш дійсний чинний недійсний втрата втрачений
пошкоджений новий попередній
"""
CORE_LEMMAS = _CORE_TEXT.split()

_POS = {"NOUN", "ADJF", "INFN", "ADVB"}
_SKIP = {"Name", "Surn", "Patr", "Arch", "Infr", "Slng", "Abbr", "Dist", "Prnt"}
_SLOTS = 16  # form slots per lemma: frequent forms take several
_SOURCES = ("scanner", "sharing", "upload")
_SOURCE_P = (0.7, 0.15, 0.15)
CENTRES = [f"cnap-{i:02}" for i in range(1, 21)]
DEPARTMENTS = [f"dept-{i:02}" for i in range(1, 13)]
_EPOCH = datetime(2023, 1, 1, tzinfo=UTC)
_SPAN_DAYS = 3 * 365 + 180


@dataclass
class Vocabulary:
    lemmas: list[str]
    forms: list[list[str]]  # forms[i][0] is the lemma itself
    table: np.ndarray  # (len(lemmas) * _SLOTS,) object array of forms
    cumulative: np.ndarray  # Zipf-Mandelbrot cumulative weights over lemma ranks


@functools.lru_cache(maxsize=4)
def build_vocabulary(size: int, seed: int) -> Vocabulary:
    """CORE_LEMMAS plus dictionary lemmas up to ``size``, with their inflections."""
    morph = pymorphy3.MorphAnalyzer(lang="uk")
    rng = np.random.default_rng(seed)
    letters = "абвгґдеєжзиіїйклмнопрстуфхцчшщюя"
    seen = set(CORE_LEMMAS)
    candidates: list[str] = []
    # A spread of dictionary words: every 7th of the first 400 under each
    # two-letter prefix (the whole dictionary would take minutes).
    for a, b in itertools.product(letters, letters):
        for _word, tag, normal, _para, _idx in itertools.islice(
            morph.dictionary.iter_known_words(a + b), 0, 400, 7
        ):
            if (
                tag.POS in _POS
                and not (tag.grammemes & _SKIP)
                and 4 <= len(normal) <= 14
                and normal.isalpha()
                and normal not in seen
            ):
                seen.add(normal)
                candidates.append(normal)
    extra = max(0, size - len(CORE_LEMMAS))
    picked = [candidates[i] for i in rng.permutation(len(candidates))[:extra]]
    lemmas: list[str] = []
    forms: list[list[str]] = []
    for lemma in CORE_LEMMAS + picked:
        words = [lemma]
        for parse in morph.parse(lemma):
            if parse.normal_form == lemma:
                words += [f.word for f in parse.lexeme if f.word not in words]
                break
        lemmas.append(lemma)
        forms.append(words[:24])
    table = np.empty(len(lemmas) * _SLOTS, dtype=object)
    for i, words in enumerate(forms):
        # Earlier forms (nominative, genitive…) are more frequent: Zipf over forms.
        weights = np.array([1.0 / (k + 1) for k in range(len(words))])
        counts = np.maximum(1, np.round(weights / weights.sum() * _SLOTS)).astype(int)
        slots = [w for w, c in zip(words, counts, strict=True) for _ in range(c)][:_SLOTS]
        while len(slots) < _SLOTS:
            slots.append(words[0])
        table[i * _SLOTS : (i + 1) * _SLOTS] = slots
    ranks = np.arange(1, len(lemmas) + 1, dtype=float)
    weights = 1.0 / (ranks + 2.7) ** 1.0
    cumulative = np.cumsum(weights / weights.sum())
    return Vocabulary(lemmas, forms, table, cumulative)


class Corpus:
    """Deterministic synthetic documents: document ``n`` is the same on every run."""

    def __init__(self, vocab: Vocabulary, seed: int, words_per_page: int) -> None:
        self.vocab = vocab
        self.seed = seed
        self.words_per_page = words_per_page

    def _rng(self, doc_no: int) -> np.random.Generator:
        return np.random.default_rng([self.seed, doc_no])

    def document(self, doc_no: int, pages: int | None = None) -> IndexDoc:
        rng = self._rng(doc_no)
        n_pages = min(40, int(rng.geometric(0.22)))  # mostly short, mean ≈ 4.5 pages
        if pages is not None:
            n_pages = min(n_pages, pages)
        case = f"{2023 + (doc_no // 3) % 4}/{doc_no // 3:06d}"
        archived = _EPOCH + timedelta(seconds=float(rng.integers(0, _SPAN_DAYS * 86400)))
        header = f"Справа № {case}. Дата реєстрації {archived:%d.%m.%Y}."
        texts = [self._page(rng, header if p == 0 else "") for p in range(n_pages)]
        return IndexDoc(
            document_id=f"doc-{doc_no:08d}",
            case=case,
            package="input" if doc_no % 3 else "output",
            source=str(rng.choice(_SOURCES, p=_SOURCE_P)),
            archived_at=archived,
            pages=texts,
            centre=CENTRES[int(rng.integers(len(CENTRES)))],
            department=DEPARTMENTS[int(rng.integers(len(DEPARTMENTS)))],
            title=None,
        )

    def _page(self, rng: np.random.Generator, header: str) -> str:
        n = int(np.clip(rng.lognormal(math.log(self.words_per_page), 0.35), 40, 1200))
        lemma_idx = np.searchsorted(self.vocab.cumulative, rng.random(n))
        lemma_idx = np.minimum(lemma_idx, len(self.vocab.lemmas) - 1)
        slots = lemma_idx * _SLOTS + rng.integers(0, _SLOTS, n)
        words: list[str] = self.vocab.table[slots].tolist()
        # A few identifiers and numbers per page, as in real paperwork.
        for pos in rng.integers(0, n, max(1, n // 60)).tolist():
            kind = int(rng.integers(4))
            if kind == 0:
                words[pos] = f"{int(rng.integers(1, 29)):02}.{int(rng.integers(1, 13)):02}.2025"
            elif kind == 1:
                words[pos] = str(int(rng.integers(1_000_000_000, 3_999_999_999)))
            elif kind == 2:
                words[pos] = f"{int(rng.integers(10, 99999))},{int(rng.integers(0, 99)):02} грн"
            else:
                words[pos] = f"№ {int(rng.integers(1, 999))}"
        sentences: list[str] = [header] if header else []
        lengths = rng.integers(6, 20, n // 6 + 2).tolist()
        start = 0
        for length in lengths:
            if start >= n:
                break
            chunk = words[start : start + length]
            start += length
            if len(chunk) > 5:
                chunk[2] += ","
            sentence = " ".join(chunk)
            sentences.append(sentence[:1].upper() + sentence[1:] + ".")
        return " ".join(sentences)

    def documents(self, total_pages: int) -> Iterator[tuple[IndexDoc, int]]:
        """Documents until exactly ``total_pages`` pages (the last one cut short)."""
        done = 0
        for doc_no in itertools.count():
            if done >= total_pages:
                return
            doc = self.document(doc_no, pages=total_pages - done)
            done += len(doc.pages)
            yield doc, doc_no


# -- queries -------------------------------------------------------------------------


def make_queries(
    corpus: Corpus, n_docs: int, count: int, seed: int
) -> dict[str, list[SearchQuery]]:
    """Query sets over content words: half frequency-weighted, half uniform over ranks."""
    rng = np.random.default_rng(seed + 1)
    vocab = corpus.vocab
    first_content = 60  # skip function words
    content = np.arange(first_content, len(vocab.lemmas))
    weights = 1.0 / (content + 2.7)
    weights /= weights.sum()

    def lemma() -> int:
        if rng.random() < 0.5:
            return int(rng.choice(content, p=weights))
        return int(rng.choice(content))

    def inflected() -> str:
        for _ in range(20):
            forms = vocab.forms[lemma()]
            if len(forms) > 1:
                return str(forms[int(rng.integers(1, len(forms)))])
        return vocab.lemmas[lemma()]

    def phrase() -> str:
        doc = corpus.document(int(rng.integers(n_docs)))
        page = doc.pages[int(rng.integers(len(doc.pages)))]
        words = [w.strip(".,") for w in page.split()]
        for _ in range(50):
            size = int(rng.integers(2, 4))
            at = int(rng.integers(0, max(1, len(words) - size)))
            chunk = words[at : at + size]
            # Phrases users type are content words, not "і в на".
            if all(w.isalpha() and len(w) > 3 for w in chunk):
                return '"' + " ".join(chunk) + '"'
        return '"' + " ".join(words[:2]) + '"'

    def scoped() -> SearchQuery:
        text = vocab.lemmas[lemma()]
        kind = int(rng.integers(6))
        if kind == 0:
            start = date(2023, 1, 1) + timedelta(days=int(rng.integers(0, _SPAN_DAYS - 30)))
            return SearchQuery(text, date_from=start, date_to=start + timedelta(days=30))
        if kind == 1:
            return SearchQuery(text, source=str(rng.choice(_SOURCES)))
        if kind == 2:
            picks = rng.choice(len(CENTRES), 3, replace=False)
            return SearchQuery(text, centres=[CENTRES[int(i)] for i in picks])
        if kind == 3:
            picks = rng.choice(len(DEPARTMENTS), 2, replace=False)
            return SearchQuery(text, departments=[DEPARTMENTS[int(i)] for i in picks])
        if kind == 4:
            doc = corpus.document(int(rng.integers(n_docs)))
            return SearchQuery(text, case=doc.case)
        ids = [f"doc-{int(i):08d}" for i in rng.choice(n_docs, min(n_docs, 500), replace=False)]
        return SearchQuery(text, document_ids=ids)

    return {
        "word": [SearchQuery(vocab.lemmas[lemma()]) for _ in range(count)],
        "inflected word": [SearchQuery(inflected()) for _ in range(count)],
        "two words": [SearchQuery(f"{vocab.lemmas[lemma()]} {inflected()}") for _ in range(count)],
        "phrase": [SearchQuery(phrase()) for _ in range(count)],
        "filtered": [scoped() for _ in range(count)],
    }


def _percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[max(0, math.ceil(q * len(ordered)) - 1)]


def time_queries(index: SearchIndex, queries: Sequence[SearchQuery]) -> dict[str, float]:
    """Wall-clock and CPU milliseconds per query (CPU shows the intrinsic cost
    when other work shares the machine)."""
    wall: list[float] = []
    cpu: list[float] = []
    totals: list[int] = []
    for query in queries:
        started, started_cpu = time.perf_counter(), time.process_time()
        result = index.search(query)
        cpu.append((time.process_time() - started_cpu) * 1000)
        wall.append((time.perf_counter() - started) * 1000)
        totals.append(result.total)
    return {
        "p50": statistics.median(wall),
        "p95": _percentile(wall, 0.95),
        "max": max(wall),
        "cpu_p50": statistics.median(cpu),
        "cpu_p95": _percentile(cpu, 0.95),
        "mean_total": statistics.mean(totals),
    }


# -- driver --------------------------------------------------------------------------


def _tantivy_dir(url: str) -> Path | None:
    parts = urlsplit(url)
    if parts.scheme != "tantivy":
        return None
    return Path(unquote(parts.netloc + parts.path))


def _dir_size(path: Path) -> int:
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file())


def build(
    index: SearchIndex, corpus: Corpus, pages: int, batch_docs: int, log: Callable[[str], None]
) -> tuple[int, float]:
    started = time.perf_counter()
    done_pages = 0
    n_docs = 0
    batch: list[IndexDoc] = []
    next_report = 0.0
    for doc, _doc_no in corpus.documents(pages):
        batch.append(doc)
        n_docs += 1
        done_pages += len(doc.pages)
        if len(batch) >= batch_docs:
            index.upsert(batch)
            batch = []
            elapsed = time.perf_counter() - started
            if elapsed >= next_report:
                log(f"  {done_pages:>9,} pages  {done_pages / elapsed:7.0f} pages/s")
                next_report = elapsed + 30
    if batch:
        index.upsert(batch)
    return n_docs, time.perf_counter() - started


def main(argv: Sequence[str] | None = None) -> dict[str, Any]:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--pages", type=int, default=100_000)
    parser.add_argument("--index-url", help="index URL (default: a temporary tantivy dir)")
    parser.add_argument("--keep", type=Path, help="keep the index in DIR and reuse it")
    parser.add_argument("--queries", type=int, default=200, help="queries of each kind")
    parser.add_argument("--lemmas", type=int, default=4000, help="vocabulary size")
    parser.add_argument("--words-per-page", type=int, default=300)
    parser.add_argument("--batch-docs", type=int, default=2000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--json", type=Path, help="also write the figures to this file")
    args = parser.parse_args(argv)

    def log(msg: str) -> None:
        print(msg, flush=True)

    temp: Path | None = None
    if args.keep:
        args.keep.mkdir(parents=True, exist_ok=True)
        url = args.index_url or f"tantivy://{args.keep.resolve() / 'index'}"
        meta_path: Path | None = args.keep / "bench.json"
    else:
        temp = Path(tempfile.mkdtemp(prefix="search-bench-"))
        url = args.index_url or f"tantivy://{temp / 'index'}"
        meta_path = None
    params = {
        "pages": args.pages,
        "lemmas": args.lemmas,
        "words_per_page": args.words_per_page,
        "seed": args.seed,
        "url": url,
    }
    try:
        log(f"vocabulary: {args.lemmas} lemmas …")
        vocab = build_vocabulary(args.lemmas, args.seed)
        corpus = Corpus(vocab, args.seed, args.words_per_page)
        reuse = meta_path is not None and meta_path.exists()
        previous = json.loads(meta_path.read_text()) if meta_path and reuse else {}
        reuse = reuse and previous.get("params") == params
        index = open_index(url)
        if reuse:
            n_docs, build_s, close_s = previous["docs"], previous["build_s"], previous["close_s"]
            log(f"reusing index at {url}: {index.count():,} documents")
        else:
            index.clear()
            log(f"building {args.pages:,} pages into {url} …")
            n_docs, build_s = build(index, corpus, args.pages, args.batch_docs, log)
            started = time.perf_counter()
            index.close()  # waits for background merges
            close_s = time.perf_counter() - started
            if meta_path is not None:
                record = {"params": params, "docs": n_docs, "build_s": build_s, "close_s": close_s}
                meta_path.write_text(json.dumps(record))
            index = open_index(url)

        # Measure like a freshly started server: empty analysis caches.
        default_analyzer().clear_caches()
        gc.collect()
        queries = make_queries(corpus, n_docs, args.queries, args.seed)
        for query in make_queries(corpus, n_docs, 5, args.seed + 99)["word"]:
            index.search(query)  # warm-up: loads pymorphy3, touches the index files
        results = {kind: time_queries(index, qs) for kind, qs in queries.items()}
        count = index.count()
        index.close()

        directory = _tantivy_dir(url)
        size = _dir_size(directory) if directory else None
        figures: dict[str, Any] = {
            "pages": args.pages,
            "documents": n_docs,
            "indexed_documents": count,
            "build_seconds": round(build_s, 1),
            "merge_on_close_seconds": round(close_s, 1),
            "pages_per_second": round(args.pages / build_s) if build_s else None,
            "index_bytes": size,
            "kb_per_page": round(size / args.pages / 1024, 2) if size else None,
            "queries": {k: {m: round(v, 2) for m, v in r.items()} for k, r in results.items()},
        }
        log("")
        log(f"pages {args.pages:,}  documents {n_docs:,}  (index holds {count:,})")
        rate = figures["pages_per_second"]
        log(f"build {build_s:.1f} s ({rate} pages/s) + merge on close {close_s:.1f} s")
        if size:
            log(f"index size {size / 2**20:.1f} MiB = {figures['kb_per_page']} KB/page")
        log(
            f"{'query':<16}{'p50 ms':>9}{'p95 ms':>9}{'max ms':>9}{'cpu p50':>9}{'cpu p95':>9}"
            f"{'avg total':>11}"
        )
        for kind, r in results.items():
            log(
                f"{kind:<16}{r['p50']:9.2f}{r['p95']:9.2f}{r['max']:9.2f}{r['cpu_p50']:9.2f}"
                f"{r['cpu_p95']:9.2f}{r['mean_total']:11.0f}"
            )
        if args.json:
            args.json.write_text(json.dumps(figures, indent=2))
        return figures
    finally:
        if temp is not None:
            shutil.rmtree(temp, ignore_errors=True)


if __name__ == "__main__":
    main()
