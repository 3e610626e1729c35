"""The BM25 index: scores equal SQLite FTS5's bm25() (the reference), updates equal a fresh build,
and an index written before it existed is upgraded in place without embedding anything again."""

import sqlite3

import numpy as np
import pytest
from hypothesis import given, settings as hsettings, strategies as st

from rag import Index, IndexNotFoundError, IndexOutdatedError
from rag.lexical import Lexicon, Pending, Update, build
from rag.layout import lex_path
from rag.store import Store
from rag.terms import terms

from conftest import as_older_index, index_copy

QUESTIONS = ["Who initiated the phone call between Putin and Macron?",
             "How many members is the Quds Force estimated to have?",
             "Iran Iraq Baghdad strike Soleimani killed 20,000 3.5"]


def _fts5(rows) -> sqlite3.Connection:
    """The same chunks in FTS5, one token per term ('.' kept inside numbers like 3.5)."""
    conn = sqlite3.connect(":memory:")
    conn.execute("CREATE VIRTUAL TABLE t USING fts5(x, content='', tokenize=\"unicode61 remove_diacritics 0 tokenchars '.'\")")
    conn.executemany("INSERT INTO t(rowid, x) VALUES(?, ?)", [(i, " ".join(ts)) for i, ts in rows])
    return conn


def _reference(conn, qterms) -> dict[int, float]:
    match = " OR ".join(f'"{t}"' for t in dict.fromkeys(qterms))
    return dict(conn.execute("SELECT rowid, -bm25(t) FROM t WHERE t MATCH ?", [match]))


@pytest.mark.parametrize("question", QUESTIONS)
def test_bm25_equals_fts5_for_given_chunks_and_for_the_top(seed_index, question):
    store = seed_index.store
    rows = [(i, terms(text)) for i, text in store._rows("SELECT id, text FROM chunks")]
    qterms = terms(question)
    ref = _reference(_fts5(rows), qterms)
    ours = store.lexical_scores(qterms, [i for i, _ in rows])
    assert ref and sorted(ours) == sorted(ref)
    assert max(abs(ours[i] - ref[i]) for i in ref) < 1e-9
    top = store.lexical_search(qterms, 5)
    best = sorted(ref.values(), reverse=True)[:5]
    assert [round(s, 9) for _, s in top] == [round(s, 9) for s in best]
    assert all(abs(ref[i] - s) < 1e-9 for i, s in top)


def test_filtered_search_ranks_only_the_allowed_chunks(seed_index):
    store, qterms = seed_index.store, terms(QUESTIONS[2])
    every = dict(store.lexical_search(qterms, 100))
    allowed = np.array(sorted(every)[::2], dtype=np.int64)
    got = store.lexical_search(qterms, 100, allowed)
    assert got and {i for i, _ in got} == set(allowed.tolist()) & set(every)
    assert all(abs(every[i] - s) < 1e-12 for i, s in got)


def test_common_terms_are_only_rescored_when_the_budget_is_spent():
    # "common" is in 40 chunks, "rare" in three; chunk 7 holds both, "common" most often.
    docs = {i: ["common"] * ((i <= 40) + (i == 7) * 5) + ["filler"] * 5 for i in range(1, 201)}
    for i in (3, 7, 150):
        docs[i] = docs[i] + ["rare"]
    lex = build(docs.items())
    exact = lex.search(["rare", "common"], 3, budget=10**9)
    pruned = lex.search(["rare", "common"], 3, budget=3)  # only "rare" brings candidates
    assert [i for i, _ in pruned] == [i for i, _ in exact] and exact[0][0] == 7
    assert np.allclose([s for _, s in pruned], [s for _, s in exact])
    assert lex.doc_freqs(["rare", "common", "absent"]) == {"rare": 3, "common": 40, "absent": 0}


WORDS = st.sampled_from([f"w{i}" for i in range(12)])


@hsettings(max_examples=80, deadline=None)
@given(steps=st.lists(st.tuples(st.booleans(), st.lists(WORDS, max_size=8)), min_size=1, max_size=25),
       flush=st.integers(1, 4), seed=st.integers(0, 2**32 - 1))
