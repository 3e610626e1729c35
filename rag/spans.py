"""Spans: the pieces of a sentence that can answer a question of a given kind (rag/question.py).

Rules on the sentence's own characters, no model: dates (a month with a day or year, a weekday, a
year), numbers and amounts (with their scale, currency or unit), and names written with capitals,
told apart by the words in and around them: an organisation's name holds a word such as Ministry,
Council, Party or Holdings (or is an acronym); a place's holds River, Street ..., is a country or a US
state, or follows in, at, near, from ...; a common noun in apposition decides ("Yunji Technology, a
Chinese startup"); a person's name is the rest (two or more capitalised words, or one after a title
such as Mr. or President), but for adjectives of nationality ("American Indian") and roles alone
("Labour MP"). A name's span leaves out its possessive. Offsets are character offsets into the
sentence. What it leaves out: telling a person from a place by knowing the world beyond the countries
and US states.

With `backend="spacy"` (`RAG_SPANS=spacy`, rag/ner.py) spaCy's entities give the spans instead, and no
roles: with spaCy's names, roles ("the French leader") measured worse (README, "Quality").
"""

from __future__ import annotations

import re
from typing import Literal

from .question import Kind, noun_kind
from .terms import terms

_MONTHS = (r"(?:January|February|March|April|May|June|July|August|September|October|November|December|"
           r"Jan\.?|Feb\.?|Mar\.?|Apr\.?|Jun\.?|Jul\.?|Aug\.?|Sept?\.?|Oct\.?|Nov\.?|Dec\.?)")
_DAYS = r"(?:Monday|Tuesday|Wednesday|Thursday|Friday|Saturday|Sunday)"
_DATE = re.compile(
    rf"\b{_MONTHS}\s+\d{{1,2}}(?:st|nd|rd|th)?(?:,?\s+\d{{4}})?\b"           # March 19, 2017 / Jan. 3
    rf"|\b\d{{1,2}}(?:st|nd|rd|th)?\s+(?:of\s+)?{_MONTHS}(?:,?\s+\d{{4}})?\b"  # 19 March 2017
    rf"|\b{_MONTHS}\s+\d{{4}}\b"                                              # March 2017
    rf"|\b\d{{4}}-\d{{2}}-\d{{2}}\b"                                          # 2017-03-19
    rf"|\b(?:last|next|this|on|early|late)\s+{_DAYS}\b|\b{_DAYS}\b"          # on Monday
    rf"|\b(?i:in|since|until|by|from|before|after|of)\s+(?:(?:early|mid|late)-?\s*)?(?:1[89]|20)\d{{2}}s?\b"  # In 1999
    rf"|\b(?:(?i:the)\s+)?(?:(?:early|mid|late)-?\s*)?(?:1[89]|20)\d0s\b"                        # the 1950s
    rf"|\b(?:yesterday|today|tonight|last (?:week|month|year|night)|next (?:week|month|year))\b"
    rf"|\b{_MONTHS}(?=[\s,.])")
# "920.8m", "$2 bn", "3 million", "£100million" (glued, as British tabloids print it)
_SCALE = r"(?:\s?(?:bn|m|million|billion|trillion)\b|\s+thousand\b)?"
_NUMBER_WORDS = (r"(?:one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|thirteen|fourteen|fifteen|"
                 r"sixteen|seventeen|eighteen|nineteen|twenty|thirty|forty|fifty|sixty|seventy|eighty|ninety|hundred|"
                 r"dozens?|hundreds|thousands|millions|half|a dozen|a few|several)"
                 # "ninety one", "twenty-five", "two hundred and fifty": one number
                 r"(?:(?:\s+|-)(?:and\s+)?(?:one|two|three|four|five|six|seven|eight|nine|ten|twenty|thirty|forty|"
                 r"fifty|sixty|seventy|eighty|ninety|hundred|thousand|million|billion)\b)*")
# Currencies as a figure's unit ("920.8m euros"): the one list the amount rule and MONEY read
_CURRENCIES = (r"dollars|euros|pounds|rubles|roubles|yuan|yen|rupees|francs|pesos|lira|kroner|kronor|krona|krone|"
               r"rand|won|dinars?|riyals?|rials?|shekels?|hryvnias?|zloty|lei|baht|ringgit|naira|shillings?|cents|pence")
# A figure's digits: never ending with a comma or point ("Robert Napier, 25, won £2,450": 25 is no sum in won)
_FIGURE = r"\d(?:[\d,.]*\d)?"
_AMOUNT = re.compile(
    rf"(?:\b(?:US|A|C|NZ|HK|S|NT|R)\$|[$€£¥]|\b(?:USD|EUR|GBP|RUB)\s?)\s?{_FIGURE}{_SCALE}"  # "A$458.4m"
    rf"|\b{_FIGURE}{_SCALE}\s*(?:%|percent\b|per cent\b|(?:{_CURRENCIES})\b|points\b)")
# A sum of money (not a percentage or points): an amount with a currency's sign, code or name
MONEY = re.compile(rf"[$€£¥₹]|\b(?:US|USD|EUR|GBP|RUB)\b|\b(?:{_CURRENCIES}|dollar|euro|pound|ruble|rouble|rupee|"
                   r"franc|peso)\b", re.I)
# A score or a vote ("34-28", "51-50", a tennis match's "6-2 6-3") is one number; a hyphen before a word
# is not ("25-point").
_NUMBER = re.compile(rf"\b\d{{1,3}}-\d{{1,3}}(?:,?\s\d{{1,2}}-\d{{1,2}})*\b(?!-)|\b\d{{1,3}}(?:,\d{{3}})+(?:\.\d+)?{_SCALE}|\b\d+(?:\.\d+)?{_SCALE}|"
                     rf"\b{_NUMBER_WORDS}\b", re.I)
