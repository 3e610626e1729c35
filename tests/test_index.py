"""The index on disk: incremental updates, manifest checks, one writer at a time, FAISS vs numpy."""

import json

import numpy as np
import pytest

from rag import IndexBusyError, IndexMismatchError, IndexNotFoundError, SourceError
from rag.store import Store
from rag.writer import Writer


def test_reindexing_an_unchanged_corpus_embeds_nothing(new_index, corpus_copy):
    idx = new_index()
    first = idx.update([corpus_copy])
    assert (first.added, first.chunks_embedded > 0, first.documents_total) == (5, True, 5)
    again = idx.update([corpus_copy])
    assert (again.added, again.updated, again.removed, again.unchanged, again.chunks_embedded) == (0, 0, 0, 5, 0)
    assert again.chunks_total == first.chunks_total


def test_changed_removed_and_new_articles(new_index, corpus_copy):
    idx = new_index()
    idx.update([corpus_copy])
    total = idx.store.count_chunks()
    # change the last paragraph of one article: only the chunks that hold it are embedded again
    p = corpus_copy / "004_2b647fba49938601.txt"
    p.write_text(p.read_text().replace("voted to expel US troops", "voted to expel foreign troops"))
    (corpus_copy / "001_4b0d695ee80dd377.txt").unlink()
    (corpus_copy / "new.txt").write_text("Oil prices jump\n\nOil prices rose 4% after the strike, traders said.")
    r = idx.update()  # no paths: the paths indexed before
    assert (r.added, r.updated, r.removed, r.unchanged) == (1, 1, 1, 3)
    rows = idx.store.chunk_rows(list(range(1, 10**4))).values()
    n_004 = len([c for c in rows if c.doc_id == "004_2b647fba49938601"])
    assert n_004 >= 3
    # the new article's one chunk, plus the changed chunks of 004 but not all of them
    assert 2 <= r.chunks_embedded <= n_004
    docs = {d["doc_id"] for d in idx.store.documents()}
    assert "001_4b0d695ee80dd377" not in docs and "new" in docs
    assert idx.search("oil prices traders", k=1)[0].doc_id == "new"
    assert len(rows) == idx.store.count_chunks() < total + 1


def test_reused_vectors_match_fresh_embeddings(new_index, corpus_copy, embedder):
    from rag.embed import embed_input
    from rag.types import Article, Chunk

    idx = new_index()
    idx.update([corpus_copy])
    p = corpus_copy / "004_2b647fba49938601.txt"
    p.write_text(p.read_text().replace("voted to expel US troops", "voted to expel foreign troops"))
    idx.update([corpus_copy])
    rows = idx.store.chunk_rows(list(range(1, 10**4)))
    ids = sorted(rows)
    stored = idx.store.vectors(ids)
    fresh = embedder.encode([embed_input(Article(r.doc_id, r.title, ""), Chunk(r.doc_id, r.ord, r.start, r.end, r.text)) for r in (rows[i] for i in ids)])
    assert np.allclose(stored, fresh, atol=1e-4)


def test_faiss_search_equals_numpy_brute_force(seed_index, embedder):
    store = seed_index.store
    ids = np.array(sorted(store.chunk_rows(list(range(1, 10**4)))), dtype=np.int64)
    mat = store.vectors(ids)
    for q in ["phone call between Putin and Macron", "Quds Force members", "parliament expel troops"]:
        qv = embedder.encode_query(q)
        got_ids, got_scores = store.dense_search(qv, 5)
        ref = np.argsort(-(mat @ qv))[:5]
        assert list(got_ids) == list(ids[ref])
        assert np.allclose(got_scores, (mat @ qv)[ref], atol=1e-5)


