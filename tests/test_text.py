"""All UI text in one place: no key defined twice with different words, every key bilingual."""
import ui.text as text


def test_no_conflicting_definitions():
    assert not text.CONFLICTS, text.CONFLICTS


def test_every_entry_has_chinese_and_english():
    for table in (text.TEXT, text.COLUMNS):
        for key, value in table.items():
            assert isinstance(value, tuple) and len(value) == 2 and all(value), key
