"""Vietnamese word segmentation for indexing: a petition cut into whole words (``ngập lụt``, ``rác thải``).

Vietnamese writes a space between syllables, not between words, so ``\\w+`` cuts ``thoát nước``
(drainage) into ``thoát`` (escape) and ``nước`` (water). underthesea's CRF segmenter decides which
neighbouring syllables form a word. Its model ships inside the wheel: nothing is downloaded at run
time, which matters because CI and production reach no model hub.
"""

from __future__ import annotations

import functools
import re
import unicodedata
from collections.abc import Callable

from search.documents import nfc

#: Function words: in nearly every petition, so they name no topic. Only grammar words are listed;
#: petition boilerplate (``đề nghị``, ``người dân``) is left to the engine's ``significant_terms``,
#: which discounts what is frequent in the background set anyway.
STOPWORD_TEXT = (
    "của, và, các, những, được, cho, tại, đã, này, với, không, có, là, bị, ở, trong, trên, dưới, để, "
    "khi, từ, đến, theo, một, nhiều, rất, đang, sẽ, cũng, nên, về, do, vì, nhưng, hoặc, thì, mà, nếu, "
    "đó, đây, ra, vào, lại, còn, chưa, vẫn, hơn, như, qua, mỗi, tuy nhiên, vì vậy, do đó, đối với"
)
STOPWORDS = frozenset(STOPWORD_TEXT.split(", "))

#: Petition words that the model, trained on news (VLSP 2013), cuts in two (a verb and its object,
#: or two nouns, to that treebank), yet which are the very topics people raise: joined after
#: segmentation. Only pairs measured to come out split in most contexts belong here, and no pair
#: that is often two words (``nhà ở`` in ``nhà ở xa``).
COMPOUND_TEXT = (
    "thoát nước, đèn đường, chiếu sáng, tiếng ồn, bốc mùi, khói bụi, mất nước, mất điện, "
    "mặt đường, sụt lún, ngã tư, đi bộ, nhà chờ, điểm dừng, đua xe, giữ xe, hàng rong, ùn ứ, "
    "hộ nghèo, cận nghèo, dạy thêm, trông trẻ, cổng trường, phòng học, phòng cháy, cháy nổ, "
    "cho vay, đòi nợ, nứt tường"
)
COMPOUNDS = frozenset(COMPOUND_TEXT.split(", "))

#: A word: letters only, its syllables joined by single spaces (numbers, links, plates, punctuation fail).
_WORD = re.compile(r"[^\W\d_]+(?: [^\W\d_]+)*")

#: ``hóa`` (new style) → ``hoá`` (old style): the two ways of placing the tone on an open oa/oe/uy
#: syllable. The model learnt words in the old style, but underthesea's own token normalisation
#: rewrites them to the new one first, so ``sức khỏe``, ``văn hóa``, ``ủy ban``, ``hòa giải`` came
#: out cut in two whichever way they were typed. We feed the model the old style, without its
#: normalisation, and give the words back in the new one.
_OLD_STYLE = {
    unicodedata.normalize("NFC", first + tone) + second: first + unicodedata.normalize("NFC", second + tone)
    for first, second in ("oa", "oe", "uy")
    for tone in "\u0300\u0301\u0309\u0303\u0323"  # grave, acute, hook above, tilde, dot below
}
_NEW_STYLE = {old: new for new, old in _OLD_STYLE.items()}
# ``q`` excepted: in ``quý`` the u belongs to the consonant, and both styles write it so.
_NEW_RIME = re.compile(f"(?<!q)({'|'.join(_OLD_STYLE)})(?!\\w)")
_OLD_RIME = re.compile(f"(?<!q)({'|'.join(_NEW_STYLE)})(?!\\w)")


@functools.cache
def _segmenter() -> Callable[[str], list[str]]:
    # Imported on first use, not with this module: underthesea takes ~0.3 s to import and its
    # model ~0.2 s to load, which a web process that never segments should not pay.
    from underthesea import word_tokenize

    word_tokenize("khởi động")  # loads the model now, once per process
    return functools.partial(word_tokenize, use_token_normalize=False)


def words(text: str) -> list[str]:
    """The words of ``text`` in order: lowercase, NFC, a word's syllables joined by one space.

    ``"Đường bị ngập lụt, cống thoát nước tắc 3 ngày!"`` →
    ``["đường", "bị", "ngập lụt", "cống", "thoát nước", "tắc", "ngày"]``. Numbers and punctuation
    are dropped; a hyphenated word counts as its syllables (``hố-ga`` → ``hố ga``); the tone of
    an oa/oe/uy syllable comes out in the new place whichever was typed (``hoà`` → ``hòa``).
    """
    # Lowercased before segmenting: the model reads capitals as names, and cut titles typed in
    # capitals badly (F1 0.75 against 0.94 for the same titles in lowercase).
    text = _NEW_RIME.sub(lambda m: _OLD_STYLE[m[1]], nfc(text).lower())
    if not text.strip():
        return []
    joined: list[str] = []
    for token in _segmenter()(text):
        token = _OLD_RIME.sub(lambda m: _NEW_STYLE[m[1]], " ".join(token.replace("-", " ").split()))
        # Joined before punctuation is dropped, so that ``thoát, nước`` stays two words.
        if joined and f"{joined[-1]} {token}" in COMPOUNDS:
            joined[-1] = f"{joined[-1]} {token}"
        else:
            joined.append(token)
    return [token for token in joined if _WORD.fullmatch(token)]


def topic_words(text: str) -> list[str]:
    """``words(text)`` without function words and single letters: what may name a topic.

    ``"Đường bị ngập lụt, cống thoát nước tắc 3 ngày!"`` →
    ``["đường", "ngập lụt", "cống", "thoát nước", "tắc", "ngày"]``.
    """
    return [word for word in words(text) if len(word) > 1 and word not in STOPWORDS]
