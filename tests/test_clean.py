"""Boilerplate removal, on the seed articles (what a person sees in the files) and on general rules."""

from rag.clean import clean
from rag.ingest import read_articles

from conftest import CORPUS


def seed(doc_id: str):
    (article,) = [a for a in read_articles([CORPUS / f"{doc_id}.txt"])]
    return article


def test_reader_comments_after_copyright_line_are_removed():
    a = seed("000_17320e14ca20f683")
    assert "grovelling" not in a.text  # a reader's comment
    assert "Neither dwarfs" not in a.text
    assert "Enter comments here" not in a.text
    assert a.text.endswith("during their conversation, the statement said.")
    assert a.source == "The Moscow Times"  # from the copyright line
    rules = {r.rule for r in a.removed}
    assert {"copyright", "comments"} <= rules


def test_chrome_promo_byline_bio_caption_and_tags_are_removed():
    assert "Exit mobile version" not in seed("001_4b0d695ee80dd377").text
    assert "Click here" not in seed("003_7981376c6a996797").text
    epoch = seed("002_61711d8cc35d3095")
    for junk in ("Jack Phillips", "Breaking News Reporter", "Follow him", "Related Topics", "via AP", "Updated:"):
        assert junk not in epoch.text, junk
    assert epoch.title == "Moscow Condemns Killing of Iranian General as Tensions Escalate in Middle East"
    assert not epoch.text.startswith("Moscow Condemns")  # the repeated headline went
    assert epoch.text.startswith("Russia has condemned the U.S. strike")
    tass = seed("004_2b647fba49938601")
    assert not tass.text.rstrip().endswith("Shoygu")  # the tag line "Russia, Iran, Shoygu"
    assert tass.text.rstrip().endswith("voted to expel US troops from the country.")


def test_article_sentences_survive_cleaning():
    a = seed("001_4b0d695ee80dd377")
    assert "The group is estimated to have 20,000 members." in a.text
    assert len(a.text) > 2500


def test_lead_sentence_first_line_is_kept_in_text():
    a = seed("003_7981376c6a996797")
    assert a.text.startswith("President Trump’s drone strike that killed")
    assert a.title.endswith("…") and len(a.title) < 120


def test_general_rules_on_other_sites():
    raw = "\n".join([
        "By Jane Doe",
        "Share on Facebook",
        "The council approved the budget on Monday.",
        "READ MORE: Council row over parking",
        "Officials said the vote was close.",
        "Photo: A council meeting (Reuters)",
        "Tags: budget, council",
        "Copyright 2024 Springfield Gazette. All rights reserved.",
        "12 Comments",
        "Great article!",
    ])
    c = clean(raw)
    assert c.text == "The council approved the budget on Monday.\n\nOfficials said the vote was close."
    assert c.source == "Springfield Gazette"
    assert {r.rule for r in c.removed} >= {"byline", "chrome", "promo", "caption", "copyright"}


def test_comments_heading_cuts_the_rest():
    raw = "Para one is the article.\n\nPara two continues it.\n\nPara three ends it.\n\nComments\n\nJoe: first!\n\nAnn: nonsense"
    c = clean(raw)
    assert c.text.endswith("Para three ends it.")
    assert [r.rule for r in c.removed].count("comments") == 3


def test_nothing_removed_from_plain_prose():
    raw = "The minister resigned on Tuesday.\n\nHe said he had no regrets. Critics disagreed."
    c = clean(raw)
    assert c.text == raw and c.removed == ()


def test_an_article_on_one_line_is_never_taken_for_a_bio():
    # A real CNN article shape that the bio rule once dropped whole: one line, a photographer "is a ...".
    raw = ("Eternally blooming in Kolkata is Malik Ghat, a flower market. Photographer Ken Hermann is a "
           "photographer who joined the project in 2014 and covers markets, see https://example.com for more. "
           "The sellers arrive before dawn.")
    assert clean(raw).text == raw
    c = clean("Story text here.\n\nMore story.\n\nJane Doe is a staff reporter who covers courts. Follow her on X.")
    assert c.text == "Story text here.\n\nMore story." and c.removed[0].rule == "bio"
