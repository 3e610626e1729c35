"""The Milvus store (`RAG_STORE=milvus://...`) on milvus-lite (Milvus's API served in this process), run for real:
the same answers as the embedded store on the bundled corpus, filters, incremental updates, deletes,
and an index that a re-run repairs after an update stopped mid-way."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import date
from pathlib import Path

import pytest

pytest.importorskip("pymilvus", reason="the Milvus store needs pymilvus (pip install 'rag[milvus]')")
pytest.importorskip("milvus_lite", reason="the Milvus store's tests run milvus-lite (pip install 'rag[milvus]')")

from rag import Index, Settings, SettingsError  # noqa: E402
from rag.build import article_hash  # noqa: E402
from rag.ingest import read_articles  # noqa: E402
from rag.milvus import MilvusStore, parse_url  # noqa: E402
from rag.types import Article  # noqa: E402

from conftest import CORPUS, DATA, ROOT  # noqa: E402

NEWS = DATA / "dated_news.jsonl"  # eleven dated articles from four outlets, 1-7 Feb 2017
QUESTIONS = [json.loads(line)["question"] for line in (DATA / "seed_qa.jsonl").read_text().splitlines()[:8]]


def _lite(path: Path) -> str:
    return f"milvus://{path}"


@pytest.fixture(scope="module")
def milvus_index(tmp_path_factory, embedder) -> Index:
    """The five seed articles and the dated news, indexed into milvus-lite once; tests must not modify it."""
    d = tmp_path_factory.mktemp("milvus")
    idx = Index(Settings.load(index_dir=d / "index", store=_lite(d / "rag.db")), embedder=embedder)
    idx.update([CORPUS, NEWS])
    return idx


@pytest.fixture(scope="module")
def embedded(tmp_path_factory, embedder) -> Index:
    """The same articles in the embedded store (FAISS + BM25 + SQLite), to compare with."""
    idx = Index(Settings.load(index_dir=tmp_path_factory.mktemp("embedded") / "index"), embedder=embedder)
    idx.update([CORPUS, NEWS])
    return idx


def _state(store: MilvusStore) -> dict[str, tuple[str, int]]:
    """doc id -> (content hash, number of chunks), read straight from the collections; and no chunk
    without its document."""
    docs = {r["key"]: r["hash"] for r in store._scan(store.names.docs, "", ["hash"])}
    chunks: dict[str, int] = {}
    for r in store._scan(store.names.chunks, "", ["doc_id"]):
        chunks[r["doc_id"]] = chunks.get(r["doc_id"], 0) + 1
    assert set(chunks) <= set(docs), f"chunks without a document: {sorted(set(chunks) - set(docs))}"
    return {d: (h, chunks.get(d, 0)) for d, h in docs.items()}


def _expected(corpus: Path) -> dict[str, str]:
    return {a.doc_id: article_hash(a) for a in read_articles([corpus]) if isinstance(a, Article)}


def test_store_url_forms_and_a_bad_one_says_what_to_write():
    assert parse_url("") is None
    assert parse_url("milvus:///data/rag.db").uri == "/data/rag.db"
    assert parse_url("milvus://./rag.db").uri == "rag.db"
    t = parse_url("milvus://milvus.internal:19530/news")
    assert (t.uri, t.prefix, t.lite) == ("http://milvus.internal:19530", "news", False)
    for bad in ("postgres://x", "milvus://", "milvus:///data/rag", "milvus://host", "milvus://host:99999"):
        with pytest.raises(SettingsError) as e:
            Settings.load(env={"RAG_STORE": bad})
        msg = str(e.value)
        assert "\n" not in msg and "milvus:///abs/path/rag.db" in msg and "milvus://host:19530" in msg, msg
        assert "unset it for the embedded store" in msg


def test_bad_store_is_one_line_on_stderr_from_the_cli(tmp_path):
    env = {**os.environ, "PYTHONPATH": str(ROOT), "RAG_STORE": "milvus:/oops"}
    r = subprocess.run([sys.executable, "-m", "rag", "search", "anything", "--index-dir", str(tmp_path)],
                       capture_output=True, text=True, env=env, timeout=120)
    assert r.returncode == 2, r.stderr
    assert r.stderr.count("\n") == 1 and "RAG_STORE='milvus:/oops' is not a store" in r.stderr, r.stderr


def test_search_gives_the_embedded_stores_top_documents(milvus_index, embedded):
    assert milvus_index.store.count_documents() == embedded.store.count_documents() == 16
    assert milvus_index.store.count_chunks() == embedded.store.count_chunks()
    for q in QUESTIONS:
        ours = [p.doc_id for p in milvus_index.search(q, k=3)]
        theirs = [p.doc_id for p in embedded.search(q, k=3)]
        assert ours == theirs, q


def test_passage_offsets_point_into_the_stored_article(milvus_index):
    for p in milvus_index.search(QUESTIONS[0], k=5):
        doc = milvus_index.store.document(p.doc_id)
        assert doc is not None and doc.text[p.start:p.end] == p.text


def test_ask_cites_the_same_sentences_at_exact_offsets(milvus_index, embedded):
    for q in QUESTIONS[:3]:
        ours, theirs = milvus_index.ask(q), embedded.ask(q)
        assert ours.citations, q
        assert [(c.doc_id, c.start, c.end, c.text) for c in ours.citations] == \
               [(c.doc_id, c.start, c.end, c.text) for c in theirs.citations], q
        assert ours.answer == theirs.answer
        for c in ours.citations:
            assert milvus_index.store.document(c.doc_id).text[c.start:c.end] == c.text


def test_source_doc_and_date_filters(milvus_index, embedded):
    docs = embedded.store.documents()
    assert milvus_index.store.documents() == docs
    assert milvus_index.sources() == embedded.sources()
    assert sorted(milvus_index.store.outlets()) == sorted(embedded.store.outlets())
    assert {"bbc.co.uk", "dw.com", "cnn.com", "abcnews.go.com"} <= set(milvus_index.store.outlets())
    assert milvus_index.store.date_years() == embedded.store.date_years() == (2017,)

    def ids(idx: Index, q: str, **kw) -> list[str]:
        return [p.doc_id for p in idx.search(q, k=5, **kw)]

    got = milvus_index.search("Trump", k=5, sources=["cnn.com", "dw.com"])
    assert got and {p.source for p in got} <= {"cnn.com", "dw.com"}
    assert [p.doc_id for p in got] == ids(embedded, "Trump", sources=["cnn.com", "dw.com"])
    assert set(ids(milvus_index, "Trump", doc_ids=["tm0097", "tm0003"])) == {"tm0097", "tm0003"}
    got = milvus_index.search("Trump", k=5, since=date(2017, 2, 3), until=date(2017, 2, 3))
    assert got and {p.date[:10] for p in got} == {"2017-02-03"}
    assert [p.doc_id for p in got] == ids(embedded, "Trump", since=date(2017, 2, 3), until=date(2017, 2, 3))
    assert {p.doc_id for p in milvus_index.search("Trump", k=10, since="2017-02-07")} == {"tm0003", "tm0023", "tm0027"}
    assert ids(milvus_index, "Trump", sources=["bbc.co.uk"], since="2017-02-07") == []
    assert milvus_index.search("talks", k=5, since="1900-01-01", until="1900-01-02") == []


def test_update_reembeds_only_the_changed_article_and_deletes(tmp_path, corpus_copy, embedder):
    idx = Index(Settings.load(index_dir=tmp_path / "index", store=_lite(tmp_path / "rag.db")), embedder=embedder)
    first = idx.update([corpus_copy])
    assert (first.added, first.documents_total) == (5, 5)
    assert idx.update([corpus_copy]).chunks_embedded == 0  # nothing changed: nothing embedded
    p = corpus_copy / "004_2b647fba49938601.txt"
    p.write_text(p.read_text().replace("voted to expel US troops", "voted to expel zeppelin troops"))
    rep = idx.update([corpus_copy])
    assert (rep.updated, rep.added, rep.unchanged) == (1, 0, 4)
    assert 1 <= rep.chunks_embedded <= 2  # the chunks holding the changed sentence, not the whole corpus
    hit = idx.search("zeppelin troops", k=1)[0]
    assert "zeppelin" in hit.text and idx.store.document(hit.doc_id).text[hit.start:hit.end] == hit.text
    gone = sorted(corpus_copy.glob("*.txt"))[1]
    gone_id = next(a.doc_id for a in read_articles([gone]) if isinstance(a, Article))
    gone.unlink()
    rep = idx.update()  # the paths indexed before
    assert (rep.removed, rep.documents_total) == (1, 4)
    assert idx.store.document(gone_id) is None
    assert gone_id not in {p.doc_id for p in idx.search("the", k=20)}
    assert {d: h for d, (h, _) in _state(idx.store).items()} == _expected(corpus_copy)
    # a rebuild switches to new collections at its commit and drops the old ones
    rep = idx.update([corpus_copy], rebuild=True)
    assert rep.documents_total == 4 and idx.store.count_documents() == 4
    names = idx.store.client.list_collections()
    assert sorted(names) == sorted([*idx.store.names.all(), idx.store.names.meta]), names


class _Stop(Exception):
    """Stands for the indexer's process dying: raised from inside the build, between two writes."""


