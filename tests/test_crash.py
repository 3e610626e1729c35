"""Crashes and concurrency: SIGKILL the indexer at random moments, two writers, readers during commits.

The index after a killed `rag index` must open and hold exactly the state before that run or the
state after it: the same documents with the same content hashes, every document's chunks complete,
FAISS holding exactly the chunk rows, and search working.
"""

import json
import os
import random
import subprocess
import sys
from pathlib import Path

import faiss
import numpy as np
import pytest

from rag import Index, IndexNotFoundError, Settings
from rag.build import article_hash
from rag.ingest import read_articles
from rag.lexical import ABSENT
from rag.store import Store
from rag.types import Article

from conftest import CORPUS, ROOT

# The kill loop runs until it has this many kills, one of them before the commit, whatever the machine's
# speed; MAX_RUNS bounds it (a run that is not killed re-measures how long runs take, so kills follow).
KILLS = 5
MAX_RUNS = 40
CITIES = ["Baghdad", "Tehran", "Moscow", "Paris", "Washington", "Beirut", "Ankara", "Geneva"]
TOPICS = ["sanctions", "oil exports", "troop levels", "the nuclear deal", "air defences", "embassy security"]


def _seed_articles() -> list[Article]:
    return [a for a in read_articles([CORPUS]) if isinstance(a, Article)]


def _write_article(folder, i: int, rng: random.Random, seeds: list[Article]) -> None:
    """A varied article: a seed article's paragraphs, shuffled and cut, under a new lead and headline."""
    base = seeds[i % len(seeds)]
    paras = base.text.split("\n\n")
    rng.shuffle(paras)
    lead = (f"Dispatch {i} from {rng.choice(CITIES)}: officials said on day {rng.randint(1, 28)} "
            f"that talks on {rng.choice(TOPICS)} would resume.")
    body = [lead] + paras[: rng.randint(3, max(3, len(paras)))]
    (folder / f"gen{i:03d}.txt").write_text(f"{base.title} (dispatch {i})\n\n" + "\n\n".join(body) + "\n")


def _mutate(folder, rng: random.Random, seeds: list[Article], next_id: int) -> int:
    """Change two articles, add two, delete one; returns the next free article number."""
    files = sorted(folder.glob("gen*.txt"))
    for p in rng.sample(files, 2):
        p.write_text(p.read_text() + f"\nA spokesman added on day {rng.randint(1, 28)} that {rng.choice(TOPICS)} "
                     f"were discussed in {rng.choice(CITIES)}.\n")
    for _ in range(2):
        _write_article(folder, next_id, rng, seeds)
        next_id += 1
    rng.choice(files).unlink()
    return next_id


def _expected_docs(folder) -> dict[str, str]:
    return {a.doc_id: article_hash(a) for a in read_articles([folder]) if isinstance(a, Article)}


def _index_state(index_dir, embedder) -> dict[str, tuple[str, int]] | None:
    """doc_id -> (content hash, number of chunks), after checking the index is whole and searchable."""
    try:
        store = Store(index_dir)
    except IndexNotFoundError:
        return None
    try:
        conn = store.conn
        docs = dict(conn.execute("SELECT doc_id, hash FROM documents"))
        rows = conn.execute("SELECT c.id, c.doc_id, c.ord, c.start, c.end, c.text, d.text "
                            "FROM chunks c JOIN documents d USING(doc_id)").fetchall()
        chunk_ids = sorted(r[0] for r in rows)
        lex = store.lexicon
        lexical_ids = np.flatnonzero(lex.lens != ABSENT).tolist()
        assert set(np.unique(lex.ids).tolist()) <= set(lexical_ids), "postings of a chunk that is gone"
        faiss_ids = sorted(faiss.vector_to_array(store.dense.id_map).tolist())
        assert faiss_ids == chunk_ids == lexical_ids, "FAISS, chunk rows and the lexical index disagree"
        assert store.dense.ntotal == len(rows)
        ords: dict[str, list[int]] = {}
        for _cid, doc_id, ord_, start, end, text, doc_text in rows:
            assert doc_text[start:end] == text
            ords.setdefault(doc_id, []).append(ord_)
        assert set(ords) == set(docs), "a document without chunks, or chunks without a document"
        for doc_id, os_ in ords.items():
            assert sorted(os_) == list(range(len(os_))), f"{doc_id}: chunks missing"
    finally:
        store.close()
    passages = Index(Settings.load(index_dir=index_dir), embedder=embedder).search("Quds Force members", k=3)
    assert passages and all(p.doc_id in docs for p in passages)
    return {d: (h, len(ords[d])) for d, h in docs.items()}


def _which_state(state, before, after_hashes) -> str:
    """'before' or 'after' when `state` is exactly one of them, else a description of the mismatch."""
    if state == before:
        return "before"
    if state is not None and {d: h for d, (h, _) in state.items()} == after_hashes:
        # unchanged documents must keep their chunks exactly
        for d, (h, n) in state.items():
            if before and d in before and before[d][0] == h and before[d][1] != n:
                return f"{d}: unchanged document has {n} chunks, had {before[d][1]}"
        return "after"
    have = set(state or {})
    return (f"neither state: {len(have)} documents; missing from 'after': {sorted(set(after_hashes) - have)[:5]}, "
            f"extra: {sorted(have - set(after_hashes))[:5]}")


