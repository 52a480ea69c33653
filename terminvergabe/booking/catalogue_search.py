"""Finding catalogue services by what citizens type: "Ausweis", "ummelden", "perso",
"Reisepas", a LeiKa key, or a translated name ("passport").

Citizens type fragments of German compound words ("Ausweis" for "Personalausweis"), inflected
forms ("ummelden" for "Ummeldung"), short forms and typos. So a query word is compared with
every word of a service's name, synonyms and translated names: equal, the beginning of it,
inside it, and then with an edit distance that grows with the word's length (a 4-letter word
allows one typo, from 9 letters two). German endings are cut off before comparing
("anmelden", "Anmeldung" → "anmeld"), and umlauts are spelled out ("Führerschein" =
"Fuehrerschein" = "fuhrerschein").

Words of the query that match no service at all ("ich", "brauche", "neuen") are left out; a
service is found when it matches every remaining word. Pure: no database, no request.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

# How well a query word fits a word of a service: the better kind of fit counts.
EXACT, PREFIX, INSIDE, FUZZY = 1.0, 0.9, 0.75, 0.6
# The name itself weighs a little more than a synonym or a translation.
NAME_BONUS = 0.05
MAX_QUERY_LENGTH = 200
MIN_FRAGMENT = 3  # shorter words are matched as a whole word or the beginning of one only
# German endings, longest first; a stem keeps at least 4 letters.
_ENDINGS = ("ungen", "ung", "en", "er", "es", "e", "n", "s")
_SPELLED = str.maketrans({"ä": "ae", "ö": "oe", "ü": "ue", "ß": "ss"})
_WORD = re.compile(r"\w+")
# Small words of names and queries that say nothing about the service ("Anmeldung einer
# Wohnung", "ich brauche einen ..."), German and English; compared after normalise().
_STOP = (
    "ein eine einer einen eines einem der die das den dem des und oder fuer von mit zu zum zur"
    " im in am an auf bei ich mein meine meinen brauche moechte a the for of to my i need"
)
STOP_WORDS = frozenset(_STOP.split())


class CatalogueService(Protocol):
    id: int
    name: str
    synonyms: str
    leika_id: str | None
    translations: dict


@dataclass(frozen=True)
class Found:
    service: CatalogueService
    score: float


def normalise(text: str) -> str:
    """Lower case, umlauts spelled out, other accents dropped ("Führerschein" → "fuehrerschein")."""
    spelled = text.casefold().translate(_SPELLED)
    decomposed = unicodedata.normalize("NFKD", spelled)
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def words(text: str) -> list[str]:
    return [w for w in _WORD.findall(normalise(text)) if w not in STOP_WORDS]


def stem(word: str) -> str:
    for ending in _ENDINGS:
        if word.endswith(ending) and len(word) - len(ending) >= 4:
            return word[: -len(ending)]
    return word


def allowed_typos(word: str) -> int:
    if len(word) < 4 or word.isdigit():
        return 0
    return 1 if len(word) < 9 else 2


def substring_distance(needle: str, haystack: str) -> int:
    """The fewest edits (insert, delete, substitute, swap two neighbours) that turn `needle`
    into some part of `haystack` (Sellers' algorithm with Damerau's transposition)."""
    previous2: list[int] | None = None
    previous = [0] * (len(haystack) + 1)  # an empty needle fits anywhere
    for i, n in enumerate(needle, 1):
        current = [i] + [0] * len(haystack)
        for j, h in enumerate(haystack, 1):
            cost = 0 if n == h else 1
            best = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + cost)
            if previous2 is not None and j > 1 and n == haystack[j - 2] and needle[i - 2] == h:
                best = min(best, previous2[j - 2] + 1)
            current[j] = best
        previous2, previous = previous, current
    return min(previous)


def word_fit(query_word: str, word: str) -> float:
    """How well one query word fits one word of a service (0: not at all)."""
    if query_word == word:
        return EXACT
    if word.startswith(query_word) or stem(word) == stem(query_word):
        return PREFIX
    if len(query_word) < MIN_FRAGMENT or query_word.isdigit():
        return 0.0
    if query_word in word:
        return INSIDE
    typos = allowed_typos(query_word)
    close_in_length = abs(len(stem(word)) - len(stem(query_word))) <= typos
    if typos and close_in_length and substring_distance(stem(query_word), stem(word)) <= typos:
        return FUZZY  # a whole word with a typo ("Reisepas", "Persnalausweis")
    if typos and len(query_word) >= 5 and substring_distance(query_word, word) <= typos - 1:
        # A fragment with a typo inside a compound ("ausweiss" in "personalausweis"); one typo
        # fewer, because a fragment finds parts of unrelated words more easily.
        return FUZZY
    return 0.0


def terms(service: CatalogueService) -> list[tuple[list[str], bool]]:
    """The service's searchable texts as word lists, each flagged when it is the name."""
    texts = [(service.name, True)]
    texts += [(line, False) for line in (service.synonyms or "").splitlines() if line.strip()]
    for translated in (service.translations or {}).values():
        if isinstance(translated, dict) and translated.get("name"):
            texts.append((str(translated["name"]), False))
    return [(words(text), is_name) for text, is_name in texts]


def _leika_fit(query: str, service: CatalogueService) -> float:
    digits = re.sub(r"\s", "", query)
    if not service.leika_id or len(digits) < 5 or not digits.isdigit():
        return 0.0
    key = service.leika_id.replace(" ", "")
    if key == digits:
        return EXACT + NAME_BONUS
    return PREFIX if key.startswith(digits) else 0.0


def _fit(query_word: str, service_terms: list[tuple[list[str], bool]]) -> float:
    best = 0.0
    for term_words, is_name in service_terms:
        for word in term_words:
            fit = word_fit(query_word, word)
            if fit:
                best = max(best, fit + (NAME_BONUS if is_name else 0.0))
    return best


def search(query: str, services: Sequence[CatalogueService]) -> list[Found]:
    """The services that fit `query`, best first (ties in the catalogue's order); [] for a
    query without words or one that fits nothing."""
    query = query[:MAX_QUERY_LENGTH]
    by_leika = [Found(s, fit) for s in services if (fit := _leika_fit(query, s))]
    if by_leika:
        return sorted(by_leika, key=lambda f: -f.score)
    query_words = list(dict.fromkeys(words(query)))
    service_terms = {s.id: terms(s) for s in services}
    fits = {s.id: [_fit(w, service_terms[s.id]) for w in query_words] for s in services}
    # Words no service fits are filler ("ich brauche einen neuen ...").
    useful = [i for i in range(len(query_words)) if any(f[i] for f in fits.values())]
    if not useful:
        return []
    found = [
        Found(s, sum(fits[s.id][i] for i in useful) / len(useful))
        for s in services
        if all(fits[s.id][i] for i in useful)
    ]
    return sorted(found, key=lambda f: -f.score)  # sorted() is stable: catalogue order on ties