_YEAR = re.compile(r"^(?:1[89]|20)\d{2}$")
_ORDINAL = re.compile(r"(?:st|nd|rd|th)\b", re.I)
# "one" that stands for a thing named before ("those who owned one back in the 1980s", "one of the
# first"), not a count of what follows
_PRONOUN_ONE = re.compile(r"\s*(?:[,.;:!?)\"”’]|$|(?:of|back|in|on|at|to|that|who|which|whose|and|or|but|is|was|"
                          r"has|had|would|will|can|could|day|time|another|else)\b)", re.I)
# A time of day ("3pm", "14:50 GMT", "7:15 p.m."): when something happened, not how many.
_CLOCK = re.compile(r"\b\d{1,2}(?::\d{2})+(?:\s?(?:[ap]\.?m\b\.?|GMT|BST|UTC|[ECMP][SD]?T\b))?"
                    r"|\b\d{1,2}\s?(?:[ap]\.?m\b\.?|o'clock)", re.I)

_CAP = r"(?:[A-Z][\w’'\-]*[a-z][\w’'\-]*|[A-Z]{2,}|[A-Z]\.)"
_BASED = re.compile(r"\b((?:[A-Z][a-z][\w’'.]*\s)*[A-Z][a-z][\w’'.]*)-based\b")  # "Chennai-based", "New York-based"
_JOIN = r"(?:\s+(?:of|de|da|del|der|van|von|al|bin|ibn|la|le|du)\s+|\s+|-)"
_NICK = r"[\"“][A-Z][\w’'\-]*[a-z][\w’'\-]*[\"”]"  # William "Ryan" Owens
_NAME = re.compile(rf"{_CAP}(?:{_JOIN}{_CAP}|\s+{_NICK}(?=\s+[A-Z]))*")
# A company's legal form or a club's ("FC"): "ZTE Corp" is the ZTE a question names, "Newry FC" its Newry City.
_LEGAL_FORM = re.compile(r"\b(?:Corporation|Corp|Inc|Incorporated|Ltd|Limited|LLC|PLC|plc|Co|Company|AG|SA|GmbH|NV|SpA|"
                         r"FC|AFC|CF)\b\.?")
_GREEK = r"(?:Alpha|Beta|Gamma|Delta|Epsilon|Zeta|Eta|Theta|Iota|Kappa|Lambda|Mu|Nu|Xi|Omicron|Pi|Rho|Sigma|Tau|Upsilon|Phi|Chi|Psi|Omega)"
# Words that make an organisation's name a newspaper's, a broadcaster's or an agency's
_MEDIA_WORDS = (r"Times|News|Post|Press|Journal|Tribune|Herald|Gazette|Magazine|Observer|Chronicle|Telegraph|"
                r"Guardian|Examiner|Inquirer|Courier|Dispatch|Bulletin|Weekly|Daily|Star|Globe|Sentinel|Mirror|"
                r"Independent|Reuters|Interfax|Tass|TASS|BBC|CNN|Radio|Television|Channel")
_MEDIA = re.compile(rf"\b(?:{_MEDIA_WORDS})\b")
_ORG_WORDS = re.compile(
    rf"\b{_GREEK} {_GREEK}\b|"  # "Zeta Beta Tau": a fraternity or sorority
    rf"\b(?:{_MEDIA_WORDS}|"
    r"Ministry|Affairs|Council|Party|Bank|Agency|Committee|Union|Organi[sz]ation|Association|Court|Army|Corps|Forces?|"
    r"Guards?|Police|Department|Office|Commission|Parliament|Congress|Senate|Assembly|University|Company|"
    r"Corporation|Corp|Inc|Ltd|Group|Institute|Foundation|Federation|Front|Movement|"
    r"Brigades?|Fund|Service|Authority|Administration|Pentagon|Kremlin|Cabinet|Navy|Airlines?|Church|League|"
    r"Coalition|Alliance|Network|Spectator|Review|Club|Orchestra|School|Academy|College|"
    r"Ensemble|Society|Board|Bureau|House|NATO|UN|EU|Technology|Technologies|"
    r"Holdings|Systems|Motors|Industries|Labs|Entertainment|Pictures|Records|Media|Energy|Airways|Telecom|"
    r"Pharmaceuticals|Solutions|Software|Electronics|Robotics|Studios|Communications|Petroleum|Insurance|"
    r"Investments|Ventures|Enterprises|Brewery|Co|Tribes?|Trust)\b")
_TITLE_WORDS = re.compile(r"\b(?:(?:(?:Secretary|Minister|Ministry|Department) of (?:State|Defense|Defence|the Interior|"
                          r"Foreign Affairs|Finance|the Treasury|Health|Justice|Energy|Commerce|War)|President|Prime Minister|Minister|Chancellor|General|Gen\.|Senator|Sen\.|Governor|"
                          r"Gov\.|Mayor|King|Queen|Prince|Princess|Pope|Judge|Ambassador|Secretary|Commander|Director|"
                          r"Councillor|Councilor|Councilman|Councilwoman|Commissioner|Sheriff|Speaker|Cardinal|Sheikh|"
                          r"Professor|Coach|Detective|Constable|Sergeant|Admiral|Representative|Congressman|"
                          r"Congresswoman|Sir|Dame|MP|MEP|MSP|CEO|PM|Petty Officer|Officer|Corporal|Lieutenant|"
                          r"Major|Captain|Colonel|Brigadier|"
                          r"Chief of Staff|Chief of the General Staff|Chairman|Chairwoman|Chief|Mr\.?|Mrs\.?|Ms\.?|Dr\.?|Prof\.?|Lt\.?|Col\.?|Capt\.?|"
                          r"Defense|Defence|Foreign|Interior|Finance|Deputy|Vice|Former|Supreme Leader|Ayatollah)\s+)+")
