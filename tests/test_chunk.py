"""Sentence splitting and token-aware chunking, with offsets that always round-trip."""

from hypothesis import given, settings as hsettings, strategies as st

from rag.chunk import chunk_article, get_encoding, sentence_spans
from rag.ingest import read_articles
from rag.types import Article

from conftest import CORPUS

ENC = get_encoding("cl100k_base")


def count(s: str) -> int:
    return len(ENC.encode(s, disallowed_special=()))


def test_tiktoken_encoding_loads_offline_with_known_ids():
    assert ENC.encode("hello world") == [15339, 1917]


def test_sentences_respect_abbreviations_initials_and_quotes():
    t = ("The U.S. early on Friday killed Gen. Qassem Soleimani. Sen. J. Smith said “It is bad.” "
         "The group is estimated to have 20,000 members. It was No. 2 in Iran.\nNew paragraph")
    assert [t[a:b] for a, b in sentence_spans(t)] == [
        "The U.S. early on Friday killed Gen. Qassem Soleimani.",
        "Sen. J. Smith said “It is bad.”",
        "The group is estimated to have 20,000 members.",
        "It was No. 2 in Iran.",
        "New paragraph",
    ]


def test_military_and_clerical_ranks_end_no_sentence():
    t = "She went with her boyfriend, Army Spc. Caleb Barnes, to a concert. Pte. Dicks and Fr. Moore came."
    assert [t[a:b] for a, b in sentence_spans(t)] == [
        "She went with her boyfriend, Army Spc. Caleb Barnes, to a concert.", "Pte. Dicks and Fr. Moore came."]


def test_us_before_a_new_sentence_splits():
    t = "It was designated a terror group by the U.S. The group has members."
    assert [t[a:b] for a, b in sentence_spans(t)] == ["It was designated a terror group by the U.S.", "The group has members."]


def test_quotations_in_single_marks_are_not_cut():
    # The Daily Mail's style (sentences from CNN/DailyMail articles), flattened into one line as the
    # data set has them: no sentence starts inside a quotation or ends with an orphan quote mark.
    t = ("'This is still happening. Maternity units are supposed to be the safest places to have babies.' "
         "'I think often when you’re trying to make a difference you have to be a bit radical. We’ve always "
         "been very supportive of Pete,' Orrenius said. ‘Our ambition is that it should be the same. To "
         "preserve this masterpiece for future generations.’ The fans' club met in the '90s. It said so.")
    assert [t[a:b] for a, b in sentence_spans(t)] == [
        "'This is still happening. Maternity units are supposed to be the safest places to have babies.'",
        "'I think often when you’re trying to make a difference you have to be a bit radical. We’ve always "
        "been very supportive of Pete,' Orrenius said.",
        "‘Our ambition is that it should be the same. To preserve this masterpiece for future generations.’",
        "The fans' club met in the '90s.",
        "It said so.",
    ]


def test_a_plural_possessive_is_no_quotations_end():
    # A quotation open to the paragraph's end (it runs on into the next) followed later by "dollars' worth":
    # the bare closing mark proves nothing, so the sentences are cut as usual.
    t = ("'I thought this is why he happened. He made me better. The family returned home. "
         "She has tens of thousands of dollars' worth of debt.")
    assert len(sentence_spans(t)) == 4


def _chunks(text, tokens=40, overlap=10, fits=None):
    art = Article(doc_id="d", title="T", text=text)
    return chunk_article(art, chunk_tokens=tokens, chunk_overlap=overlap, count_tokens=count, fits=fits)


@hsettings(max_examples=150, deadline=None)
@given(st.text(alphabet=st.characters(blacklist_categories=["Cs"]), max_size=1500),
       st.integers(16, 80), st.integers(0, 15))
def test_chunk_offsets_round_trip_on_any_text(text, tokens, overlap):
    chunks = _chunks(text, tokens, overlap)
    for c in chunks:
        assert text[c.start:c.end] == c.text
        assert c.text.strip() == c.text and c.text
    # every non-space character is in some chunk
    covered = set()
    for c in chunks:
        covered.update(range(c.start, c.end))
    assert all(i in covered for i, ch in enumerate(text) if not ch.isspace())


@hsettings(max_examples=100, deadline=None)
@given(st.text(alphabet=st.characters(blacklist_categories=["Cs"]), max_size=1500),
       st.integers(16, 80), st.integers(0, 15), st.integers(1, 120))
def test_chunks_cut_to_any_model_limit_keep_order_offsets_and_coverage(text, tokens, overlap, limit):
    fits = lambda t: len(t) <= limit  # noqa: E731  (a stand-in model limit: characters instead of word pieces)
    chunks = _chunks(text, tokens, overlap, fits=fits)
    assert [c.ord for c in chunks] == list(range(len(chunks)))
    assert all(a.start < b.start and a.end <= b.end for a, b in zip(chunks, chunks[1:]))
    for c in chunks:
        assert fits(c.text) and text[c.start:c.end] == c.text and c.text.strip() == c.text
    covered = {i for c in chunks for i in range(c.start, c.end)}
    assert all(i in covered for i, ch in enumerate(text) if not ch.isspace())


def test_seed_chunks_fit_budget_model_limit_and_overlap(embedder):
    overlapping = 0
    for art in read_articles([CORPUS]):
        chunks = chunk_article(art, chunk_tokens=160, chunk_overlap=40, count_tokens=count, fits=embedder.fits)
        assert len(chunks) >= 2
        for c in chunks:
            assert art.text[c.start:c.end] == c.text
            assert embedder.fits(f"{art.title}\n{c.text}")
        for a, b in zip(chunks, chunks[1:]):
            assert b.start > a.start
            # consecutive chunks share whole sentences (when the last one fits the overlap budget)
            # or meet with nothing but white space between them
            assert b.start < a.end or not art.text[a.end:b.start].strip()
            overlapping += b.start < a.end
            if b.start < a.end:
                assert count(art.text[b.start:a.end]) <= 40
    assert overlapping >= 5


def test_an_overlong_sentence_is_cut_to_fit_the_model(embedder):
    text = " ".join(["supercalifragilistic"] * 400) + "."
    chunks = _chunks(text, tokens=1000, overlap=0, fits=embedder.fits)
    assert len(chunks) > 1
    assert all(embedder.fits(c.text) and text[c.start:c.end] == c.text for c in chunks)
