"""All UI text in one place: no key defined twice with different words, every key bilingual."""
import pytest

import ui.text as text


def test_no_conflicting_definitions():
    assert not text.CONFLICTS, text.CONFLICTS


def test_every_entry_has_chinese_and_english():
    for table in (text.TEXT, text.COLUMNS):
        for key, value in table.items():
            assert isinstance(value, tuple) and len(value) == 2 and all(value), key


def test_every_multiselect_and_empty_selectbox_has_a_placeholder_in_our_words():
    """Without one, Streamlit writes "Choose options" / "Choose an option" on a Chinese page."""
    import ast
    from pathlib import Path

    root = Path(__file__).resolve().parents[1]
    missing = []
    for path in [*root.glob("pages/*.py"), *root.glob("ui/*.py")]:
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)):
                continue
            kwargs = {k.arg: k.value for k in node.keywords}
            empty_select = (node.func.attr == "selectbox" and isinstance(kwargs.get("index"), ast.Constant)
                            and kwargs["index"].value is None)
            if (node.func.attr == "multiselect" or empty_select) and "placeholder" not in kwargs:
                missing.append(f"{path.relative_to(root)}:{node.lineno}")
    assert not missing, missing


def test_the_uploader_speaks_the_chosen_language():
    css = text.widget_css("zh", max_upload_mb=50)
    assert "stFileUploaderDropzoneInstructions" in css and '"上传文件"' in css and "50 MB" in css
    assert text.widget_css("en", max_upload_mb=50) is None  # Streamlit's own English stays


def test_colour_mode_names_are_the_layers_own_words():
    from layers.colours import MODES

    for key, mode in MODES.items():
        assert text.TEXT[f"mode_{key}"][0] == mode.label, key


def test_values_and_legends_in_english(monkeypatch):
    from layers.colours import AREA_INDICATORS, categorical
    from data import vocab

    monkeypatch.setattr(text, "lang", lambda: "en")
    _, entries = categorical(__import__("pandas").Series(list(vocab.MANAGEMENT_MODES) + [None]),
                             vocab.MANAGEMENT_MODES)
    title, shown = text.legend_in_language("管理模式", entries)
    untranslated = [label for _, label in shown if any("\u4e00" <= ch <= "\u9fff" for ch in label)]
    assert not untranslated, untranslated
    for indicator in AREA_INDICATORS.values():  # the place legends' titles
        assert not any("\u4e00" <= ch <= "\u9fff" for ch in text.tv(indicator.title)), indicator.title
    assert text.tv("AA级") == "Grade AA" and text.tv("某某小区") == "某某小区"  # names stay as written


def test_every_import_kind_has_a_name_and_a_template():
    from data.importers.kinds import KINDS
    from data.importers.templates import KIND_LABELS
    from data.__main__ import IMPORT_KINDS

    assert set(KINDS) == set(IMPORT_KINDS)
    for kind in KINDS:
        assert f"rg_kind_{kind}" in text.TEXT, kind
        assert kind in KIND_LABELS, kind