_TITLE_ABBREV = re.compile(r"\s*\b(?:Gov|Sen|Rep|Gen|Lt|Col|Capt|Cmdr|Adm|Sgt|Maj|Dr|Mr|Mrs|Ms|Prof|Rev|Supt|Insp|Det)$")
_TRAILING = re.compile(rf"(?:\s+(?:{_MONTHS}|{_DAYS}|The|A|An))+$")  # "in CAR The governor": "The" starts what follows
# "of" and "to" precede people as often as places ("the killing of X", "spoke to X"): not place words.
_PLACE_BEFORE = re.compile(r"(?:\b(?:in|at|near|from|outside|inside|into|across|around|towards|via|beneath|underneath|"
                           r"below|beside|opposite|along|off|onto|throughout|within|through)\s+(?:the\s+)?"
                           r"|\b(?:vicinity|outskirts|city|town|village|province|region|capital|suburbs?|centre|center|"
                           r"heart|streets?|north|south|east|west|parts?) of\s+(?:the\s+)?)$")
_TITLES = re.compile(r"(?:\b(?:Mr|Mrs|Ms|Dr|Prof|Gen|Sen|Rep|Gov|Lt|Col|Capt|Adm|Sgt)\.?|\b(?:President|Prime Minister|"
                     r"Minister|Chancellor|General|Senator|Governor|Mayor|King|Queen|Prince|Princess|Pope|Judge|"
                     r"Ambassador|Secretary|Commander|Director|Chairman|Chairwoman|Chief|Spokesman|Spokeswoman|"
                     r"spokesman|spokeswoman|spokesperson|conductor|founder|leader|minister|president|"
                     r"director|chief|said|says|told|according to))\s+$")
_NOT_NAMES = re.compile(rf"^(?:{_MONTHS}|{_DAYS}|The|A|An|In|On|At|But|And|This|That|These|Those|He|She|It|They|We|"
                        r"I|His|Her|Their|Its|There|As|After|When|While|If|For|With|By|From|According|Meanwhile|"
                        r"However|Also|Earlier|Later|Last|Next|Mr|Mrs|Ms|Dr)$")
_LEAD = re.compile(r"(?:(?:The|A|An|In|On|At|But|And|This|That|According to|Meanwhile|However|Also|After|When|How|Why|What|"
                   r"Where|Who|Former|Ex|One|Two|Three|Four|Five|Six|Seven|Eight|Nine|Ten|Several|Many|Some|Most|All|"
                   r"Both)\s+|[A-Z][\w.]*-(?:based|born|led|owned|backed|run|made|headquartered|listed)\s+)")


# People named by their role ("the French leader", "his brother"): answers to "who" as much as names are.
_ROLE = re.compile(
    r"\b(?:the|a|an|his|her|its|their|our|whose)\s+(?:[\w-]+\s+){0,2}?(?:leader|president|minister|premier|"
    r"chancellor|king|queen|prince|official|officials|spokesman|spokeswoman|spokesperson|envoy|ambassador|"
    r"diplomat|general|commander|chief|head|director|founder|chairman|chairwoman|ceo|secretary|governor|mayor|"
    r"senator|lawmaker|judge|lawyer|prosecutor|police|officer|soldier|troops|forces|side|government|"
    r"administration|brother|sister|son|daughter|wife|husband|father|mother|widow|family|conductor|"
    r"composer|author|writer|reporter|journalist|player|coach|owner|investor|buyer|seller|rival|opponent|"
    r"counterpart|successor|predecessor|deputy|aide|adviser|advisor|cleric|militia|militants|gunmen|group)\b",
    re.I)


# Places by kind, for questions that ask for one ("Which country ...", "Which US state ..."): the
# countries of the world with their common short forms, and the US states.
_COUNTRIES = ("Afghanistan|Albania|Algeria|Andorra|Angola|Antigua and Barbuda|Argentina|Armenia|Australia|Austria|Azerbaijan|Bahamas|Bahrain|Bangladesh|Barbados|Belarus|Belgium|Belize|Benin|Bhutan|Bolivia|Bosnia and Herzegovina|Bosnia|Botswana|Brazil|Brunei|Bulgaria|Burkina Faso|Burundi|Cambodia|Cameroon|Canada|Cape Verde|Central African Republic|Chad|Chile|China|Colombia|Comoros|Congo|Democratic Republic of Congo|Democratic Republic of the Congo|DR Congo|DRC|Costa Rica|Croatia|Cuba|Cyprus|Czech Republic|Czechia|Denmark|Djibouti|Dominica|Dominican Republic|East Timor|Timor-Leste|Ecuador|Egypt|El Salvador|Equatorial Guinea|Eritrea|Estonia|Eswatini|Swaziland|Ethiopia|Fiji|Finland|France|Gabon|Gambia|Georgia|Germany|Ghana|Greece|Grenada|Guatemala|Guinea|Guinea-Bissau|Guyana|Haiti|Honduras|Hungary|Iceland|India|Indonesia|Iran|Iraq|Ireland|Republic of Ireland|Israel|Italy|Ivory Coast|Côte d'Ivoire|Jamaica|Japan|Jordan|Kazakhstan|Kenya|Kiribati|Kosovo|Kuwait|Kyrgyzstan|Laos|Latvia|Lebanon|Lesotho|Liberia|Libya|Liechtenstein|Lithuania|Luxembourg|Macedonia|North Macedonia|Madagascar|Malawi|Malaysia|Maldives|Mali|Malta|Marshall Islands|Mauritania|Mauritius|Mexico|Micronesia|Moldova|Monaco|Mongolia|Montenegro|Morocco|Mozambique|Myanmar|Burma|Namibia|Nauru|Nepal|Netherlands|Holland|New Zealand|Nicaragua|Niger|Nigeria|North Korea|Norway|Oman|Pakistan|Palau|Palestine|Panama|Papua New Guinea|Paraguay|Peru|Philippines|Poland|Portugal|Qatar|Romania|Russia|Russian Federation|Rwanda|Saint Kitts and Nevis|Saint Lucia|Samoa|San Marino|Saudi Arabia|Senegal|Serbia|Seychelles|Sierra Leone|Singapore|Slovakia|Slovenia|Solomon Islands|Somalia|South Africa|South Korea|Korea|South Sudan|Spain|Sri Lanka|Sudan|Suriname|Sweden|Switzerland|Syria|Taiwan|Tajikistan|Tanzania|Thailand|Togo|Tonga|Trinidad and Tobago|Tunisia|Turkey|Turkmenistan|Tuvalu|Uganda|Ukraine|United Arab Emirates|UAE|United Kingdom|UK|U.K.|Britain|Great Britain|England|Scotland|Wales|Northern Ireland|United States|United States of America|US|U.S.|USA|U.S.A.|America|Uruguay|Uzbekistan|Vanuatu|Vatican|Venezuela|Vietnam|Yemen|Zambia|Zimbabwe")
_US_STATES = ("Alabama|Alaska|Arizona|Arkansas|California|Colorado|Connecticut|Delaware|Florida|Georgia|Hawaii|Idaho|Illinois|Indiana|Iowa|Kansas|Kentucky|Louisiana|Maine|Maryland|Massachusetts|Michigan|Minnesota|Mississippi|Missouri|Montana|Nebraska|Nevada|New Hampshire|New Jersey|New Mexico|New York|North Carolina|North Dakota|Ohio|Oklahoma|Oregon|Pennsylvania|Rhode Island|South Carolina|South Dakota|Tennessee|Texas|Utah|Vermont|Virginia|Washington|West Virginia|Wisconsin|Wyoming")
# What a place question may ask for in a city: a building or a site ("Which hospital ...?")
_FACILITY = re.compile(r"(?:hospital|clinic|airport|airfield|stadium|arena|venue|prison|jail|school|university|college|"
                       r"campus|station|hotel|church|mosque|temple|cathedral|museum|theatre|theater|court|courthouse|"
                       r"building|port|harbou?r|bridge|street|road|square|park|base|camp|embassy|hall|palace|club)s?")
