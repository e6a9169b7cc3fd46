"""One rule for the language of an answer: `?lang=` of a new session and `--lang` of a command
are read the same way, and both fall back to the configured default language
(`KUNTAMITTARI_DEFAULT_LANGUAGE`), never to a hard-coded one."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from typer.testing import CliRunner

from cli.main import app
from kuntamittari.i18n import configured_language
from kuntamittari.settings import get_settings
from ui.served_page import served_language

CASES = [("sv", "sv"), ("SV-fi", "sv"), (" en ", "en"), ("fi", "fi"), ("xx", None), ("", None), (None, None)]


@pytest.fixture
def swedish_default(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setenv("KUNTAMITTARI_DEFAULT_LANGUAGE", "sv")
    get_settings.cache_clear()
    yield
    monkeypatch.undo()
    get_settings.cache_clear()


@pytest.mark.parametrize("default", ["fi", "sv"])
def test_a_language_is_read_one_way_on_pages_and_commands(default: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("KUNTAMITTARI_DEFAULT_LANGUAGE", default)
    get_settings.cache_clear()
    try:
        for raw, expected in CASES:
            assert configured_language(raw) == (expected or default), raw
            query = b"area=208" if raw is None else b"area=208&lang=" + raw.encode()
            assert served_language(query) == configured_language(raw), raw
    finally:
        monkeypatch.undo()
        get_settings.cache_clear()


@pytest.mark.usefixtures("swedish_default")
def test_a_command_answers_in_the_configured_language_unless_asked() -> None:
    runner = CliRunner()
    words = {"fi": "mittaria kunnossa", "sv": "indikatorer i ordning", "en": "metrics valid"}
    for args, lang in ((["validate"], "sv"), (["validate", "--lang", "EN"], "en"),
                       (["validate", "--lang", "xx"], "sv")):
        result = runner.invoke(app, args)
        assert result.exit_code == 0, result.output
        assert words[lang] in result.output, (args, result.output)