@pytest.fixture(scope="module")
def forking_indexer():
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    proc = subprocess.Popen([sys.executable, str(ROOT / "tests" / "forking_indexer.py")], stdin=subprocess.PIPE,
                            stdout=subprocess.PIPE, text=True, env=env, cwd=ROOT)
    assert json.loads(proc.stdout.readline()) == {"ready": True}

    def run(argv: list[str], delay: float, log) -> dict:
        proc.stdin.write(json.dumps({"argv": argv, "delay": delay, "log": str(log)}) + "\n")
        proc.stdin.flush()
        return json.loads(proc.stdout.readline())

    yield run
    proc.stdin.close()
    proc.wait(timeout=30)


def test_sigkilled_indexer_leaves_the_state_before_or_after(forking_indexer, tmp_path, embedder):
    rng = random.Random(7)
    seeds = _seed_articles()
    corpus, index_dir = tmp_path / "corpus", tmp_path / "index"
    corpus.mkdir()
    for i in range(20):
        _write_article(corpus, i, rng, seeds)
    next_id = 20
    # The first build runs to the end: it gives the 'before' of the next run and the time runs take.
    argv = ["index", str(corpus), "--index-dir", str(index_dir), "--json"]
    r = forking_indexer(argv, 120, tmp_path / "run.log")
    assert (r["killed"], r["rc"]) == (False, 0), (tmp_path / "run.log").read_text()
    before = _index_state(index_dir, embedder)
    assert _which_state(before, None, _expected_docs(corpus)) == "after"
    estimate = {"build": r["elapsed"], "update": r["elapsed"] / 2}  # replaced by measured times
    outcomes = []
    def enough() -> bool:
        kills = [o for o in outcomes if o[2]]
        return len(kills) >= KILLS and any(o[3] == "before" for o in kills)

    while not enough() and len(outcomes) < MAX_RUNS:
        rebuild = rng.random() < 0.15
        kind = "build" if rebuild else "update"
        if not outcomes or outcomes[-1][3] == "after":  # else run again towards the same target, as a user would
            next_id = _mutate(corpus, rng, seeds, next_id)
        after = _expected_docs(corpus)
        argv = ["index", str(corpus), "--index-dir", str(index_dir), "--json"] + (["--rebuild"] if rebuild else [])
        # half the kills aim at the end of a run, where the database and FAISS files are written
        delay = estimate[kind] * (rng.uniform(0.75, 1.05) if rng.random() < 0.5 else rng.uniform(0.05, 1.1))
        r = forking_indexer(argv, delay, tmp_path / "run.log")
        log = (tmp_path / "run.log").read_text()
        if not r["killed"]:
            assert r["rc"] == 0, log  # in particular: never "busy" because a killed run held the lock
            estimate[kind] = r["elapsed"]
        state = _index_state(index_dir, embedder)
        which = _which_state(state, before, after)
        if r["killed"] and which == "before":  # runs take longer than thought (a busy machine): aim later
            estimate[kind] = max(estimate[kind], delay)
        outcomes.append((kind, round(delay, 2), r["killed"], which))
        assert which in ("before", "after"), outcomes
        if not r["killed"]:
            assert which == "after", outcomes
        before = state
    kills = [o for o in outcomes if o[2]]
    assert len(kills) >= KILLS, outcomes
    assert any(o[3] == "before" for o in kills), outcomes
    print(f"\n{len(kills)} kills in {len(outcomes)} runs; estimates {estimate}; outcomes {outcomes}")

    # one last run, not interrupted, repairs nothing by hand: the folder holds only the live state
    next_id = _mutate(corpus, rng, seeds, next_id)
    r = forking_indexer(["index", str(corpus), "--index-dir", str(index_dir)], 120, tmp_path / "run.log")
    assert (r["killed"], r["rc"]) == (False, 0), (tmp_path / "run.log").read_text()
    assert _which_state(_index_state(index_dir, embedder), before, _expected_docs(corpus)) == "after"
    live = (index_dir / "CURRENT").read_text().strip()
    leftovers = {p.name for p in index_dir.iterdir()} - {"CURRENT", "manifest.json", ".lock", live, live + "-wal",
                                                          live + "-shm"}
    assert sorted(Path(p).suffix for p in leftovers) == [".faiss", ".lex"], sorted(p.name for p in index_dir.iterdir())


def test_a_reader_in_another_process_answers_consistently_while_a_writer_commits(new_index, corpus_copy):
    idx = new_index()
    idx.update([corpus_copy])
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    reader = subprocess.Popen([sys.executable, str(ROOT / "tests" / "busy_reader.py"), str(idx.settings.index_dir)],
                              stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, env=env, cwd=ROOT)
    try:
        assert json.loads(reader.stdout.readline()) == {"ready": True}
        seeds = sorted(corpus_copy.glob("*.txt"))
        for i in range(6):
            # copies of the seed articles come and go, so the chunks the reader finds keep changing
            src = seeds[i % len(seeds)].read_text().split("\n", 1)
            (corpus_copy / f"churn{i}.txt").write_text(f"{src[0]} (update {i})\n\nUpdate {i} from the wires.\n{src[1]}")
            if i >= 2:
                (corpus_copy / f"churn{i - 2}.txt").unlink()
            idx.update([corpus_copy], rebuild=i == 3)
        reader.stdin.close()
        summary = json.loads(reader.stdout.readline())
    finally:
        if reader.poll() is None:
            reader.kill()
        reader.wait(timeout=30)
    assert summary["failures"] == [], summary
    assert summary["queries"] >= 3 and len(summary["generations"]) >= 2, summary