# city-states and cities that share a country's or state's name
_ALSO_CITIES = frozenset({"Singapore", "Monaco", "Luxembourg", "Kuwait", "Djibouti", "Panama", "Vatican", "San Marino",
                          "New York", "Washington", "Georgia"})


def _alternation(names: str) -> re.Pattern[str]:
    alts = sorted({n for n in names.split("|") if n}, key=len, reverse=True)  # the longest name first
    return re.compile(r"(?<![\w.])(?:" + "|".join(re.escape(a) for a in alts) + r")(?![\w])")


_COUNTRY = _alternation(_COUNTRIES)
_US_STATE = _alternation(_US_STATES)
_STATE_CITY = re.compile(rf"(?:{_US_STATES}|{_COUNTRIES}) City")  # "New York City", "Mexico City" (not "Leicester City")
_COUNTY = re.compile(r"\b[A-Z][\w'’-]*(?:\s+[A-Z][\w'’-]*)*\s+County\b")


def _country_or_state(name: str) -> bool:
    """`name` is a country's or a US state's, whole."""
    return _COUNTRY.fullmatch(name) is not None or _US_STATE.fullmatch(name) is not None


_OWNED = re.compile(r"(.+?)['’]s\s+(?=[A-Z\d])")


def owned(name: str, known: str = "") -> int:
    """Where the name owned starts in a name "A's B" whose owner A is a country, a US state or named in
    `known` (the question's text): "Sierra Leone's Kono", "Russia's Vladimir Putin", "Manhattan's Upper
    West Side" asked about Manhattan name Kono, Putin, the Upper West Side; 0 otherwise ("King's Cross",
    "Martha's Vineyard" are names of their own).

    >>> owned("Sierra Leone's Kono"), owned("Manhattan's Upper West Side", "In which part of Manhattan ...?"), owned("King's Cross")
    (15, 12, 0)
    """
    m = _OWNED.match(name)
    if m and (_country_or_state(m.group(1))
              or (known and re.search(rf"(?<!\w){re.escape(m.group(1))}(?!\w)", known))):
        return m.end()
    return 0


SpanBackend = Literal["rules", "spacy"]


