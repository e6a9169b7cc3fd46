"""The words of the API's problem documents: fi/sv/en by `lang`, `Accept-Language` or the
configured default; machine members identical in every language.

Expected texts are written out here as a reader would read them (not looked up through `t()`),
so a wrong key, a wrong language or an unformatted number fails.
"""

from __future__ import annotations

import ast
import re
import string
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import Engine

from kuntamittari.i18n import catalogue

ROOT = Path(__file__).resolve().parents[2]
NNBSP = "\u202f"
DATA = "/api/v1/data"
MACHINE = ("type", "status", "instance", "parameter", "value", "allowed")

UNKNOWN_METRIC = {
    "fi": "Mittaria 'nope' ei löydy; julkaistut mittarit ovat kentässä allowed.",
    "sv": "Indikatorn 'nope' finns inte; de publicerade indikatorerna finns i fältet allowed.",
    "en": "Unknown metric 'nope'; the published metrics are listed in allowed.",
}
UNKNOWN_AREA = {"fi": "Aluekoodia '999' ei tunneta.", "sv": "Områdeskoden '999' är okänd.", "en": "Unknown area '999'."}
UNKNOWN_FORMAT = {
    "fi": "Tuntematon muoto 'xml'; sallitut muodot ovat kentässä allowed.",
    "sv": "Okänt format 'xml'; de tillåtna formaten finns i fältet allowed.",
    "en": "Unknown format 'xml'; the allowed ones are listed in allowed.",
}
BAD_REQUEST = {"fi": "Virheellinen pyyntö", "sv": "Felaktig begäran", "en": "Bad request"}
CASES = {
    "unknown-metric": ("metric=nope&area=208", UNKNOWN_METRIC),
    "unknown-area": ("metric=unemployment_rate&area=999", UNKNOWN_AREA),
    "unknown-format": ("metric=unemployment_rate&area=208&format=xml", UNKNOWN_FORMAT),
}


@pytest.fixture(scope="module")
def client(bundled_api: str) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=bundled_api, timeout=300) as http:
        yield http


@pytest.fixture(scope="module")
def swedish_small(api_server: Callable[..., str], bundled_engine: Engine) -> Iterator[httpx.Client]:
    """A server configured for Swedish by default, with a small answer limit (1 000 cells)."""
    url = api_server(bundled_engine.url.render_as_string(hide_password=False),
                     env={"KUNTAMITTARI_DEFAULT_LANGUAGE": "sv", "KUNTAMITTARI_API_MAX_CELLS": "1000"})
    with httpx.Client(base_url=url, timeout=300) as http:
        yield http


def _machine(problem: dict[str, Any]) -> dict[str, Any]:
    return {k: problem.get(k) for k in MACHINE}


@pytest.mark.parametrize("kind", list(CASES))
def test_detail_follows_lang_and_machine_members_do_not(client: httpx.Client, kind: str) -> None:
    query, expected = CASES[kind]
    documents = {}
    for lang in ("fi", "sv", "en"):
        response = client.get(f"{DATA}?{query}&lang={lang}")
        assert response.status_code == 400 and response.headers["content-type"] == "application/problem+json"
        assert response.headers["content-language"] == lang
        documents[lang] = response.json()
        assert documents[lang]["detail"] == expected[lang]
        assert documents[lang]["title"] == BAD_REQUEST[lang]
    fi, sv, en = (_machine(documents[lang]) for lang in ("fi", "sv", "en"))
    assert fi == sv == en and fi["type"] == f"/api/v1/docs#problem-{kind}" and fi["status"] == 400
    assert set(documents["fi"]) == set(documents["sv"]) == set(documents["en"])


@pytest.mark.parametrize(("header", "lang"), [
    ("sv-FI,sv;q=0.9,en;q=0.5", "sv"),
    ("en;q=0.3, fi;q=0.8", "fi"),  # the q-values rank, not the order
    ("de-DE, en-GB;q=0.7, fi;q=0", "en"),  # q=0 means 'not this'
    ("fil, fi-FI;q=0.5", "fi"),  # Filipino is not Finnish
])
def test_accept_language_chooses_the_words(client: httpx.Client, header: str, lang: str) -> None:
    response = client.get(f"{DATA}?metric=nope&area=208", headers={"Accept-Language": header})
    assert response.json()["detail"] == UNKNOWN_METRIC[lang] and response.headers["content-language"] == lang
    ok = client.get(f"{DATA}?metric=unemployment_rate&area=208&period=latest", headers={"Accept-Language": header})
    assert ok.status_code == 200 and ok.headers["content-language"] == lang  # the same rule as the data's words


def test_lang_wins_and_an_invalid_lang_falls_back_to_the_header(client: httpx.Client) -> None:
    chosen = client.get(f"{DATA}?metric=unemployment_rate&area=999&lang=en", headers={"Accept-Language": "sv"})
    assert chosen.json()["detail"] == UNKNOWN_AREA["en"]
    wrong = client.get(f"{DATA}?metric=unemployment_rate&area=208&lang=de", headers={"Accept-Language": "sv"})
    problem = wrong.json()
    assert wrong.status_code == 400 and problem["parameter"] == "lang" and problem["value"] == "de"
    assert problem["detail"] == "Okänt språk 'de'; välj fi, sv eller en." and problem["allowed"] == ["fi", "sv", "en"]
    plain = client.get(f"{DATA}?metric=nope&area=208")
    assert plain.json()["detail"] == UNKNOWN_METRIC["fi"]  # neither: the configured default (Finnish here)


