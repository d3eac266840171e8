"""Vietnamese word segmentation: petitions cut into whole words for the index's rising topics."""

from __future__ import annotations

import os
import subprocess
import sys
import unicodedata
from pathlib import Path

import pytest

from search.segment import STOPWORDS, topic_words, words


def test_a_two_syllable_word_comes_out_as_one_word():
    result = words("Đường bị ngập lụt sau mưa lớn")
    assert "ngập lụt" in result
    assert "ngập" not in result and "lụt" not in result


def test_drainage_and_street_lights_come_out_whole_though_the_model_cuts_them():
    assert words("Cống thoát nước tắc nghẽn bốc mùi") == ["cống", "thoát nước", "tắc nghẽn", "bốc mùi"]
    assert words("Đèn đường hỏng nhiều tháng") == ["đèn đường", "hỏng", "nhiều", "tháng"]


def test_words_are_lowercase_without_punctuation_or_numbers():
    assert words("Đường bị ngập lụt, cống thoát nước tắc 3 ngày!") == [
        "đường",
        "bị",
        "ngập lụt",
        "cống",
        "thoát nước",
        "tắc",
        "ngày",
    ]


@pytest.mark.parametrize(
    ("text", "word"),
    [
        ("Rác thải tập kết ven đường không được thu gom", "rác thải"),
        ("Khói bụi từ lò gạch gây ô nhiễm không khí", "ô nhiễm"),
        ("Quán karaoke gây tiếng ồn đến nửa đêm", "tiếng ồn"),
        ("Tranh chấp đất đai giữa hai hộ gia đình kéo dài", "đất đai"),
        ("Khu dân cư mất nước sinh hoạt ba ngày liền", "mất nước"),
        ("Trường tiểu học lạm thu, phụ huynh bức xúc", "lạm thu"),
        ("Bệnh viện huyện thu viện phí cao bất thường", "viện phí"),
        ("Công ty nợ đóng bảo hiểm xã hội cho công nhân", "bảo hiểm xã hội"),
        ("Mặt đường xuống cấp, nhiều ổ gà nguy hiểm", "ổ gà"),
    ],
)
def test_petition_topics_come_out_as_words(text, word):
    assert word in topic_words(text)


def test_a_word_typed_with_old_or_new_tone_placement_is_one_word_in_the_new_spelling():
    # underthesea's own normalisation cut these in two (``sức``, ``khỏe``); both spellings are one word.
    for typed in ("Chăm sóc sức khỏe người cao tuổi", "Chăm sóc sức khoẻ người cao tuổi"):
        assert "sức khỏe" in words(typed)
    for typed in ("Ủy ban nhân dân xã chưa trả lời", "Uỷ ban nhân dân xã chưa trả lời"):
        assert words(typed)[0] == "ủy ban nhân dân"
    assert "hòa giải" in words("Đề nghị hoà giải tranh chấp đất")
    assert "quý" in words("Kính gửi quý cơ quan")  # the u of qu is no vowel: nothing to move


def test_a_title_in_capitals_gives_the_same_words_as_in_lowercase():
    title = "Đèn đường hỏng, cống thoát nước tắc nghẽn gây ngập úng"
    assert words(title.upper()) == words(title) == words(title.lower())


def test_decomposed_text_gives_the_same_words_as_composed_text():
    text = "Người dân phản ánh tình trạng ngập lụt và rác thải ở khu phố"
    decomposed = unicodedata.normalize("NFD", text)
    assert decomposed != text
    assert words(decomposed) == words(text)
    assert all(unicodedata.is_normalized("NFC", word) for word in words(decomposed))


@pytest.mark.parametrize("text", ["", "   \n\t", "!!! 123 - 4.5", "https://example.vn/a 12/05/2025"])
def test_text_without_words_gives_no_words(text):
    assert words(text) == []
    assert topic_words(text) == []


def test_a_hyphenated_word_counts_as_its_syllables():
    assert "hố ga" in words("Nắp hố-ga bị vỡ")


def test_a_compound_is_not_joined_across_punctuation():
    result = words("Đường không thoát, nước ngập")
    assert "thoát nước" not in result
    assert "thoát" in result and "nước" in result


def test_topic_words_leave_out_function_words_and_single_letters():
    text = "Đề nghị các cơ quan xử lý rác thải của nhà máy và tiếng ồn ở khu A, không để kéo dài"
    every = words(text)
    topics = topic_words(text)
    assert {"các", "của", "và", "ở", "không", "để", "a"} <= set(every)
    assert not set(topics) & STOPWORDS
    assert "a" not in topics
    assert topics == [word for word in every if word not in STOPWORDS and len(word) > 1]
    assert {"rác thải", "tiếng ồn", "nhà máy", "kéo dài"} <= set(topics)


def test_importing_the_module_does_not_load_the_segmenter():
    # Web processes import search code without segmenting: they must not pay underthesea's import.
    code = "import sys, django; django.setup(); import search.segment; print('underthesea' in sys.modules)"
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "config.settings"}
    root = Path(__file__).resolve().parents[2]
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=root, env=env, capture_output=True, text=True, check=True
    )
    assert result.stdout.strip() == "False"