def typed_spans(text: str, kind: Kind, *, backend: SpanBackend = "rules") -> list[tuple[int, int]]:
    """(start, end) of each piece of `text` that is an answer of `kind`, in order; [] for other kinds.

    >>> t = "The ensemble's founder, conductor Ingrid Vasmoen, said the tour ends in Klaksvik on 19 March."
    >>> [t[a:b] for a, b in typed_spans(t, "person")], [t[a:b] for a, b in typed_spans(t, "place")]
    (['Ingrid Vasmoen'], ['Klaksvik'])
    >>> [t[a:b] for a, b in typed_spans(t, "date")]
    ['19 March']
    >>> v = "Cooper wrote to then-Indiana Gov. Mike Pence in 2013."
    >>> [v[a:b] for a, b in typed_spans(v, "person")]
    ['Mike Pence']
    >>> u = "The Quds Force has an estimated 20,000 members and a budget of $1.2 billion."
    >>> [u[a:b] for a, b in typed_spans(u, "number")], [u[a:b] for a, b in typed_spans(u, "amount")]
    (['20,000', '1.2 billion'], ['$1.2 billion'])
    >>> p = "President Trump’s drone strike killed him, the Pentagon's statement said."
    >>> [p[a:b] for a, b in typed_spans(p, "person")], [p[a:b] for a, b in typed_spans(p, "organisation")]
    (['Trump'], ['Pentagon'])
    >>> w = "It landed at 14:50 GMT, diverted at around 3pm with 150 passengers."
    >>> [w[a:b] for a, b in typed_spans(w, "number")]
    ['150']
    """
    if backend == "spacy":
        return _spacy_spans(text, kind)
    if kind == "date":
        return _strip_lead_words(text, [m.span() for m in _DATE.finditer(text)])
    if kind == "amount":
        return [m.span() for m in _AMOUNT.finditer(text)]
    if kind == "number":
        spans = [m.span() for m in _NUMBER.finditer(text) if not _YEAR.match(m.group(0))
                 and not (m.group(0).lower() == "one" and _PRONOUN_ONE.match(text, m.end()))
                 and not _ORDINAL.match(text, m.end())]  # "the 3rd Ward" counts no wards
        # a day, a year or a time of day is a date, not a count
        dates = typed_spans(text, "date") + [m.span() for m in _CLOCK.finditer(text)]
        return [s for s in spans if not any(a <= s[0] and s[1] <= b for a, b in dates)]
    if kind in ("person", "organisation", "place"):
        found = [(a, b) for a, b, k in _names(text) if k == kind]
        if kind == "place":  # "Chennai-based Tata": where Tata is based (the name itself is Tata's)
            found = sorted(found + [m.span(1) for m in _BASED.finditer(text)
                                    if not any(a <= m.start(1) < b for a, b in found)])
        if kind == "person":  # a name first; a role where no name is new (not a name's title: "the other
            # emails President" of "... President Obama is labelled")
            found += [m.span() for m in _ROLE.finditer(text) if not any(a <= m.start() < b for a, b in found)
                      and not _NAME_NEXT.match(text, m.end())]
        return found
    return []


def reporting(text: str, span: tuple[int, int]) -> bool:
    """The name `text[span]` is the news outlet reporting the story, not a party to it: a newspaper's,
    broadcaster's or site's name after "told", "according to", "reported by" ("The site told Daily Mail
    Online that ..."), or any name before "reported" that ends its clause ("..., WMUR reported.").

    >>> t = "The site told Daily Mail Online the campaign was removed, WMUR reported."
    >>> reporting(t, (14, 31)), reporting(t, (58, 62)), reporting(t, (4, 8))
    (True, True, False)
    """
    a, b = span
    name = text[a:b]
    if (_MEDIA.search(name) or name.endswith("Online")) and _TOLD.search(text, max(0, a - 25), a):
        return True
    return _REPORTED.match(text, b) is not None


def reporter(text: str, span: tuple[int, int]) -> bool:
    """The name `text[span]` is the journalist reporting the story ("Al Jazeera's Qais Azimy, reporting
    from Kabul, said ..."), not a party to it.

    >>> t = "Al Jazeera's Qais Azimy, reporting from Kabul, said the attack was the second."
    >>> reporter(t, (0, 23)), reporter(t, (40, 45))
    (True, False)
    """
    return _REPORTING_FROM.match(text, span[1]) is not None


_REPORTING_FROM = re.compile(r"\s*,\s*(?:who is\s+)?reporting\s+(?:from|in|on)\b")
_TOLD = re.compile(r"\b(?:told|tells|according to|reported by|speaking to|in an interview with)\s+(?:the\s+)?$")
_REPORTED = re.compile(r"\s+(?:reported|reports|has reported|has learned|learned|revealed)\s*(?:[.,;]|$|that\b|on\b)")


_NAME_NEXT = re.compile(r" [A-Z][a-z]")
_CLASS_AFTER = re.compile(r"\s+([a-z]+)\b(?!['’])")  # the common noun a one-word name stands before


def _noun_after(text: str, b: int) -> str | None:
    """The kind the lower-case class noun right after offset `b` names ("Whanganui river": place), or None."""
    after = _CLASS_AFTER.match(text, b)
    return noun_kind(after.group(1)) if after else None


def is_role(text: str) -> bool:
    """True for a person named by a role ("the French leader"), not by name."""
    return _ROLE.fullmatch(text) is not None


def names(text: str) -> list[tuple[int, int]]:
    """(start, end) of every capitalised name in `text`, of any kind."""
    return [(a, b) for a, b, _ in _names(text)]


def place_spans(text: str, spans: list[tuple[int, int]], place: str) -> list[tuple[int, int]]:
    """Of a sentence's place `spans`, those of the kind of place a question asks for (`place`, its words
    for it: "country", "us state", "county", "city"): every country or US state `text` names for those
    (they often stand without the "in" that finds other places), names ending in "County" for a county,
    and no country or state for a city, town or village. Other kinds of place keep `spans`.

    >>> t = "The jets took off from Lincolnshire, said Britain, while Paris and France waited."
    >>> [t[a:b] for a, b in place_spans(t, [], "country")]
    ['Britain', 'France']
    >>> [t[a:b] for a, b in place_spans(t, [(23, 35), (42, 49), (57, 62), (67, 73)], "city")]
    ['Lincolnshire', 'Paris']
    >>> t = "Jon Jost is an American filmmaker who lived in Italy."
    >>> [t[a:b] for a, b in place_spans(t, [], "nationality")]
    ['American']
    """
    words = place.lower().split()
    noun = words[-1] if words else ""
    if noun in ("country", "countries", "nation", "nations"):
        return [m.span() for m in _COUNTRY.finditer(text)]
    if noun in ("state", "states") and set(words[:-1]) <= {"us", "u.s.", "american", "united"}:
        return [m.span() for m in _US_STATE.finditer(text)]
    if noun in ("nationality", "nationalities"):
        return [m.span() for m in _NATIONALITY.finditer(text)]
    if noun in ("county", "counties"):
        return [m.span() for m in _COUNTY.finditer(text)]
    if noun in ("city", "cities", "town", "towns", "village", "villages", "capital") or _FACILITY.fullmatch(noun):
        # a city, or a building or site in one ("Which hospital ...?"): no country or state answers
        bare = [re.sub(r"['’]s?$", "", text[a:b]) for a, b in spans]  # "Germany's"
        return [(a, b) for (a, b), n in zip(spans, bare) if n in _ALSO_CITIES
                or not _country_or_state(n)]
    return spans