def test_updates_give_the_same_index_as_a_fresh_build(tmp_path_factory, steps, flush, seed):
    """Updates that delete and add chunks, ids handed out as SQLite does (max id + 1, so a deleted
    last id comes back), chunks added then deleted within one update, merges every `flush` chunks:
    each generation, saved and mapped back, equals a build of what is live."""
    rng = np.random.default_rng(seed)
    lex, live = Lexicon.empty(), {}
    folder = tmp_path_factory.mktemp("lex")
    for step, (delete_some, chunk_terms) in enumerate(steps):
        update = Update(lex, flush=flush)
        for _ in range(int(rng.integers(0, 4))):
            if delete_some and live and rng.random() < 0.5:
                gone = int(rng.choice(list(live)))
                del live[gone]
                update.delete([gone])
            else:
                cid = max(live, default=0) + 1
                live[cid] = chunk_terms[int(rng.integers(0, len(chunk_terms) + 1)):]
                update.add(cid, live[cid])
        update.result().save(folder / f"g{step}.lex")  # a new file per generation, as the store writes them
        lex = Lexicon.load(folder / f"g{step}.lex")
    fresh = build(sorted(live.items()))
    for name in ("vocab", "offsets", "ids", "tfs"):
        assert np.array_equal(getattr(lex, name), getattr(fresh, name)), name
    assert (lex.n_chunks, lex.n_tokens) == (len(live), sum(len(t) for t in live.values()))


def test_ids_out_of_sqlite_order_still_merge_correctly(tmp_path):
    base = build([(5, ["a", "b"]), (9, ["b", "c"])])
    pending = Pending()
    pending.add(2, ["a", "c", "c"])  # below a kept id: the slow path
    merged = base.merged([9], pending)
    merged.save(tmp_path / "x.lex")
    again = Lexicon.load(tmp_path / "x.lex")
    fresh = build([(2, ["a", "c", "c"]), (5, ["a", "b"])])
    for name in ("vocab", "offsets", "ids", "tfs"):
        assert np.array_equal(getattr(again, name), getattr(fresh, name)), name
    assert again.doc_freqs(["a", "b", "c"]) == {"a": 2, "b": 1, "c": 1}


def _as_format_1(index_dir):
    """Turn an index into what the previous version wrote: FTS5 tables, no lexical file, format 1."""
    store = Store(index_dir)
    lexical = lex_path(store.db, store.generation)
    store.close()
    db = as_older_index(index_dir, "CREATE VIRTUAL TABLE lexical USING fts5(terms, content='')", format_version=1)
    lexical.unlink()
    return db


def test_an_index_of_the_previous_format_is_upgraded_in_place_without_embedding(seed_index, tmp_path, embedder):
    idx = index_copy(seed_index, tmp_path / "index", embedder)
    db = _as_format_1(idx.settings.index_dir)
    with pytest.raises(IndexOutdatedError, match="run `rag index --index-dir .*` once to upgrade it"):
        idx.search("Quds Force")
    report = idx.update()
    assert report.chunks_embedded == 0 and report.unchanged == seed_index.store.count_documents()
    question = QUESTIONS[1]
    assert [p.chunk_id for p in idx.search(question)] == [p.chunk_id for p in seed_index.search(question)]
    assert idx.ask(question).answer == seed_index.ask(question).answer
    tables = {r[0] for r in sqlite3.connect(db).execute("SELECT name FROM sqlite_master")}
    assert "lexical" not in tables


def test_index_open_upgrades_an_index_of_the_previous_format(seed_index, tmp_path, embedder):
    """What every face opens with (the app at start, the CLI, the Python API): `Index.open` upgrades."""
    idx = index_copy(seed_index, tmp_path / "index", embedder)
    _as_format_1(idx.settings.index_dir)
    said: list[str] = []
    opened = Index.open(idx.settings, embedder=embedder, log=said.append)
    assert said and "upgrading the index" in said[0]
    assert opened.stats().chunks == seed_index.store.count_chunks()
    assert opened.ask(QUESTIONS[1]).answer == seed_index.ask(QUESTIONS[1]).answer


