"""Fast paths for large indexes: the dense index type follows the size, sentence vectors are stored."""

import numpy as np
import pytest

from rag.manifest import manifest
from rag.store import Store
from rag.writer import Writer
from rag.types import Article, Chunk

DIM = 384


def _clustered(rng, n, centres):
    """Unit vectors around a few random centres, the way real chunk vectors cluster by topic."""
    x = centres[rng.integers(0, len(centres), n)] + rng.normal(0, 0.05, (n, DIM)).astype(np.float32)
    return x / np.linalg.norm(x, axis=1, keepdims=True)


def _put_docs(w, rng, centres, first, count, per_doc=10):
    for d in range(first, first + count):
        doc_id = f"d{d}"
        text = " ".join(f"word{d}x{i}." for i in range(per_doc))
        chunks = [Chunk(doc_id, i, i * 10, i * 10 + 9, text[i * 10 : i * 10 + 9]) for i in range(per_doc)]
        art = Article(doc_id, f"Title {d}", text)
        w.put(art, f"h{d}", chunks, [f"{doc_id}:{i}" for i in range(per_doc)], _clustered(rng, per_doc, centres))


@pytest.fixture
def settings_manifest(embedder, tmp_path):
    from rag import Settings

    return manifest(Settings.load(index_dir=tmp_path / "index"), embedder)


def test_dense_index_turns_ivf_past_the_limit_and_keeps_recall_updates_and_filters(tmp_path, settings_manifest):
    rng = np.random.default_rng(0)
    centres = rng.normal(size=(40, DIM)).astype(np.float32)
    root, limit = tmp_path / "index", 2000
    with Writer.open(root, settings_manifest, rebuild=True, exact_limit=limit) as w:
        _put_docs(w, rng, centres, 0, 300)  # 3,000 chunks: past the limit
        w.commit()
    store = Store(root)
    assert type(store.dense).__name__ == "IndexIVFScalarQuantizer" and store.count_chunks() == 3000

    ids = np.arange(1, 3001)
    stored = store.vectors(ids)  # (3000, dim), float16 precision
    queries = _clustered(rng, 50, centres)
    truth = np.argsort(-(stored @ queries.T), axis=0)[:10].T  # numpy brute force, (50, 10)
    found = [set(store.dense_search(q, 10)[0]) for q in queries]
    recall = np.mean([len(f & set(ids[t])) / 10 for f, t in zip(found, truth)])
    assert recall >= 0.98

    allowed = np.array([5, 17, 2999])
    got, scores = store.dense_search(queries[0], 3, allowed)
    assert sorted(got) == [5, 17, 2999] and np.all(np.diff(scores) <= 0)

    with Writer.open(root, settings_manifest, exact_limit=limit) as w:
        w.delete("d0")  # chunk ids 1-10
        _put_docs(w, rng, centres, 300, 5)
        w.commit()
    store.refresh()
    assert type(store.dense).__name__ == "IndexIVFScalarQuantizer" and store.count_chunks() == 3040
    hits = set(store.dense_search(stored[0], 50)[0])
    assert not hits & set(range(1, 11))  # deleted chunks are gone from search

    with Writer.open(root, settings_manifest, exact_limit=limit) as w:
        for d in range(1, 280):
            w.delete(f"d{d}")
        w.commit()
    store.refresh()
    assert type(store.dense).__name__ == "IndexIDMap2" and store.count_chunks() == 250  # back to exact


@pytest.fixture
def own_index(seed_index, tmp_path, embedder):
    """A private copy of the seed index: this test looks into its sentence cache, which the shared one must keep."""
    from conftest import index_copy

    return index_copy(seed_index, tmp_path / "seed-copy", embedder)


def test_answers_use_sentence_vectors_stored_at_index_time(own_index, embedder):
    hits = own_index.search("How many members is the Quds Force estimated to have?", k=3)
    stored = own_index.store.sentence_vectors([p.chunk_id for p in hits])
    from rag.chunk import sentence_spans
    from rag.embed import embed_input

    for p in hits:
        doc = own_index.store.document(p.doc_id)
        art = Article(p.doc_id, doc.title, doc.text)
        text = embed_input(art, Chunk(p.doc_id, 0, p.start, p.end, p.text))
        shift = len(text) - len(p.text)
        spans = sentence_spans(p.text)
        _, fresh = embedder.encode_spans([text], [[(a + shift, b + shift) for a, b in spans]])
        assert sorted(stored[p.chunk_id]) == [a for a, _ in spans]
        for (a, _), v in zip(spans, fresh[0]):
            assert float(stored[p.chunk_id][a] @ v) > 0.999  # int8 storage keeps the direction

    assert len(own_index._cache._d) == 0  # a fresh index: nothing cached yet
    answer = own_index.ask("How many members is the Quds Force estimated to have?")
    assert answer.grounded and "20,000" in answer.answer
    assert len(own_index._cache._d) == 0  # nothing was embedded for the sentences at question time


def test_a_sentence_joined_by_newer_rules_is_not_given_its_first_parts_vector(own_index, embedder):
    # An index cut by older sentence rules stored a vector for each part of what is now one sentence
    # (a quotation in single marks was cut at its inner full stop): the part's vector is not the
    # sentence's, so the sentence is embedded now.
    from rag.evidence import Sentence, sentence_vectors
    from rag.chunk import sentence_spans

    hit = next(p for p in own_index.search("How many members is the Quds Force estimated to have?", k=3)
               if len(sentence_spans(p.text)) >= 2)
    (a0, b0), (_, b1) = sentence_spans(hit.text)[:2]
    first = Sentence(hit, hit.start + a0, hit.start + b0, hit.text[a0:b0])
    joined = Sentence(hit, hit.start + a0, hit.start + b1, hit.text[a0:b1])
    stored_first, fresh_joined = sentence_vectors([first, joined], own_index.store, embedder, own_index._cache)
    assert len(own_index._cache._d) == 1  # only the joined sentence was embedded
    want = own_index._cache.encode(embedder, [joined.text])[0]
    assert float(fresh_joined @ want) > 0.999 and float(stored_first @ fresh_joined) < 0.99