def novel_spans(text: str, kind: Kind, question_terms: set[str], *,
                backend: SpanBackend = "rules", place: str = "") -> list[tuple[int, int]]:
    """`typed_spans` that say something the question does not: not every one of their words is in it,
    and for a person, not the surname the question names (the question's own subject; a relative who
    shares it is missed). For a place, only the kind of place `place` names (`place_spans`).

    >>> t = "Qasem Soleimani led the force until Esmail Qaani took over."
    >>> [t[a:b] for a, b in novel_spans(t, "person", set(terms("Who succeeded Soleimani?")))]
    ['Esmail Qaani']
    >>> t = "ZTE Corp will buy a stake in Netas Telekomunikasyon, Turkey's telecom equipment maker."
    >>> [t[a:b] for a, b in novel_spans(t, "organisation", set(terms("Which company is ZTE buying into?")))]
    ['Netas Telekomunikasyon']
    """
    out = []
    found = typed_spans(text, kind, backend=backend)
    if kind == "place" and place:
        found = place_spans(text, found, place)
    elif kind == "place":  # "Where ...?": "for the two UK players" says whose players, not where
        found = [(a, b) for a, b in found if not _attributive(text, a, b)]
    for a, b in found:
        words = terms(text[a:b])
        if not words or set(words) <= question_terms:
            continue
        if kind == "person" and words[-1] in question_terms:
            # "Qasem Soleimani" for "Who succeeded Soleimani?": the question's own subject; "a 21-year-old
            # apprentice" for "Who was the apprentice killed ...?": the question's own role, restated
            continue
        if kind == "organisation" and set(terms(_LEGAL_FORM.sub(" ", text[a:b]))) <= question_terms:
            continue  # "ZTE Corp" for "Which company is ZTE buying into?": the question's own company
        if _acronym(text, a, b) in question_terms:
            continue  # "Motion Picture Association of America (MPAA)" when the question says "MPAA"
        out.append((a, b))
    if not out and kind == "place" and place and _FACILITY.fullmatch(place.split()[-1]):
        # "Which arena ...?" where no place is new: a venue's name is often typed as an organisation ("the SSE Hydro")
        return [(a, b) for a, b in novel_spans(text, "organisation", question_terms, backend=backend)
                if not _MEDIA.search(text[a:b])]  # "The Times Union of Albany" reports; it is no venue
    return out




_DETERMINED = re.compile(r"(?i:\b(?:the|a|an|its|his|her|their|this|that|these|those|two|three|four|five|six|seven|"
                         r"eight|nine|ten|\d+)\s+)+$")
_PLACE_PREP = re.compile(r"\b(?i:in|at|from|to|into|across|near|outside|inside|around|throughout|within|of)\s*$")
_NOUN_AFTER = re.compile(r"\s+([a-z][\w-]*)")
# Words after a place's name that still say where ("its Paris headquarters"), or start what follows it
_NOT_MODIFIED = frozenset("headquarters office offices base home branch plant factory studio studios campus bureau "
                          "and or on in at to of for with by from as is was are were has had said says where which who "
                          "that last this next".split())


def _attributive(text: str, a: int, b: int) -> bool:
    """The place name `text[a:b]` only modifies the noun after it ("for the two UK players", "the US
    strike"): a determiner or number before it, no preposition of place before that, a noun after."""
    det = _DETERMINED.search(text, max(0, a - 40), a)
    if det is None or _PLACE_PREP.search(text, max(0, det.start() - 15), det.start()):
        return False
    after = _NOUN_AFTER.match(text, b)
    return after is not None and after.group(1) not in _NOT_MODIFIED


def _acronym(text: str, a: int, b: int) -> str:
    """The term of the name `text[a:b]`'s acronym: the one in brackets after it, else its capitals
    ("Motion Picture Association of America (MPAA)": "mpaa"); "" for a one-word name."""
    m = re.match(r"\s*\(([A-Z][A-Za-z]{1,7})\)", text[b:b + 12])
    caps = "".join(w[0] for w in text[a:b].split() if w[:1].isupper())
    found = m.group(1) if m else caps if len(caps) >= 2 else ""
    return found.lower()


def _spacy_spans(text: str, kind: Kind) -> list[tuple[int, int]]:
    """spaCy's entities of `kind` (rag/ner.py)."""
    from .ner import entities

    return [(a, b) for a, b, k in entities(text) if k == kind]


def _sentence_start(before: str) -> bool:
    """A word after `before` starts a sentence or a quotation (so is capitalised anyway): after a full
    stop, or after an opening quote, not after a quotation's closing one ('"I'm innocent," Cooper said').

    >>> _sentence_start('He left. '), _sentence_start('"I am innocent," '), _sentence_start('He said: "')
    (True, False, True)
    """
    b = before.rstrip()
    if b.endswith((",\"", ",”", ",'", ",’")):
        return False
    return b.endswith((".", "!", "?", "“", '"'))


