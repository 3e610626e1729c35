"""Question: what a question or query is before retrieval sees it, and what it asks for.

`clean_query` gives the cleaned text, or an `InputError` saying what is wrong with it (not text, not
UTF-8, empty, too long, no words). `analyse` gives the kind of answer expected (a person, a place, a
date, a number, an overview ...) by rules on the question's wording, which answering uses to prefer the
sentence that holds such an answer over one that only restates the question's subject.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal

from .errors import InputError

_ANSI = re.compile(r"\x1b\[[0-?]*[ -/]*[@-~]")  # terminal colour and cursor codes pasted with a question


def clean_query(text: object, *, max_chars: int, what: str = "question") -> str:
    """The query as it will be searched, or an InputError saying what is wrong with it."""
    if not isinstance(text, str):
        raise InputError(f"the {what} must be text")
    # Lone surrogates are what undecodable bytes become (argv, stdin, "\\udcff" in JSON).
    if any("\ud800" <= c <= "\udfff" for c in text):
        raise InputError(f"the {what} is not valid UTF-8 text; send it as UTF-8")
    text = _ANSI.sub(" ", text)
    text = "".join(" " if unicodedata.category(c)[0] == "C" else c for c in text)
    text = " ".join(text.split())
    if not text:
        raise InputError(f"the {what} is empty; type a {what}")
    if len(text) > max_chars:
        raise InputError(
            f"the {what} is {len(text):,} characters; the limit is {max_chars:,} (RAG_MAX_QUESTION_CHARS): shorten it"
        )
    if not re.search(r"\w", text):
        raise InputError(f"the {what} has no words in it; type a {what}")
    return text


# -- what a question asks for ---------------------------------------------------------------------
Kind = Literal["person", "organisation", "place", "date", "number", "amount", "reason", "quote", "yesno",
               "overview", "choice", "other"]
FACTOID = frozenset({"person", "organisation", "place", "date", "number", "amount"})

_ORG_NOUNS = (r"company|companies|firm|organi[sz]ation|group|party|agency|bank|ministry|department|council|"
              r"committee|court|union|association|government|newspaper|outlet|network|channel|team|club|"
              r"university|body|institution|alliance|coalition|militia|army|force|corporation|broadcaster")
_PLACE_NOUNS = (r"city|country|county|town|village|region|province|state|capital|island|area|district|airport|port|base|street|"
                r"nationality|nationalities")  # a nationality is answered by a country's adjective (rag/spans.py)
_DATE_NOUNS = r"year|date|day|month|week|time|decade|century|hour"
_PERSON_NOUNS = (r"person|people|man|woman|men|women|official|minister|leader|president|spokes(?:man|woman|person)|"
                 r"commander|general|judge|lawyer|player|coach|author|journalist|founder|ceo|chief|head|governor|"
                 r"senator|mayor|victim|suspect|soldier|serviceman|servicewoman|veteran|apprentice|actor|actress|"
                 r"singer|artist|director|manager|chairman|secretary|candidate|winner|driver|pilot|bomber|attacker|"
                 r"gunman|boy|girl|child|son|daughter|wife|husband|brother|sister")
# "What was the name of the X ...": the kind of X decides (the first class noun of the next few words)
_NAME_OF = re.compile(r"\b(?:what|which) (?:is|was|were|are) the names? of (?:the |a |an |his |her |their )?"
                      r"((?:[\w'-]+ ?){1,5})", re.I)
# Nouns that ask for an amount: "What record price ...", "How large was the fine ...?"
_AMOUNT_NOUNS = re.compile(r"(?:price|cost|fine|salary|salaries|revenue|sales|profit|loss|losses|budget|value|worth|"
                           r"fee|wage|income|debt|deficit|investment|funding|sum|amount|percentage|percent|share|"
                           r"proportion|rate|stake|bail|compensation|pay|bonus|prize|turnover|earnings|valuation|"
                           r"tariff|tax|premium|ransom|reward|subsidy|subsidies|grant|loan|bid|discount|rebate|refund|payout|"
                           r"donation|payment|jackpot|pension|dividend|surcharge|turnout|rating|yield|inflation|unemployment)s?")
_RULES: list[tuple[Kind, re.Pattern[str]]] = [
    ("overview", re.compile(r"^\s*(summari[sz]e|give (me )?(an? )?(overview|summary|rundown)|overview of|describe|"
                            r"outline|recap|brief me|what (are|were) the (main|key) (points|developments|facts)|"
                            r"(give|tell) me the (main|key) (points|facts|takeaways)|what do we know about|"
                            r"what (is|was) the (gist|upshot) of|"
                            r"what happened|tell me about)\b|\bin (two|three|four|five|\d) (points|bullets?)\b|"
                            r"\b(reaction|response|reactions|responses) (to|of)\b|\bhow did .{1,60}\b(respond|react)|"
                            r"\bwhat (was|were|is|are) .{1,60}\b(reaction|response|position|stance)\b", re.I)),
    ("reason", re.compile(r"^\s*(why\b|for what reason|what (caused|led to|prompted|triggered|drove)|how come|"
                          r"what (was|were|is|are) the (reasons?|motives?|justifications?|causes?) (for|behind|of)\b|"
                          r"what (reasons?|justifications?|motives?|explanations?) (did|do|does|was|were|has|have|had)\b)", re.I)),
    ("amount", re.compile(r"\bhow much\b|\bwhat (percentage|percent|share|proportion|rate|price|cost|amount|sum|fine|"
                          r"budget|salary|value)\b|\bhow (expensive|costly)\b|"
                          # "How large was the fine ...?", "How big a bonus ...": the size of a sum of money
                          rf"\bhow (large|big|high|hefty|steep|small) (?:(?:was|were|is|are|will be|has been) )?"
                          rf"(?:the |a |an |its |his |her |their )?(?:[\w'’-]+ ){{0,2}}?(?:{_AMOUNT_NOUNS.pattern})\b", re.I)),
    ("number", re.compile(r"\bhow (many|old|long|far|high|tall|large|big|deep|wide|fast)\b|\bwhat (number|age)\b|"
                          r"\bhow many\b|\b(what|which) (score|margin|scoreline|tally|total|figure)\b|\bby how much\b", re.I)),
    ("date", re.compile(rf"^\s*when\b|\b(what|which) ({_DATE_NOUNS})s?\b|\bon what (day|date)\b|\bsince when\b|"
                        rf"\bin (what|which) ({_DATE_NOUNS})\b|\bwhen (did|does|do|was|were|is|will|has|had)\b", re.I)),
    ("place", re.compile(rf"^\s*where\b|\b(what|which|in which|in what|from which|to which) ({_PLACE_NOUNS})\b|"
                         rf"\bwhere (did|does|do|was|were|is|are|will|has|had)\b", re.I)),
    ("organisation", re.compile(rf"\b(what|which) ({_ORG_NOUNS})\b", re.I)),
    ("person", re.compile(r"^\s*(who|whom|whose)\b|\b(who|whom) (did|was|were|is|are|will|has|had|said|told)\b|"
                          r"\b(what|which) (person|people|man|woman|official|minister|leader|president|spokes(man|woman|person)|"
                          r"commander|general|judge|lawyer|player|coach|author|journalist|founder|ceo|chief|head)\b|"
                          r"\bname (of )?the\b", re.I)),
    ("quote", re.compile(r"\bwhat (did|does|do) .{1,60}\b(say|said|tell|told|write|wrote|claim|call)\b|\bwhat was said\b|"
                         r"\bhow (did|does|do|has|have|had) .{1,60}\b(describe|characteri[sz]e|call|label|portray)\b|"
                         r"\bin (his|her|their) words\b", re.I)),
    ("yesno", re.compile(r"^\s*(is|are|was|were|did|does|do|has|have|had|can|could|will|would|should)\b", re.I)),
]
# A question that opens by asking what someone said asks for their words, whatever "in response to" follows.
_SAID_FIRST = re.compile(r"(?i)\s*(?:what|how) (?:did|does|do|has|have|had) .{1,60}?\b(?:say|said|tell|told|write|wrote|"
                         r"describe|characteri[sz]e)\b")
# Words that ask for an answer rather than name what it is about: left out when matching passages.
INSTRUCTION_WORDS = re.compile(
    r"\b(summari[sz]e|summary|overview|rundown|describe|outline|briefly|points?|bullets?|main|key|"
    r"give|me|tell|please|explain|recap|brief|facts|takeaways|gist|what do we know about|in (two|three|four|five|\d))\b", re.I)
_COUNT = {"two": 2, "three": 3, "four": 4, "five": 5}
_REASON_WORDS = re.compile(r"\b(?:reasons?|motives?|justifications?|explanations?|causes?)\b", re.I)  # "What reasons ...": asks
_REACTION = re.compile(r"\b(?:react(?:ed|s|ions?)?|respond(?:ed|s)?|responses?)\b", re.I)


_BY_PHRASE = frozenset({"overview", "reason", "amount", "number", "date"})
_WH = re.compile(r"\b(?:what|which)\s+((?:[\w'-]+\s*){1,6})", re.I)  # "which small New South Wales town"
_NP_END = re.compile(r"^(?:did|does|do|was|were|is|are|has|have|had|will|would|can|could|should|of|in|on|at|from|to|"
                     r"for|that|who|whom|where|when|by|with)$", re.I)
# A verb after the noun asked for ends its phrase: "Which company designed the bank ...?" asks for a company.
_VERB_AFTER = re.compile(r"[a-z]+ed|made|held|bought|sold|won|lost|took|gave|got|ran|led|left|said|told|became|began|"
                         r"built|chose|came|went|wrote|found|kept|paid|sent|set|shot|struck|caught|hit|put|met|saw|"
                         r"sank|stole|fought|beat|drew|broke|threw|flew|rode|spent|sought|taught|brought|thought")


def _wh_head_kind(question: str) -> tuple[Kind | None, str]:
    """The kind of the noun "which" or "what" asks for, the last class noun of the words before its
    verb: "Which Army official" a person, "From which air base" a place, "Which news agency" an
    organisation, "What record price" an amount, "From what height" a number; else the kind a question
    word that ends the question asks for ("... directed by whom?"); None when it is none of these. Also
    the words up to a person's, place's or organisation's noun ("news agency"): they say what kind of
    answer is wanted, not what it is about."""
    m = _WH.search(question)
    if not m:
        return _trailing_wh(question), ""
    found: Kind | None = None
    words: list[str] = []
    phrase = ""
    tail = m.group(1).split()
    # "What was Moise's share of the vote?", "What is the estimated net worth of X?": the noun the
    # copula introduces, up to its "of", is what is asked for (only for amounts, numbers and dates:
    # "What is the name of ..." and "Which is the ..." keep their own rules).
    copula = bool(tail) and tail[0].lower() in ("is", "was", "were", "are")
    if copula:
        tail = question[m.start(1):].split()[1:9]
    for word in tail:
        w = word.lower().strip("?,.!")
        if _NP_END.match(w) or (found is not None and _VERB_AFTER.fullmatch(w)):
            break
        words.append(w)
        if w.endswith(("'s", "’s")):  # "Moise's share": what follows is the noun asked for ...
            owner = noun_kind(w[:-2]) if not copula else None
            if owner is not None:  # ... but "Which US city's court" asks for the city
                return owner, " ".join(words)[:-2]
            if found is not None:  # "Which comedian made Britain's first call?": the comedian
                break
            words, found, phrase = [], None, ""
            continue
        measure = measure_kind(w) if found is None and len(words) <= 4 else None
        if measure is not None:  # its noun stays among the words the answer must stand beside ("profit")
            return measure, ""
        if copula:
            continue
        if re.fullmatch(rf"(?:{_PERSON_NOUNS}|{_MORE_PERSON})s?", w):
            found = "person"
        elif re.fullmatch(rf"(?:{_PLACE_NOUNS}|countries|cities|towns|villages|regions|states|bases|places|venue|arena|"
                          rf"stadium|airbase|prison|hospital|square|river|lake|mountain|{_MORE_PLACE})s?", w):
            found = "place"
        elif re.fullmatch(rf"(?:{_ORG_NOUNS}|clubs?|companies|groups|parties|teams|outlets|brands?|agencies|"
                          rf"charit(?:y|ies)|(?:{_MORE_ORG})s?)", w):
            found = "organisation"
        else:
            continue
        phrase = " ".join(words)
    return (found, phrase) if found is not None else (_trailing_wh(question), "")


def _trailing_wh(question: str) -> Kind | None:
    """The kind a question word that ends the question asks for: "... directed by whom?" a person,
    "... is based where?" a place; None otherwise."""
    if re.search(r"(?i)\bwhom?\s*[?.!]*\s*$", question):
        return "person"
    if re.search(r"(?i)\bwhere\s*[?.!]*\s*$", question):
        return "place"
    return None


# More nouns for people, places and organisations, as "which" and "what" ask for them ("which hip hop
# record executive", "what New York county", "which American college").
_MORE_PERSON = (r"executive|narrator|performer|politician|psychiatrist|psychologist|scientist|hitman|singer|songwriter|"
                r"singer-songwriter|musician|rapper|comedian|composer|conductor|producer|screenwriter|writer|novelist|"
                r"poet|playwright|filmmaker|photographer|painter|sculptor|architect|designer|engineer|inventor|"
                r"entrepreneur|businessman|businesswoman|billionaire|investor|banker|economist|professor|teacher|"
                r"researcher|doctor|surgeon|physician|diplomat|ambassador|envoy|activist|campaigner|lawmaker|"
                r"legislator|congressman|congresswoman|prosecutor|attorney|detective|officer|policeman|policewoman|"
                r"colonel|captain|admiral|lieutenant|sergeant|militant|rebel|assassin|killer|spy|dissident|monarch|"
                r"king|queen|prince|princess|emperor|pope|cleric|imam|bishop|priest|rabbi|athlete|footballer|"
                r"cricketer|boxer|golfer|swimmer|cyclist|skater|jockey|striker|goalkeeper|quarterback|referee|"
                r"owner|successor|predecessor|deputy|heir|nominee|runner-up|champion|presenter|anchor|correspondent|"
                r"reporter|editor|columnist|vocalist|guitarist|drummer|bassist|pianist|frontman|astronaut|historian|"
                r"philosopher|theorist|physicist|chemist|biologist|geologist|apprentice|worker|employee|witness|"
                r"survivor|hostage|prisoner|inmate|co-founder|cofounder|creator|mother|father|parent|grandson|"
                r"granddaughter|nephew|niece|cousin|partner|girlfriend|boyfriend|fiancee?|widow|widower|mp|mep|speaker|"
                r"defendant|plaintiff|claimant|juror|flautist|saxophonist|violinist|cellist|harpist|soloist|finalist|"
                r"specialist|analyst|strategist|lobbyist|cartoonist|lyricist|publicist|chancellor|premier|chairwoman|"
                r"chairperson|commissioner|trader|midfielder|defender|winger|batsman|bowler|umpire|sprinter|runner|"
                r"dancer|chef|supporter|voter|resident|citizen|student|pupil|tenant|customer|buyer|seller|bidder|donor|"
                r"hacker|spammer|blogger|fraudster|robber|thief|burglar|murderer|terrorist|smuggler|trafficker|"
                r"contestant|recipient|laureate|graduate|volunteer|protester|demonstrator|refugee|migrant|patient|"
                r"passenger|motorist|translator|illustrator|choreographer|magician|astronomer|mathematician|"
                r"technician|pharmacist|dentist|nurse|paramedic|firefighter|sniper|clerk|dealer|collector|auctioneer|"
                r"curator|landlord|landowner|receptionist|cashier|waiter|waitress|caretaker|bodyguard|chauffeur|"
                r"coroner|pathologist|midwife|nanny|housekeeper|farmer|fisherman|builder|mechanic|warden|convict|"
                r"fugitive|shooter|assailant|intruder|heiress|socialite|tycoon|mogul|magnate|millionaire|"
                r"celebrity|climber|mountaineer|explorer|sailor|skipper|hunter|poacher|accountant|auditor|entertainer|"
                r"pundit|commentator|critic|scholar|academic|lecturer|headteacher|headmaster|headmistress|vicar|nun|"
                r"sheikh|emir|sultan|aide|adviser|advisor|consultant|contractor|trainer|racer|sheriff|trooper|"
                r"constable|inspector|superintendent|magistrate|barrister|solicitor|mentor|rival|opponent|challenger|"
                r"incumbent|contender|ruler|dictator|warlord|kingpin|mastermind|ringleader|accomplice|informant|"
                r"whistleblower|defector|grandmother|grandfather|uncle|aunt|stepfather|stepmother|teenager|toddler|"
                r"pensioner|tourist|hiker|gymnast|skier|snowboarder|wrestler")
# (not "star", "guard", "boss", "fighter", "comic", "cardinal": they end names, "The Indianapolis Star",
# "Coast Guard", "Hugo Boss", "Foo Fighters", "Marvel Comics", "Arizona Cardinals", and a name that ends
# in a person's noun is read as a role, "Labour MP")
_MORE_PLACE = (r"hamlet|kingdom|castle|highway|river|valley|peninsula|continent|park|neighbou?rhood|suburb|borough|"
               r"municipality|parish|commune|prefecture|territory|republic|nation|location|bridge|canal|sea|ocean|bay|"
               r"desert|forest|harbou?r|campus|county|counties|mountain|lake|island|islands|road|motorway|avenue|lane|"
               r"cemetery|graveyard|volcano|landfill|fortress|fort|reef|peak|glacier|cave|mine|dam|cathedral|palace|"
               r"tunnel|crater|beach|coast|farm|zoo|mall|airfield|monument|landmark|stadium|arena|"
               r"square|prison|jail|hospital")  # (not "camp", "summit", "church": "the Trump camp" is no place)
_MORE_ORG = (r"band|label|magazine|publication|newspaper|publisher|studio|college|school|academy|airline|manufacturer|"
             r"retailer|carrier|operator|maker|startup|start-up|conglomerate|league|federation|franchise|charity|"
             r"cartel|gang|faction|movement|orchestra|choir|troupe|ensemble|institute|laboratory|broadcaster|"
             r"station|university|universities|union|organisation|organization|regime|giant|plant|factory|mill|"
             r"refinery|supplier|exchange|developer|lender|insurer|brand|chain|automaker|carmaker|bank|fund|watchdog|"
             r"regulator|ngo|think-tank|thinktank|consortium|syndicate|subsidiary|division|outfit|squad|supermarket|"
             r"authority|commission|tribunal|panel|board|bureau|website|tabloid|broadsheet|trust|unit|brigade|regiment|"
             r"battalion|foundation|society|cooperative|co-op|utility|brokerage|bookmaker|weekly")


# Nouns that ask for an amount, a count or measure, or a date: "What record price ...", "From what
# height ...", "What was X's share of the vote?", "What is X's date of birth?".
_NUMBER_NOUNS = re.compile(r"(?:height|length|distance|depth|width|weight|age|number|score|scoreline|margin|"
                           r"population|count|tally|size|capacity|speed|temperature|toll|majority|magnitude)s?")


def measure_kind(word: str) -> Kind | None:
    """"amount", "number" or "date" for a noun that asks for one (`price`, `height`, `birth`), else None."""
    if _AMOUNT_NOUNS.fullmatch(word):
        return "amount"
    if _NUMBER_NOUNS.fullmatch(word):
        return "number"
    if re.fullmatch(rf"(?:{_DATE_NOUNS})s?|birthday|birthdate", word):
        return "date"
    return None


def noun_kind(word: str) -> Kind | None:
    """The kind of thing a common noun names, for "the name of the <word>", "which <word>" and a name's
    apposition ("Yunji Technology, a Chinese startup"): "person", "place", "organisation" or None.

    >>> noun_kind("startup"), noun_kind("conductor"), noun_kind("hamlet"), noun_kind("idea")
    ('organisation', 'person', 'place', None)
    """
    w = word.strip("?,.!;:\"'").lower()
    if re.fullmatch(rf"(?:{_PERSON_NOUNS}|{_MORE_PERSON})s?", w):
        return "person"
    if re.fullmatch(_PLACE_NOUNS + rf"|(?:city|town|village|countr)(?:y|ies|s)?|(?:{_MORE_PLACE})s?", w):
        return "place"
    if re.fullmatch(_ORG_NOUNS + rf"|clubs?|companies|groups|bands?|ships?|teams?|newspapers?|firms?|parties|"
                                 rf"schools?|hotels?|restaurants?|operations?|projects?|(?:{_MORE_ORG})s?", w):
        return "organisation"
    return None


# -- questions that ask which of two named things ("Who was born first, A or B?") ------------------
_RUN_WORD = re.compile(r"[A-Z\d\"“(][\w’'.\-()\"”&]*|[a-z][a-z’'.\-]*")
_RUN_JOINERS = frozenset({"of", "the", "and", "for", "de", "da", "del", "der", "van", "von", "al", "la", "le", "du", "in",
                          "on", "&", "a"})
_EARLIEST = re.compile(r"\b(first|earlier|earliest|older|oldest|before|sooner|longer ago|preceded)\b", re.I)
_LATEST = re.compile(r"\b(younger|youngest|later|latest|last|newer|newest|more recent(ly)?|most recent(ly)?|after)\b", re.I)


def _capital(word: str) -> bool:
    """A word that can be part of a name: capitalised, a number, or a quoted or bracketed one."""
    return word[:1].isupper() or word[:1].isdigit() or word[:1] in ("\"", "“", "(")


def _name_run(words: list[str]) -> list[str]:
    """The capitalised name at the start of `words`: capitalised words and the small words between
    them ("Kings of Leon"), ending on a capitalised one."""
    run: list[str] = []
    for w in words:
        if _capital(w):
            run.append(w)
        elif w.lower() in _RUN_JOINERS and run:
            run.append(w)
        else:
            break
    while run and not _capital(run[-1]):
        run.pop()
    return run


def options(question: str) -> tuple[str, str] | None:
    """The two named things a question asks to choose between ("Who was born first, Pablo Trapero or
    Aleksander Ford?"), None when it names no such pair. Each must be a capitalised name; the second
    must end the question, unless the question starts with its verb ("Is A or B the largest ...?").

    >>> options("Which magazine was started first Arthur's Magazine or First for Women?")
    ("Arthur's Magazine", 'First for Women')
    >>> options("Is Children's National Medical Center or MedStar Washington Hospital Center the largest?")
    ("Children's National Medical Center", 'MedStar Washington Hospital Center')
    >>> options("Which band was founded first, Hole, the rock band that Courtney Love fronted, or The Wolfhounds?")
    ('Hole', 'The Wolfhounds')
    >>> options("Which musician, Edwyn Collins or Jimmie Ross, played the bass guitar?")
    ('Edwyn Collins', 'Jimmie Ross')
    >>> options("Between two tennis players Kim Clijsters and Mary Pierce, who is older?")
    ('Kim Clijsters', 'Mary Pierce')
    >>> options("Which links between the Police and Mafia, as in Melbourne, did it study?") is None
    True
    >>> options("Did the talks fail or succeed?") is None, options("Who met Trump or his aides?") is None
    (True, True)
    """
    q = question.strip()
    between = re.search(r"(?i)\bbetween (.+?) and (.+?),\s*(?:who|whom|whose|which|what)\b", q)
    if between:  # "Between two tennis players A and B, who is older?"
        a = " ".join(_name_run(between.group(1).split()[::-1])[::-1])
        b = " ".join(_name_run(between.group(2).split()))
        return (a, b) if a and b else None
    cut = q.rfind(" or ")
    if cut < 0:
        return None
    before, after = q[:cut].rstrip(" ,;:"), q[cut + 4:]
    tail = [w for w in after.split() if w.strip("?,.!;:")]
    if tail[:1] == ["the"]:  # "Did Russia or the US strike first?"
        tail = tail[1:]
    second = _name_run(tail)
    if not second:
        return None
    comma = next((i for i, w in enumerate(second) if w.endswith(",")), None)
    if comma is not None:  # "Which musician, A or B, played ...?": the name ends at its comma
        second = second[:comma + 1]
    rest = " ".join(tail[len(second):]).strip(" ?.!")
    verb_first = re.match(r"(?i)(is|are|was|were|did|does|do|has|have|had|will|would|can|could)\b", q) is not None
    if rest and not (verb_first or comma is not None):
        return None
    b = " ".join(second).rstrip("?,.!;:")
    segments = re.split(r"[,:;]\s+", before)
    for n, segment in reversed(list(enumerate(segments))):
        words = segment.split()
        if n == 0:
            words = words[1:]  # the question's own first word ("Who", "Is") is capitalised anyway
        run = _name_run(words[::-1])[::-1]  # the name that ends the segment
        if run:
            return " ".join(run).strip("?,.!;:"), b
    return None


def choice_order(question: str) -> Literal["earliest", "latest", ""]:
    """Whether a choice between two things is decided by which came first ("born first", "older") or
    last ("younger", "more recent"); "" when it is decided by something else."""
    if _LATEST.search(question):
        return "latest"
    if _EARLIEST.search(question):
        return "earliest"
    return ""


@dataclass(frozen=True)
class Analysis:
    """What a question asks for: the kind of answer, the words that say what it is about, how many points."""

    kind: Kind
    focus: str  # the question without the words that only ask (summarize, in three points, ...)
    points: int = 0  # for an overview: the number of points asked for, 0 when not said
    asks_for: str = ""  # the words that name the kind of answer wanted ("news agency" in "Which news agency ...")
    options: tuple[str, ...] = ()  # for a choice: the two named things it asks to choose between
    measure: str = ""  # the figure a number must be of: "profit" in "What operating profit did X report?"
    counted: str = ""  # what a count counts: "Tests" in "In how many Tests did Cook lead England?"
    unit: str = ""  # what a number measures when the question says: "age" (how old), "length" (how long: time or length)
    subject: str = ""  # the name "Who is Betsy DeVos?" asks about: the answer says what they are
    speaker: str = ""  # whose words "What did Dmitry Peskov say ...?" asks for: "Peskov"
    actor: str = ""  # whose reaction an overview asks for: "Russia" in "How did Russia react to ...?"
    role: tuple[str, ...] = ()  # the role nouns a "who" question asks for: ("lawyer",) in "Who is X's lawyer?"

    @property
    def factoid(self) -> bool:
        return self.kind in FACTOID


# "Who is/was <a name>?", "What is the <name>?": a question about the person or thing named, answered
# by what the articles say of them.
_WHO_IS_NAME = re.compile(r"^\s*(?:(?i:who)\s+(?i:is|was|are|were)|(?i:what)\s+(?i:is|was|are|were)(?:\s+the)?)\s+"
                          r"(?P<name>(?:(?:[A-Z][\w.’'-]*|of|de|da|del|van|von|al|bin|ibn|la|le|du)(?:\s+|(?=[?.!,]|$)))+)"
                          r"(?:,[^?]*)?[?.!]*\s*$")  # "Who is Robert Langdon, the character Tom Hanks plays?"


def analyse(question: str, *, choice: bool = True) -> Analysis:
    """The expected answer type of `question` and what it is about, by rules that hold for any news;
    with `choice` False, a choice between two names ("A or B?") is analysed as the question around it.

    >>> analyse("Who is the founder of the Zephyr Glasshouse Orchestra?").kind
    'person'
    >>> analyse("When does the tour end?").kind, analyse("Where was Soleimani killed?").kind
    ('date', 'place')
    >>> analyse("What was the name of the Berlin sauna club where three men died?").kind
    'organisation'
    >>> analyse("What were the names of the Turkish soldiers killed near al-Bab?").kind
    'person'
    >>> analyse("Which Army official called off the study?").kind, analyse("From which air base did they fly?").kind
    ('person', 'place')
    >>> analyse("Who was born first, Pablo Trapero or Aleksander Ford?").options
    ('Pablo Trapero', 'Aleksander Ford')
    >>> analyse("Who is Betsy DeVos?").kind, analyse("Who is the new shadow business secretary?").kind
    ('other', 'person')
    >>> analyse("Who is Robert Langdon, the character Tom Hanks will play?").subject
    'Robert Langdon'
    >>> analyse("Which US city's court gave lawyers access?").kind
    'place'
    >>> analyse("What did Vodafone say in response to the Commission's objections?").speaker
    'Vodafone'
    >>> analyse("Give me the main points of the call.").kind, analyse("What justification did Pompeo give?").focus
    ('overview', 'What did Pompeo give?')
    >>> a = analyse("Summarize Russia's reaction in three points.")
    >>> a.kind, a.points, a.focus
    ('overview', 3, "Russia's")
    """
    who = _WHO_IS_NAME.match(question)
    if who:  # "Who is Betsy DeVos?" asks what she is, not for another name
        return Analysis("other", question, subject=who.group("name").strip(" ?.!"))
    first: Kind = next((k for k, rule in _RULES if rule.search(question)), "other")
    if first == "overview" and _SAID_FIRST.match(question):  # "What did Vodafone say in response to ...?"
        first = "quote"
    # After the kinds a phrase decides (summaries, why, how much, when), "which X" asks for an X
    head, phrase = _wh_head_kind(question)
    kind: Kind = first if first in _BY_PHRASE else (head or first)
    if kind == "other" and _PART_OF_PLACE.search(question):  # "In which part of Manhattan ...?"
        kind = "place"
    named = _NAME_OF.search(question)
    if named:  # "the name of the Berlin sauna club": a club's name, not a person's
        words = named.group(1).lower().split()
        at = next((i for i, w in enumerate(words) if noun_kind(w)), None)
        if at is not None:
            kind = noun_kind(words[at]) or kind
            if kind == "place":  # "the name of the home village": a village, so no country answers it
                head, phrase = kind, " ".join(words[: at + 1])
    points = 0
    m = re.search(r"\bin (two|three|four|five|\d) (points|bullets?)\b", question, re.I)
    if m:
        word = m.group(1).lower()
        points = _COUNT.get(word, int(word) if word.isdigit() else 0)
    pair = options(question) if choice and kind not in ("overview", "reason", "quote") else None
    if pair is not None:
        return Analysis("choice", question, 0, "", pair)
    focus = question
    if kind == "reason" and not re.match(r"(?i)\s*why\b", question):
        # "What justification did Pompeo give?" asks for a reason: articles say "because", not "justification"
        focus = " ".join(_REASON_WORDS.sub(" ", question).split()) or question
    if kind == "overview":
        # "How did Russia react to ...?": "react" asks for the overview, as "summarize" does; the articles
        # say "condemned", "warned", and a small corpus may never write "react"
        focus = " ".join(_REACTION.sub(" ", INSTRUCTION_WORDS.sub(" ", question)).split()).strip(" .?!,:;") or question
    return Analysis(kind, focus, max(0, min(points, 8)), phrase if head and kind == head else "",
                    speaker=speaker(question) if kind == "quote" else "",
                    actor=actor(question) if kind == "overview" else "",
                    measure=measured(question) if kind in ("number", "amount") else "",
                    counted=counted(question) if kind == "number" else "",
                    unit=unit(question) if kind == "number" else "",
                    role=role(question) if kind == "person" else ())


_PART_OF_PLACE = re.compile(r"\b(?:[Ww]hich|[Ww]hat) (?:part|area|side|section|corner|end) of (?:the )?[A-Z]")


# A company's profit is not its sales: a figure that "what" asks for by one of these names must stand
# beside that name (or one news uses for the same figure) in the sentence that answers. Counts ("how
# many soldiers") are not held to their noun: news words them too many ways ("440 troops").
_FIGURES = re.compile(r"(?:profit|profits|revenue|revenues|sales|turnover|earnings|income|worth|salary|salaries|debt|"
                      r"deficit|valuation|budget)")


# Words that end the counted noun's phrase: what follows is the question's verb ("how many people live").
# (and "and", "or": the first of two things counted is the noun, "how many fraternities and sororities")
_COUNT_STOP = frozenset("more other times live lives work works remain remains attend attends won lost took fled left "
                        "went came saw made gave got get go die dies and or".split())


def speaker(question: str) -> str:
    """The name of who a "What did X say ...?" or "How did X describe ...?" question asks about (its last
    word), "" when it names none or names a body by a common noun ("Russia's foreign ministry").

    >>> speaker("What did Kremlin spokesman Dmitry Peskov say about O'Reilly?"), speaker("What did the minister say?")
    ('Peskov', '')
    >>> speaker("How did Russia's foreign ministry describe him?"), speaker("How did Trump's lawyer Rudy Giuliani describe it?")
    ('', 'Giuliani')
    >>> speaker("What did the chief executive of Lloyd's of London say?"), speaker("What did the head of the IMF, Christine Lagarde, say?")
    ('', 'Lagarde')
    """
    m = re.search(r"(?i)\b(?:what|how) (?:did|does|do|has|have|had) (.{1,60}?)\s+(?:say|said|tell|told|write|wrote|claim|"
                  r"call|describe|characteri[sz]e|label|portray)\b", question)
    who = re.split(r",\s*", m.group(1).strip(" ,"))[-1] if m else ""  # "the head of the IMF, Christine Lagarde"
    if re.search(r"\b[a-z]+ of\b", who):
        return ""  # "the chief executive of Lloyd's of London": a role, named by its organisation
    words = who.split()
    return re.sub(r"['’]s$", "", words[-1]) if words and words[-1][:1].isupper() else ""


_ASKED_AFTER = [re.compile(r"(?i)\bnames? of\s+(.*)"),
                re.compile(r"(?i)^\s*(?:(?:from|to|with|by|for|of|at|in|under)\s+)?(?:which|what)\s+(.*)"),
                re.compile(r"(?i)^\s*who\s+(?:is|was|are|were)\s+(.*)")]
_PHRASE_END = frozenset("of at in for from with who whom whose that which by on to and or is was are were did does do "
                        "has have had will would could said".split())


def role(question: str) -> tuple[str, ...]:
    """The role nouns a "who" question asks for: "Which NATO commander spoke ...?", "Who is the chief
    executive of ...?", "Who is X's lawyer ...?", "the name of the apprentice ..."; () when it asks for
    none ("Who gave the order for the strike on the Quds Force commander?" asks for whoever did it).

    >>> role("Who is the chief executive of Nordbank?"), role("Who gave the order for the strike?")
    (('chief', 'executive'), ())
    """
    m = next((m for m in (rule.search(question) for rule in _ASKED_AFTER) if m), None)
    if m is None:
        return ()
    found: list[str] = []
    for word in m.group(1).split()[:6]:
        w = word.strip("?,.!;:\"'")
        if w.lower() in _PHRASE_END or (found and noun_kind(w) != "person"):
            break
        if noun_kind(w) == "person":
            found.append(w.lower())
    return tuple(found)


_ACTOR = re.compile(r"(?i)\bhow (?:did|does|do|has|have|had|will|would) (.{1,60}?) (?:react|respond)\b|"
                    r"\b(?:what|how) (?:was|were|is|are) (.{1,60}?)['’]s? (?:reactions?|responses?|position|stance)\b|"
                    r"\b(?:reactions?|responses?) (?:of|from) (.{1,60}?)(?= to\b|[?.!,]|$)")


def actor(question: str) -> str:
    """Who reacts, in an overview question about a reaction: its capitalised words, "" when it names no
    one ("How did the markets react?").

    >>> actor("How did Russia react to the US strike?"), actor("What was the Kremlin's reaction?")
    ('Russia', 'Kremlin')
    >>> actor("Summarize the reaction of Donald Trump to the ruling."), actor("How did markets respond?")
    ('Donald Trump', '')
    """
    m = _ACTOR.search(question)
    who = next((g for g in m.groups() if g), "") if m else ""
    return " ".join(w for w in re.findall(r"[\w’'.-]+", who) if w[:1].isupper() and w.lower() not in ("the", "its"))


def counted(question: str) -> str:
    """The noun a "how many" question counts, "" when none follows it ("how many of them").

    >>> counted("In how many Tests did Alastair Cook lead England?"), counted("How many Armata tanks has Russia ordered?")
    ('Tests', 'tanks')
    >>> counted("How many children died of flu?"), counted("How many people live there?")
    ('children', 'people')
    >>> counted("How many were injured?"), counted("How old is he?"), counted("How many fraternities and sororities?")
    ('', '', 'fraternities')
    """
    m = re.search(r"(?i)\bhow many\s+((?:[\w'-]+\s+){0,3})", question.rstrip(" ?!.") + " ")  # "... how many years?"
    if not m:
        return ""
    noun = ""
    for word in m.group(1).split():
        w = word.strip("?,.!;:")
        low = w.lower()
        if _NP_END.match(w) or low in _COUNT_STOP or (noun and low.endswith("ed")):  # "how many children died"
            break
        noun = w
    return noun


_UNITS = (("age", re.compile(r"(?i)\bhow old\b|\b(?:what|which) age\b|\bat what age\b")),
          ("length", re.compile(r"(?i)\bhow long\b(?!\s+ago\b)|\bfor how many (?:seconds|minutes|hours|days|weeks|"
                                  r"months|years|decades)\b")))


def unit(question: str) -> str:
    """What a number question measures, when it says: "age", or "length" (of time or of a thing); "" otherwise.

    >>> unit("How old was the general?"), unit("How long did the call last?"), unit("How many died?")
    ('age', 'length', '')
    """
    return next((name for name, rule in _UNITS if rule.search(question)), "")


def measured(question: str) -> str:
    """The figure a number or amount answering `question` must be of (a company's profit, sales or
    worth), "" when it asks for none of those.

    >>> measured("What operating profit did The Body Shop report?"), measured("What were its total sales in 2016?")
    ('profit', 'sales')
    >>> measured("How much profit did it make?"), measured("What record price had bitcoin hit?")
    ('profit', '')
    """
    much = re.search(r"(?i)\bhow much\s+(\w+)", question)  # "How much profit did it make?"
    if much and _FIGURES.fullmatch(much.group(1).lower()):
        return much.group(1).lower()
    m = _WH.search(question)
    if m:
        for word in question[m.start(1):].split()[:6]:
            w = word.lower().strip("?,.!;:")
            if _NP_END.match(w) and w not in ("is", "was", "were", "are"):
                break
            if _FIGURES.fullmatch(w):
                return w
    return ""


# -- outlets a question names ------------------------------------------------------------------
_SAYS = (r"say|says|said|report|reports|reported|write|writes|wrote|cover|covers|covered|claim|claims|claimed|"
         r"tell|tells|told|describe|describes|described|quote|quotes|quoted|publish|publishes|published|"
         r"reveal|reveals|revealed")
_OUTLET_SUFFIX = re.compile(r"(?i)\s+(?:news|online|digital|international|world|english|\.com)$")


def outlet_aliases(source: str) -> set[str]:
    """The ways a question may name the outlet `source`: its name, without "The" or a trailing "News",
    and a web host's name ("cnn.com" -> "cnn", "www.bbc.co.uk" -> "bbc"), all lowercased.

    >>> sorted(outlet_aliases("BBC News")), sorted(outlet_aliases("www.bbc.co.uk")), sorted(outlet_aliases("The Guardian"))
    (['bbc', 'bbc news'], ['bbc', 'www.bbc.co.uk'], ['guardian', 'the guardian'])
    """
    name = " ".join(source.split()).lower()
    out = {name}
    bare = re.sub(r"^the\s+", "", name)
    out.add(bare)
    out.add(_OUTLET_SUFFIX.sub("", bare))
    if re.fullmatch(r"[a-z0-9.-]+\.[a-z]{2,}", name):  # a web host
        labels = [x for x in name.split(".") if x not in ("www", "m", "edition", "amp")]
        if labels:
            out.add(labels[0])
    return {a for a in out if len(a) >= 2}


def named_outlets(question: str, sources: list[str]) -> tuple[list[str], str]:
    """The indexed outlets `question` attributes what it asks about to ("What did the BBC report ...",
    "according to Reuters", "CNN's report on ..."), and the question without them; ([], question) when
    it names none. Only an attribution counts: "Al Jazeera" as the subject ("Who runs Al Jazeera?") is not
    a filter.

    >>> named_outlets("What did the BBC report about the travel ban?", ["bbc.co.uk", "cnn.com"])
    (['bbc.co.uk'], 'What was reported about the travel ban?')
    >>> named_outlets("According to CNN, who argued the case?", ["bbc.co.uk", "cnn.com"])
    (['cnn.com'], 'Who argued the case?')
    >>> named_outlets("Who owns CNN?", ["cnn.com"])
    ([], 'Who owns CNN?')
    """
    by_alias: dict[str, list[str]] = {}
    for s in sources:
        for a in outlet_aliases(s):
            by_alias.setdefault(a, []).append(s)
    if not by_alias:
        return [], question
    names = "|".join(re.escape(a) for a in sorted(by_alias, key=len, reverse=True))
    the = r"(?:the\s+)?"
    frames: list[tuple[str, Callable[[re.Match[str]], str]]] = [
        # "What did the BBC report about X?" -> "What was reported about X?"
        (rf"\b(?P<wh>what|how|when|where|who|why)\s+(?:did|does|do|has|have|had)\s+{the}(?P<o>{names})\s+(?P<v>{_SAYS})\b",
         lambda m: f"{m.group('wh')} was reported"),
        (rf"(?:,\s*)?\baccording\s+to\s+{the}(?P<o>{names})\b\s*,?\s*", lambda m: " "),
        (rf"\b(?:in|by|from)\s+{the}(?P<o>{names})(?:'s|’s)?\s+(?:report|reports|reporting|coverage|articles?|stories|story)\b",
         lambda m: "in reports"),
        (rf"\b{the}(?P<o>{names})(?:'s|’s)\s+(?:report|reports|reporting|coverage|articles?|stories|story)\b",
         lambda m: "reports"),
        (rf"\b(?:as|what)\s+{the}(?P<o>{names})\s+(?P<v>{_SAYS})\b", lambda m: m.group(0).split()[0] + " was reported"),
    ]
    for pattern, replace in frames:
        m = re.search(pattern, question, re.I)
        if m is None:
            continue
        said = question[m.start("o"):m.end("o")]
        if not said[:1].isupper():  # "the independent report": a word, not the outlet's name
            continue
        outlets = by_alias[said.lower()]
        rest = question[:m.start()] + replace(m) + question[m.end():]
        rest = re.sub(r"\s+([?.!,])", r"\1", " ".join(rest.split())).strip(" ,")
        if not re.search(r"\w", rest):
            rest = question
        if m.start() == 0:  # "According to CNN, who ..." -> "Who ..."
            rest = rest[:1].upper() + rest[1:]
        return sorted(set(outlets)), rest
    return [], question