def test_a_lost_lexical_file_is_reported_and_rebuilt_by_the_next_update(seed_index, tmp_path, embedder):
    idx = index_copy(seed_index, tmp_path / "index", embedder)
    store = Store(idx.settings.index_dir)
    path = lex_path(store.db, store.generation)
    store.close()
    path.write_bytes(b"not an index")
    with pytest.raises(IndexNotFoundError, match="run `rag index` to repair it"):
        idx.search("Quds Force")
    assert idx.update().chunks_embedded == 0
    question = QUESTIONS[0]
    assert [p.chunk_id for p in idx.search(question)] == [p.chunk_id for p in seed_index.search(question)]


def test_dotted_abbreviations_meet_their_undotted_form():
    """News writes "U.S.", readers type "US": both are one term, or BM25 never matches the two."""
    assert terms("The U.S. strike") == terms("the US strike") == ["us", "strike"]
    assert terms("U.K.-based, in the U.N") == ["uk", "base", "un"]
    assert terms("Donald J. Trump at 5 p.m.") == ["donald", "trump", "5", "pm"]  # an initial is still dropped
    assert terms("J.K. Rowling") == terms("J. K. Rowling") == terms("JK Rowling") == ["jk", "rowl"]


def test_british_and_american_spellings_are_one_term():
    for british, american in [("organised", "organized"), ("organisation", "organization"), ("defence", "defense"),
                              ("criticise", "criticize"), ("colours", "colors"), ("centre", "center"),
                              ("analysed", "analyzed"), ("programme", "program"), ("judgement", "judgment")]:
        assert terms(british) == terms(american), british
    assert terms("four hours") != terms("for hors") and terms("rise") == ["rise"]  # only listed "-our" words fold


def _with_old_terms(index_dir):
    """Turn an index into one whose lexical file terms_version 1 wrote (its terms match none of today's)."""
    store = Store(index_dir)
    Lexicon.empty().save(lex_path(store.db, store.generation))
    store.close()
    return as_older_index(index_dir, terms_version=1)


def test_an_index_cut_by_older_terms_has_its_lexicon_rebuilt_without_embedding(seed_index, tmp_path, embedder):
    """An index whose terms an older `terms` cut (terms_version 1 made "U.S." the term "u") is refused
    for reading with the one command that upgrades it; that update builds the lexical file again from
    the chunk texts and embeds nothing."""
    idx = index_copy(seed_index, tmp_path / "index", embedder)
    _with_old_terms(idx.settings.index_dir)
    with pytest.raises(IndexOutdatedError, match="run `rag index --index-dir .*` once to upgrade it"):
        idx.search("Quds Force")
    report = idx.update()
    assert report.chunks_embedded == 0 and report.unchanged == seed_index.store.count_documents()
    assert idx.store.manifest["terms_version"] == seed_index.store.manifest["terms_version"] > 1
    assert idx.store.doc_freqs(["us"])["us"] == seed_index.store.doc_freqs(["us"])["us"] > 0
    question = "Why did the US kill Soleimani?"
    assert [p.chunk_id for p in idx.search(question)] == [p.chunk_id for p in seed_index.search(question)]


def test_index_open_rebuilds_older_terms_without_the_articles_it_was_built_from(seed_index, tmp_path, embedder):
    """The folders an index was built from may have moved since: the terms upgrade reads no article."""
    idx = index_copy(seed_index, tmp_path / "index", embedder)
    db = _with_old_terms(idx.settings.index_dir)
    conn = sqlite3.connect(db)
    conn.execute("UPDATE roots SET path=?", [str(tmp_path / "moved-away")])
    conn.commit()
    conn.close()
    said: list[str] = []
    opened = Index.open(idx.settings, embedder=embedder, log=said.append)
    assert said and "upgrading the index" in said[0]
    assert opened.stats().chunks == seed_index.store.count_chunks()
    question = "Why did the US kill Soleimani?"
    assert [p.chunk_id for p in opened.search(question)] == [p.chunk_id for p in seed_index.search(question)]
    assert opened.ask(question).answer == seed_index.ask(question).answer