def _names(text: str) -> list[tuple[int, int, str]]:
    """Capitalised names in `text` with their kind: organisation, place or person."""
    out = []
    for m in _NAME.finditer(text):
        a, b = m.span()
        lead = _LEAD.match(text, a)
        if lead:
            a = lead.end()
        while b > a and text[b - 1] in ".’'-":
            b -= 1
        trail = _TRAILING.search(text, a, b)
        if trail:
            b = trail.start()
        abbrev = _TITLE_ABBREV.search(text, a, b)
        if abbrev and text[b:b + 1] == ".":  # "then-Indiana Gov. Mike Pence": the title's word is no name
            b = abbrev.start()
        name = text[a:b]
        bare = re.sub(r"['’]s?$", "", name)  # "Thursday's" is a day
        if b <= a or _NOT_NAMES.match(bare) or (name.isupper() and " " in name):  # "READ MORE" is a caption
            continue
        words = bare.split()
        if len(words) == 1 and re.fullmatch(r"[A-Z][\w.]*-[a-z]+", bare):
            continue  # "China-friendly", "Kremlin-backed", "Paris-based": an adjective
        if all(w in _DEMONYMS for w in words) or words[0][:1].islower():
            continue  # "American Indian tribes", "Native American": an adjective; "of State": a title's tail
        if len(words) > 1 and noun_kind(words[-1]) == "person" and not _TITLE_WORDS.search(name):
            continue  # "Labour MP", "Shadow Chancellor": a role, not a name
        told = _apposition(text, a, b)  # "Yunji Technology, a Chinese startup", "the startup Yunji"
        if a == 0 or _sentence_start(text[:a]):
            # a sentence's first word is capitalised anyway: one word there is no name
            if " " not in name and not _ORG_WORDS.search(name) and not name.isupper() and told is None:
                continue
        before = text[max(0, a - 40):a]
        titles = list(_TITLE_WORDS.finditer(name))
        if titles and titles[-1].end() < len(name) and _ORG_WORDS.search(name[:titles[-1].start()]) \
                and not _ORG_WORDS.search(name[titles[-1].end():]):  # "Ministry of Foreign Affairs" names no one
            # "Iranian Armed Forces Chief of Staff Mohammad Bagheri": an organisation's officer, by name
            out.append((a + titles[-1].end(), b, "person"))
            continue
        if name.isupper() and _NOT_ORG.fullmatch(name):
            continue  # "the MVP trophy", "GDP", "at 3 PM": an acronym that names no one
        if _EVENT_WORDS.search(name) and not _ORG_WORDS.search(name):
            continue  # "in the Uefa Cup", "at the Cannes Film Festival": an event, no place or person
        if name.isupper() and _COUNTRY.fullmatch(name):
            out.append((a, b, "place"))  # "US", "UK", "UAE": a country, not an organisation
            continue
        if _ORG_WORDS.search(name) or (name.isupper() and len(name) >= 2) or (
                _ACRONYM_IN.search(name) and not _TITLE_WORDS.search(name)):
            out.append((a, b, "organisation"))
        elif (_PLACE_WORDS.search(name) and not _TITLE_WORDS.search(name)) or _country_or_state(name) \
                or _STATE_CITY.fullmatch(name):  # "Missouri River", "Lake Oahe",
            # "North Dakota oil" (not "Iran's"), "New York City"
            out.append((a, b, "place"))
        elif told is not None and not _TITLE_WORDS.search(name):
            out.append((a, b, told))
        elif " " not in name and (noun := _noun_after(text, b)) in ("place", "organisation"):
            out.append((a, b, noun))  # "the Whanganui river", "the Mosul dam"
        elif " " not in name and _TEAM.fullmatch(name) and re.search(r"\bthe\s+$", before):
            out.append((a, b, "organisation"))  # "the Patriots", "the Falcons": a team, a band, a party
        elif _PLACE_BEFORE.search(before) and not _TITLES.search(before) and not _TITLE_WORDS.search(name):
            out.append((a, b, "place"))
        elif " " in name or "-" in name or _TITLES.search(before) or _SPEAKS.match(text, b):
            # "Russian Defense Minister Sergey Shoygu" -> "Sergey Shoygu": the title is not the name
            titles = list(_TITLE_WORDS.finditer(name))
            if titles and titles[-1].end() < len(name):
                a += titles[-1].end()
            elif titles:
                continue
            if text[a:a + 1].islower():  # "Secretary of State": no name after the title
                continue
            if re.search(r"\s(?:Of|The|And|For|In|On|At)\s", text[a:b]):
                continue  # "Real Housewives Of New Jersey": a title-cased work's name, no one's
            role = re.match(r"([A-Z][a-z]+)\s+(?=[A-Z])", text[a:b])
            if role and noun_kind(role.group(1)) == "person" and (a == 0 or _sentence_start(text[:a])):
                # "Striker Lena Moss": a sentence's first word (not "..., Reporters Without Borders")
                a += role.end()
            out.append((a, b, "person"))
    # the name without its possessive ("Trump's drone strike" names Trump), judged with it above
    return [(a, b - 2 if text[b - 2:b] in ("'s", "’s") else b, k) for a, b, k in out]


# Words that make a name an event's: a competition, a festival, a prize ("the Uefa Cup", "the Grand Prix").
_EVENT_WORDS = re.compile(r"\b(?:Cup|Games|Olympics|Olympiad|Championships?|Grand Prix|Prix|Trophy|Tournament|"
                          r"Festival|Awards?|Prize|Marathon|Derby|Expo|Summit|Carnival|Super Bowl|World Series)\b")
# Acronyms that name no organisation, person or place.
_NOT_ORG = re.compile(r"MVP|GDP|GNP|CPI|TV|DNA|HIV|AIDS|VAT|IPO|CCTV|ID|PR|OK|AM|PM|GMT|UTC|BST|EST|EDT|PST|CEO|CFO|COO|"
                      r"CTO|MP|MPS|MEP|MSP|PHD|SUV|GPS|USB|PDF|FAQ|DIY|LGBT|LGBTQ|ATM|AI|VR|IT|HQ|RIP|OMG|LOL|VIP|MRI")
