"""How alike two petition titles are, word by word, the way an officer would judge a duplicate.

Words are compared as spelled (``chủng``, ``chứng`` and ``chung`` are different words), unless
one of the titles was typed without any tone mark: then both are compared without them. Function words (``đề nghị``,
``không``, ``tại``…, ``search.monitoring.STOPWORDS``) say nothing about the topic and are left out.
Neighbouring words (``hố ga``, ``nhà chờ``) weigh more than single syllables: Vietnamese words
are mostly two syllables, and sharing one is sharing a topic.
"""

from __future__ import annotations

import itertools
import re
from dataclasses import dataclass

from search.documents import fold, nfc

_SYLLABLE = re.compile(r"\w+")


@dataclass(frozen=True)
class Words:
    syllables: frozenset[str]
    pairs: frozenset[str]
    #: Typed without a single tone mark (``nap ho ga``): compared without tone marks.
    toneless: bool = False

    def folded(self) -> Words:
        return Words(
            frozenset(fold(s) for s in self.syllables), frozenset(fold(p) for p in self.pairs), toneless=True
        )


def title_words(title: str) -> Words:
    from search.monitoring import FOLDED_STOPWORDS, STOPWORDS

    syllables = _SYLLABLE.findall(nfc(title).lower())
    meaningful = [
        s if not (s == fold(s) and s in FOLDED_STOPWORDS) and s not in STOPWORDS else None for s in syllables
    ]
    pairs = {f"{a} {b}" for a, b in itertools.pairwise(meaningful) if a and b}
    toneless = all(s == fold(s) for s in syllables)
    return Words(frozenset(s for s in meaningful if s), frozenset(pairs), toneless)


def similarity(a: Words, b: Words) -> int:
    """How much two titles are about the same thing: 0 when not; else 3 per shared pair of
    neighbouring words plus 1 per shared word.

    Sharing one common word or pair is not enough ("y tế" in a vaccine shortage and in medical
    waste): the shared words must also make up half of the shorter title, or two pairs be shared.
    """
    if a.toneless or b.toneless:
        a, b = a.folded(), b.folded()
    pairs = len(a.pairs & b.pairs)
    words = len(a.syllables & b.syllables)
    shorter = min(len(a.syllables), len(b.syllables))
    if not words or not (
        pairs >= 2 or (pairs and words >= 0.5 * shorter) or (words >= 2 and words >= 0.6 * shorter)
    ):
        return 0
    return 3 * pairs + words