def test_problems_before_the_route_reads_lang_are_translated(client: httpx.Client) -> None:
    missing = client.get("/api/v1/nothing", headers={"Accept-Language": "sv"})
    assert missing.status_code == 404 and missing.json()["title"] == "Hittades inte"
    assert missing.json()["detail"] == "API:et har ingen sådan adress; se /api/v1/docs."
    token = client.get("/api/v1/metrics?lang=fi", headers={"Authorization": "Bearer nope"})
    assert token.status_code == 401 and token.json()["detail"] == "Pääsytunniste ei kelpaa."
    assert token.json()["title"] == "Tunnistautuminen tarvitaan" and token.json()["type"].endswith("#problem-invalid-token")
    post = client.post("/api/v1/metrics?lang=en")
    assert post.status_code == 405 and post.json()["title"] == "Method not allowed"
    assert post.json()["detail"] == "This address does not take this HTTP method; the API is read-only (GET)."


def test_limits_in_words_with_formatted_numbers(client: httpx.Client) -> None:
    metrics = [m["id"] for m in client.get("/api/v1/metrics").json()["metrics"]][:11]
    assert len(metrics) == 11
    texts = {lang: client.get(DATA, params={"metric": ",".join(metrics), "area": "208", "lang": lang}).json()
             for lang in ("fi", "sv", "en")}
    assert texts["fi"]["detail"] == "Yhdessä kutsussa voi pyytää enintään 10 mittaria."
    assert texts["sv"]["detail"] == "Ett anrop kan gälla högst 10 indikatorer."
    assert texts["en"]["detail"] == "At most 10 metrics per call."
    assert _machine(texts["fi"]) == _machine(texts["sv"]) == _machine(texts["en"])


def test_configured_default_language_and_a_too_large_answer(swedish_small: httpx.Client) -> None:
    towns = [a["code"] for a in swedish_small.get("/api/v1/areas?type=kunta").json()["areas"]][:50]
    query = {"metric": "population,unemployment_rate", "area": ",".join(towns)}
    plain = swedish_small.get(DATA, params=query)
    assert plain.status_code == 413 and plain.headers["content-language"] == "sv"
    assert plain.json()["title"] == "Svaret är för stort"
    details = {"sv": plain.json()["detail"]}
    for lang in ("fi", "en"):
        response = swedish_small.get(DATA, params=query, headers={"Accept-Language": lang})
        assert response.status_code == 413 and _machine(response.json()) == _machine(plain.json())
        details[lang] = response.json()["detail"]
    group = rf"(\d{{1,3}}(?:{NNBSP}\d{{3}})+)"
    fi = re.fullmatch(rf"Vastauksessa olisi {group} solua, enemmän kuin sallitut 1{NNBSP}000; pyydä vähemmän "
                      "alueita tai ajanjaksoja tai käytä yhden mittarin kokonaislatausta.", details["fi"])
    sv = re.fullmatch(rf"Svaret skulle innehålla {group} celler, fler än de tillåtna 1{NNBSP}000; begär färre "
                      "områden eller perioder, eller ladda ner hela indikatorn.", details["sv"])
    en = re.fullmatch(r"The answer would hold (\d{1,3}(?:,\d{3})+) cells, more than 1,000; ask for fewer areas or "
                      "periods, or use the bulk download of one metric.", details["en"])
    assert fi and sv and en, details
    cells = {fi.group(1).replace(NNBSP, ""), sv.group(1).replace(NNBSP, ""), en.group(1).replace(",", "")}
    assert len(cells) == 1 and int(cells.pop()) > 1000
    ok = swedish_small.get(DATA, params={"metric": "unemployment_rate", "area": "208", "period": "latest"})
    assert ok.status_code == 200 and ok.headers["content-language"] == "sv"  # the data's words: the same default


def _placeholders(text: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(text) if name}


def _used_message_keys() -> set[str]:
    """The third argument of every `Problem(...)`/`bad_parameter(...)` call in api/, plus the
    snake_case words of the handlers in api/problems.py."""
    keys: set[str] = set()
    for path in (ROOT / "api").glob("*.py"):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.Call) and getattr(node.func, "id", None) in ("Problem", "bad_parameter"):
                if len(node.args) >= 3 and isinstance(node.args[2], ast.Constant):
                    keys.add(node.args[2].value)
            if path.name == "problems.py" and isinstance(node, ast.Constant) and isinstance(node.value, str):
                if re.fullmatch(r"[a-z]+(?:_[a-z]+)+", node.value) and node.value != "api_problems":
                    keys.add(node.value)
    return keys


def test_every_message_exists_in_every_language_with_the_same_placeholders() -> None:
    prefix = "api_problems."
    sets = {lang: {k: v for k, v in catalogue(lang).items() if k.startswith(prefix)} for lang in ("fi", "sv", "en")}
    assert set(sets["fi"]) == set(sets["sv"]) == set(sets["en"])
    for key, text in sets["fi"].items():
        assert _placeholders(text) == _placeholders(sets["sv"][key]) == _placeholders(sets["en"][key]), key
        assert all(sets[lang][key].strip() for lang in ("fi", "sv", "en")), key
    used = _used_message_keys()
    assert len(used) > 30
    details = {k.removeprefix(prefix + "detail.") for k in sets["fi"] if k.startswith(prefix + "detail.")}
    assert used - details == set(), "messages without a text"
    assert details - used == set(), "texts no code uses"