# A single capitalised plural after "the" is a group's name: "the Patriots" (not "the Netherlands": a
# country is found before).
_TEAM = re.compile(r"[A-Z][a-z]{2,}[^s\W]s")
# An acronym among a name's words makes it an organisation's ("HMD Global", "BBC World"): people's names
# hold none but a generation's numeral.
_ACRONYM_IN = re.compile(r"(?:^|\s)(?!(?:II|III|IV|JR|SR)\b)[A-Z]{2,}(?:\s|$)")
# A verb of speech after a single capitalised word makes it a speaker: "..., Holcomb said."
_SPEAKS = re.compile(r"\s+(?:said|says|told|tells|added|adds|wrote|writes|asked|explained|argued|insisted|stressed|"
                     r"noted|claimed|tweeted|recalled|warned|replied|admitted|testified)\b")
# Adjectives of nationality, region or faith: capitalised, but no name by themselves ("American Indian").
_DEMONYMS = frozenset("""American Americans Native Indian Indians Chinese Japanese Korean Russian Ukrainian Turkish
German French British English Scottish Welsh Irish Canadian Mexican Brazilian Argentine Australian Italian Spanish
Portuguese Dutch Belgian Swiss Swedish Norwegian Danish Finnish Polish Czech Hungarian Romanian Bulgarian Serbian
Croatian Greek Egyptian Saudi Yemeni Libyan Syrian Iraqi Iranian Afghan Pakistani Israeli Palestinian Lebanese
Jordanian Kurdish Arab Arabic Persian Nigerian Kenyan Ethiopian Somali Sudanese African Asian European Latin Hispanic
Western Eastern Northern Southern Indigenous Muslim Christian Jewish Sunni Shia Shiite Catholic Protestant
Orthodox Vietnamese Thai Indonesian Malaysian Filipino Venezuelan Colombian Cuban Chilean Peruvian Haitian Ghanaian
Gambian Zimbabwean Lithuanian Latvian Estonian Georgian Armenian Azerbaijani Kazakh Uzbek Taiwanese Tibetan Uighur
South North East West Central New""".split())
# The adjectives among them that answer "What nationality ...?"
_NATIONALITY = re.compile(r"\b(?:" + "|".join(sorted(
    _DEMONYMS - set("Americans Native Indians Latin Hispanic Western Eastern Northern Southern Indigenous Muslim Christian "
                    "Jewish Sunni Shia Shiite Catholic Protestant Orthodox Arab Arabic African Asian European South North East "
                    "West Central New".split()), key=len, reverse=True)) + r")\b")
# Words that make a name a place's ("Missouri River", "Lake Oahe", "Bond Street").
_PLACE_WORDS = re.compile(r"\b(?:River|Lake|Mountains?|Mount|Mt|Islands?|Valley|Bay|Sea|Ocean|Gulf|Strait|Coast|"
                          r"Peninsula|Desert|Forest|Canal|Street|St|Road|Avenue|Boulevard|Square|Airport|Bridge|"
                          r"Province|County|District|Region|Territory|Heights|Springs|Harbou?r|Beach|Reef|Atoll|"
                          r"Shoal|Cape|Glacier|Falls|Canyon|Plateau|Peak|Ridge|Hills?|"
                          r"(?:East|West|North|South) Side)\b")  # "Manhattan's Upper West Side"
_APPOSED = re.compile(r"\s*,\s*(?:a|an|the|its|his|her|their|[A-Z][\w.-]*['’]s)\s+((?:[\w'’-]+\s+){0,3}[\w'’-]+)")
_BEFORE_NOUN = re.compile(r"(?:\b(?:the|a|an|its|his|her|their)|[A-Z][\w.-]*['’]s)\s+(?:[\w-]+\s+){0,2}?([a-z][\w-]*),?\s+"
                          r"(?:(?:called|named|dubbed|known as)\s+)?$")  # "a network called LokiTorrent"


_NOUN_BEFORE = re.compile(r"\b([a-z][\w-]*)\s+$")  # "Israeli club Hapoel Bnei Sakhnin", "goalkeeper X"


def _apposition(text: str, a: int, b: int) -> str | None:
    """The kind the common noun beside the name `text[a:b]` gives it: in an apposition after it
    ("Yunji Technology, a Chinese startup") or right before it ("the startup Yunji", "the capital,
    Port-au-Prince", "Israeli club Hapoel"); None when no such noun says.

    >>> t = "Run was designed by Yunji Technology, a Chinese startup, and shown in the capital, Port-au-Prince."
    >>> _apposition(t, 20, 36), _apposition(t, 83, 97)
    ('organisation', 'place')
    """
    after = _APPOSED.match(text, b)
    if after and re.match(r"\s*,\s*[A-Z]", text[after.end():]) is None:
        # ("Hiroshi Ishiguro, Japan's top advertising agency, Dentsu ...": the agency is the name after it)
        # the phrase's head: the last of the first run of class nouns ("a division director of ..." is a
        # person, "a school preparing future leaders" a school), in lower case ("his wife Heather Mills")
        kinds = [noun_kind(w) if w.islower() else None for w in after.group(1).split()]
        first = next((i for i, k in enumerate(kinds) if k is not None), None)
        if first is not None:
            last = first
            while last + 1 < len(kinds) and kinds[last + 1] is not None:
                last += 1
            return kinds[last]
    before = _BEFORE_NOUN.search(text[max(0, a - 60):a])
    if before:
        return noun_kind(before.group(1))
    bare = _NOUN_BEFORE.search(text[max(0, a - 30):a])  # "firm Skype", "goalkeeper X"; not "red state Democrats"
    kind = noun_kind(bare.group(1)) if bare else None
    return kind if kind in ("person", "organisation") else None


def _strip_lead_words(text: str, spans: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """Date spans without the preposition that found them ("in 2017" -> "2017")."""
    out = []
    for a, b in spans:
        m = re.match(r"(?:in|since|until|by|from|before|after|of|on)\s+", text[a:b], re.I)
        out.append((a + m.end(), b) if m else (a, b))
    return out
