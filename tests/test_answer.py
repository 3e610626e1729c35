"""Extractive answers on the seed corpus: the fact, cited verbatim; honest when the answer is absent."""

import json

import pytest

from conftest import DATA

QA = [json.loads(line) for line in (DATA / "seed_qa.jsonl").read_text().splitlines()]


def _check_citations(idx, answer):
    markers = {int(m) for m in __import__("re").findall(r"\[(\d+)\]", answer.answer)}
    assert markers == {c.n for c in answer.citations}, "every marker has a citation and vice versa"
    for c in answer.citations:
        doc = idx.store.document(c.doc_id)
        assert doc.text[c.start:c.end] == c.text  # the exact sentence, verbatim
        assert c.text in c.passage and doc.text[c.passage_start:c.passage_end] == c.passage
        assert c.title == doc.title and c.source == doc.source


# Every answerable seed question must pass. Two used to miss (the Libya/Syria sentence names neither
# leader; the Washington Examiner quote shares few words with its question) and pass since answers use
# the in-context sentence vectors stored at index time.
@pytest.mark.parametrize("case", [q for q in QA if q["answerable"]], ids=lambda c: c["question"][:40])
def test_answerable_questions_get_the_fact_with_a_citation(seed_index, case):
    a = seed_index.ask(case["question"])
    assert a.grounded and a.mode == "extractive"
    _check_citations(seed_index, a)
    cited = " ".join(c.text for c in a.citations).lower()
    assert any(x.lower() in cited for x in case["answers"]), a.answer
    assert {c.doc_id for c in a.citations} & set(case["gold_doc_ids"])


@pytest.mark.parametrize("case", [q for q in QA if not q["answerable"]], ids=lambda c: c["question"][:40])
def test_unanswerable_questions_are_not_grounded(seed_index, case):
    a = seed_index.ask(case["question"])
    assert not a.grounded and a.citations == () and "don't answer" in a.answer
    assert a.notice


def test_the_same_fact_from_two_outlets_is_cited_once_with_both(seed_index):
    a = seed_index.ask("What did the Kremlin say the US actions could do to the situation in the region?")
    first = a.answer.split("]")[0]
    assert "aggravate" in first
    groups = __import__("re").findall(r"((?:\[\d+\])+)", a.answer)
    assert any(g.count("[") >= 2 for g in groups), a.answer


def test_answer_to_dict_has_the_contract_fields(seed_index):
    d = seed_index.ask("Where was Soleimani killed?").to_dict()
    assert list(d)[:6] == ["question", "answer", "mode", "grounded", "notice", "citations"]
    assert set(d["citations"][0]) >= {"n", "doc_id", "title", "source", "chunk_id", "start", "end", "text", "passage"}
