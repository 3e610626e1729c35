"""Hybrid retrieval on the seed corpus: the right article on top, fusion at least as good as either part."""

import json

import pytest

from rag import InputError
from rag.question import clean_query
from rag.retrieve import search

from conftest import DATA

QA = [json.loads(line) for line in (DATA / "seed_qa.jsonl").read_text().splitlines()]
ANSWERABLE = [q for q in QA if q["answerable"]]


@pytest.mark.parametrize("case", ANSWERABLE, ids=lambda c: c["question"][:40])
def test_right_article_in_top_3(seed_index, case):
    top = [p.doc_id for p in seed_index.search(case["question"], k=3)]
    assert set(top) & set(case["gold_doc_ids"]), top


def _mrr(idx, weight):
    s = idx.settings.replace(dense_weight=weight)
    total = 0.0
    for case in ANSWERABLE:
        ps = search(idx.store, idx.embedder, case["question"], s, k=5).passages
        ranks = [i for i, p in enumerate(ps, 1) if p.doc_id in case["gold_doc_ids"]]
        total += 1 / ranks[0] if ranks else 0
    return total / len(ANSWERABLE)


def test_fusion_is_not_worse_than_dense_or_lexical_alone(seed_index):
    fused, dense, lexical = (_mrr(seed_index, w) for w in (seed_index.settings.dense_weight, 1.0, 0.0))
    assert fused >= max(dense, lexical) - 1e-9, (fused, dense, lexical)


def test_passages_carry_offsets_into_their_article(seed_index):
    for p in seed_index.search("Quds Force members", k=5):
        doc = seed_index.store.document(p.doc_id)
        assert doc.text[p.start:p.end] == p.text
        assert p.rank >= 1 and p.title == doc.title


def test_near_duplicate_passages_do_not_crowd_the_top_k(new_index, tmp_path):
    from conftest import CORPUS

    (tmp_path / "c").mkdir()
    src = (CORPUS / "001_4b0d695ee80dd377.txt").read_text()
    for name in ("wire_a", "wire_b", "wire_c"):  # the same wire copy in three outlets
        (tmp_path / "c" / f"{name}.txt").write_text(src)
    for f in CORPUS.glob("00[0234]*.txt"):
        (tmp_path / "c" / f.name).write_text(f.read_text())
    idx = new_index()
    idx.update([tmp_path / "c"])
    top = idx.search("How many members does the Quds Force have?", k=5)
    texts = [p.text for p in top]
    assert len(texts) == len(set(texts)), "identical passages in the top k"
    assert len({p.doc_id for p in top}) >= 3


def test_filters_by_source_and_document(seed_index):
    ps = seed_index.search("Soleimani", k=5, doc_ids=["003_7981376c6a996797"])
    assert ps and {p.doc_id for p in ps} == {"003_7981376c6a996797"}
    ps = seed_index.search("Soleimani", k=5, sources=["The Moscow Times"])
    assert ps and {p.source for p in ps} == {"The Moscow Times"}
    assert seed_index.search("Soleimani", sources=["Nobody"]) == []


@pytest.mark.parametrize("bad", ["", "   ", "\x00\x01", "?!", "x" * 5000, "x" * 100_000, "Soleimani \udcff", b"Soleimani"])
def test_bad_queries_raise_input_errors(seed_index, bad):
    with pytest.raises(InputError):
        seed_index.search(bad)


@pytest.mark.parametrize("raw,clean", [
    ("\x1b[31mWhere was Soleimani killed?\x1b[0m", "Where was Soleimani killed?"),  # pasted from a terminal
    ("Who \x1b[1;4mcalled\x1b[m whom?", "Who called whom?"),
    ("Where was\x00 Soleimani\x0b killed?\x07", "Where was Soleimani killed?"),
])
def test_terminal_codes_and_control_characters_leave_no_residue(raw, clean):
    assert clean_query(raw, max_chars=2000) == clean


def test_near_copies_are_folded_before_the_top_k(tmp_path, new_index, corpus_copy):
    """Lightly edited reposts of every article (a word changed here and there) used to crowd the passage
    that answers out of the top k; they fold into their original, which keeps their sources."""
    import random

    rng = random.Random(3)
    for path in sorted(corpus_copy.glob("*.txt")):
        text = path.read_text()
        for n in range(12):
            words = text.split(" ")
            for _ in range(len(words) // 20):  # one word in twenty changed or added
                i = rng.randrange(len(words))
                words[i] = rng.choice(["reportedly", "officials", "on Tuesday", "sources said", "also"])
            # each repost names its outlet (a file's name is no source, and copies of unknown source list none)
            (corpus_copy / f"{path.stem}-repost{n}.txt").write_text(f"Source: Reposter {n}\n" + " ".join(words))
    idx = new_index()
    assert idx.update([corpus_copy]).added == 65
    passages = idx.search("Where was Soleimani killed?", k=5)
    stems = [p.doc_id.split("-repost")[0] for p in passages]
    assert len(passages) == 5
    texts = [p.text.lower() for p in passages]
    assert len(set(texts)) == 5 and sum(len(p.also_in) for p in passages) >= 10, [p.also_in for p in passages]
    assert any("baghdad" in t for t in texts)
    answer = idx.ask("Where was Soleimani killed?")
    assert answer.grounded and "baghdad" in answer.answer.lower(), answer.answer
    assert len(set(stems)) >= 2