def test_opening_with_another_model_or_chunking_fails_with_a_rebuild_hint(new_index, corpus_copy, embedder):
    idx = new_index()
    idx.update([corpus_copy])
    other = new_index(chunk_tokens=120)
    with pytest.raises(IndexMismatchError, match="rag index --rebuild"):
        other.update([corpus_copy])
    store = Store(idx.settings.index_dir)
    with pytest.raises(IndexMismatchError, match="built with model"):
        store.check_model("intfloat/e5-small-v2")
    # --rebuild with the new settings works and replaces the index atomically
    r = other.update([corpus_copy], rebuild=True)
    assert r.added == 5
    manifest = json.loads((idx.settings.index_dir / "manifest.json").read_text())
    assert manifest["chunk_tokens"] == 120
    assert len(list(idx.settings.index_dir.glob("store-*.sqlite"))) == 1


def test_missing_index_and_missing_path_are_clear_errors(new_index, tmp_path):
    idx = new_index()
    with pytest.raises(IndexNotFoundError, match="rag index"):
        idx.search("anything")
    with pytest.raises(SourceError, match="no such file"):
        idx.update([tmp_path / "nope"])
    assert not (idx.settings.index_dir / "CURRENT").exists()


def test_a_second_writer_is_refused_while_one_is_writing(new_index, corpus_copy):
    idx = new_index()
    idx.update([corpus_copy])
    manifest = json.loads((idx.settings.index_dir / "manifest.json").read_text())
    manifest = {k: v for k, v in manifest.items() if k not in ("generation", "database")}
    with Writer.open(idx.settings.index_dir, manifest):
        with pytest.raises(IndexBusyError, match="another process"):
            idx.update([corpus_copy])
    assert idx.update([corpus_copy]).unchanged == 5


def test_a_failed_update_leaves_the_previous_index(new_index, corpus_copy):
    idx = new_index()
    idx.update([corpus_copy])
    before = {d["doc_id"] for d in idx.store.documents()}
    gen = idx.store.generation
    (corpus_copy / "extra.txt").write_text("Extra\n\nAn extra article about something else.")
    manifest = json.loads((idx.settings.index_dir / "manifest.json").read_text())
    manifest = {k: v for k, v in manifest.items() if k not in ("generation", "database")}
    with pytest.raises(RuntimeError):
        with Writer.open(idx.settings.index_dir, manifest) as w:
            w.delete("000_17320e14ca20f683")
            raise RuntimeError("crash in the middle of an update")
    fresh = Store(idx.settings.index_dir)
    assert {d["doc_id"] for d in fresh.documents()} == before and fresh.generation == gen
    assert fresh.count_chunks() == idx.store.count_chunks()


def test_index_folder_holds_only_the_live_generation(new_index, corpus_copy):
    idx = new_index()
    idx.update([corpus_copy])
    (corpus_copy / "extra.txt").write_text("Extra\n\nAn extra article.")
    idx.update([corpus_copy])
    files = sorted(p.name for p in idx.settings.index_dir.iterdir() if p.suffix == ".faiss")
    assert len(files) == 1 and files[0].endswith(".g2.faiss")


def test_documents_with_the_same_id_in_one_run_keep_the_first(new_index, tmp_path):
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    (tmp_path / "a" / "x.txt").write_text("First\n\nThe first one.")
    (tmp_path / "b" / "x.txt").write_text("Second\n\nThe second one.")
    r = new_index().update([tmp_path / "a", tmp_path / "b"])
    assert r.added == 1 and "already read" in r.skipped[0].reason


def test_rebuild_without_paths_rebuilds_what_was_indexed(new_index, corpus_copy):
    """`rag index --rebuild` with no paths used to commit an empty index: the rebuild's new database
    had no record of the paths indexed before."""
    idx = new_index()
    first = idx.update([corpus_copy])
    again = idx.update(rebuild=True)
    assert again.documents_total == first.documents_total == 5 and again.chunks_total == first.chunks_total
    assert idx.search("Quds Force members", k=1)[0].doc_id == "001_4b0d695ee80dd377"
    assert idx.update().unchanged == 5  # and the rebuilt index remembers its paths too