def test_a_rerun_after_an_interrupted_update_gives_the_complete_index(tmp_path, corpus_copy, embedder, monkeypatch):
    idx = Index(Settings.load(index_dir=tmp_path / "index", store=_lite(tmp_path / "rag.db")), embedder=embedder)
    idx.update([corpus_copy])
    for p in sorted(corpus_copy.glob("*.txt")):  # every article changes: every one is written again
        p.write_text(p.read_text().replace("Soleimani", "Soleimani (also spelled Suleimani)", 1))
    (corpus_copy / "002a_new.txt").write_text("Oil prices jump\n\nOil prices rose 4% after the strike, traders said.\n")
    (corpus_copy / "002b_unreadable.txt").write_bytes(b"")  # a skip, read after the articles before it
    # Each article its own batch, so the articles before the skip are written when it comes; the build then
    # stops there, uncommitted, as a killed `rag index` would.
    monkeypatch.setattr("rag.build.EMBED_BATCH", 1)

    def stop(_skipped) -> None:
        raise _Stop

    with pytest.raises(_Stop):
        idx.update([corpus_copy], on_skip=stop)
    monkeypatch.undo()
    store = MilvusStore(parse_url(idx.settings.store))
    torn = _state(store)
    expected = _expected(corpus_copy)
    assert torn["002a_new"][0] == expected["002a_new"]  # written before the stop ...
    assert torn["004_2b647fba49938601"][0] != expected["004_2b647fba49938601"]  # ... this one not yet
    # A kill between a document's chunks and its row leaves chunks that no row claims; and that article
    # may be gone before the next run.
    store.client.delete(store.names.docs, ids=["002a_new"])
    store.close()
    (corpus_copy / "002a_new.txt").unlink()
    (corpus_copy / "002b_unreadable.txt").unlink()

    rep = idx.update()
    assert rep.documents_total == 5
    state = _state(idx.store)  # also: no chunk without its document
    assert {d: h for d, (h, _) in state.items()} == _expected(corpus_copy)
    assert sum(n for _, n in state.values()) == idx.store.count_chunks() == rep.chunks_total
    assert "Suleimani" in idx.search("Suleimani", k=1)[0].text
    assert idx.store.lexical_search(["oil", "price"], 5) == []  # the vanished article's chunks are gone
