"""The static site's HTML: the public summary of one municipality, the index of each language and
the language choice at the root, rendered by Jinja2 templates (`publish/templates/`).

The words, figures and tables are the public page's (`ui.public.render_summary` draws the same
readout with Streamlit): the readout's sentences, `readout.tables` for the accessible tables,
`readout.vintage` for the data vintage and its stale notice, and `readout.text.render_html` for
every text that may hold Markdown (metric texts through the safe subset; the how-to-read body).
Jinja2 escapes everything else (autoescape on): only those finished HTML fragments are marked safe.

Every link is relative, so the site works from any directory of any web server or CDN; `<html
lang>` is the page's language and each page names its translations (hreflang alternates).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache
from typing import Any

from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape
from markupsafe import Markup

from charts.public import SCREEN_YEARS
from kuntamittari.i18n import LANGUAGE_NAMES, t
from kuntamittari.settings import LANGUAGES
from readout.formatting import format_datetime, format_number
from readout.localise import LocalisedReadout, MetricText, howto_text
from readout.model import AreaReadout, MetricReadout
from readout.tables import overview_table_html, parts_table_html, values_table_html
from readout.text import pick_text, render_html
from readout.vintage import readout_vintage, vintage_text
from publish.downloads import CHART_WIDTH, Chart

LANGS: tuple[str, ...] = LANGUAGES
CSS = "assets/site.css"


@lru_cache(maxsize=1)
def environment() -> Environment:
    """The templates with autoescape for HTML and XML; an undefined name is an error, not ''."""
    return Environment(loader=PackageLoader("publish", "templates"), autoescape=select_autoescape(["html", "xml"]),
                       undefined=StrictUndefined, trim_blocks=True, lstrip_blocks=True, keep_trailing_newline=True)


def render(template: str, **context: Any) -> str:
    return environment().get_template(template).render(**context)


def area_path(lang: str, code: str) -> str:
    """A municipality's page from the site root: 'fi/208/index.html'."""
    return f"{lang}/{code}/index.html"


def alternates(path_of: Mapping[str, str], lang: str, up: str, base_url: str) -> list[dict[str, str]]:
    """The page in every language: relative `href` for the language links, and `absolute` (the
    base URL when known) for the hreflang alternates."""
    return [{"lang": other, "name": LANGUAGE_NAMES[other], "href": up + path_of[other],
             "absolute": (base_url + path_of[other]) if base_url else up + path_of[other], "current": other == lang}
            for other in path_of]


@dataclass(frozen=True)
class Download:
    """A linked file: its name next to the page and its size in bytes."""

    file: str
    size: int


def file_size(size: int, lang: str) -> str:
    """'12 kt' / '1,4 Mt' in the language's number format and units (`sizes.yaml`: kB, MB in sv, en)."""
    if size >= 1_000_000:
        return t("sizes.megabytes", lang, n=format_number(size / 1_000_000, lang, 1))
    return t("sizes.kilobytes", lang, n=format_number(max(size, 1) / 1000, lang, 0 if size >= 10_000 else 1))


def _metric(item: MetricReadout, words: MetricText, lang: str, chart: Chart | None) -> dict[str, Any]:
    labelled = [(t(label, lang), render_html(pick_text(texts, lang)))
                for label, texts in (("public.what_it_means", item.info.description), ("public.why_it_matters", item.info.why))
                if texts]
    return {
        "id": item.metric_id, "name": words.name,
        "lead": words.lead,
        "sentence": words.summary,
        "comparisons": [c.sentence for c in words.comparisons if c.sentence],
        "texts": [(label, Markup(body)) for label, body in labelled if body],
        "chart": chart,
        "table": Markup(values_table_html(item, lang, years=SCREEN_YEARS)),
        "parts": Markup(parts_table_html(item, lang, years=SCREEN_YEARS)),
    }


def _themes(readout: AreaReadout, words: LocalisedReadout, lang: str, charts: Mapping[str, Chart]) -> list[dict[str, Any]]:
    themes: dict[str, dict[str, Any]] = {}
    for item, text in zip(readout.metrics, words.metrics, strict=True):
        theme = themes.setdefault(text.theme, {"id": f"theme-{text.theme}", "name": text.theme_name, "metrics": []})
        theme["metrics"].append(_metric(item, text, lang, charts.get(item.metric_id)))
    return list(themes.values())


def _trend_list(items: Sequence[MetricText]) -> list[dict[str, str]]:
    return [{"name": m.name, "detail": m.trend_detail} for m in items]


def summary_page(readout: AreaReadout, words: LocalisedReadout, lang: str, *, charts: Mapping[str, Chart],
                 downloads: Mapping[str, Download | None], generated: datetime, base_url: str = "",
                 chart_width: int = CHART_WIDTH, langs: Sequence[str] = LANGS) -> str:
    """The public summary of one municipality in `lang`, as one HTML page (sections and headings
    as on the Streamlit page: h1 title, h2 sections, h3 themes, h4 metrics)."""
    vintage = vintage_text(readout_vintage(readout, generated.date()), lang)
    links = {other: area_path(other, readout.area.code) for other in langs}
    files = {kind: (None if d is None else {"href": d.file, "size": file_size(d.size, lang)}) for kind, d in downloads.items()}
    return render(
        "summary.html", lang=lang, up="../../", css=CSS, page_title=f"{t('public.title', lang)}: {words.area_name}",
        title=t("public.title", lang), subtitle=t("public.subtitle", lang, area=words.area_name),
        intro=t("public.intro", lang), vintage=vintage, alternates=alternates(links, lang, "../../", base_url),
        has_metrics=bool(readout.metrics), no_metrics=t("public.no_metrics", lang),
        headline=list(words.headline),
        improving=_trend_list([m for m in words.metrics if m.trend == "improving"]),
        worsening=_trend_list([m for m in words.metrics if m.trend == "worsening"]),
        overview=Markup(overview_table_html(readout, words, lang)) if readout.metrics else "",
        howto=Markup(render_html(howto_text(lang))),
        themes=_themes(readout, words, lang, charts), downloads=files, chart_width=chart_width,
        sources=list(words.sources) or [t("readout.source.none", lang)],
        computed_note=Markup(render_html(t("public.computed_note", lang))),
        generated=t("site.generated", lang, time=format_datetime(generated, lang)), t=lambda key, **kw: t(key, lang, **kw),
    )


def index_page(lang: str, areas: Sequence[tuple[str, str]], *, generated: datetime, base_url: str = "",
               langs: Sequence[str] = LANGS) -> str:
    """A language's list of municipalities (code, name), alphabetical in that language."""
    links = {other: f"{other}/index.html" for other in langs}
    return render("index.html", lang=lang, up="../", css=CSS, page_title=t("site.index_title", lang),
                  alternates=alternates(links, lang, "../", base_url),
                  areas=[{"code": code, "name": name, "href": f"{code}/index.html"} for code, name in areas],
                  count=t("site.index_count", lang, count=len(areas)),
                  generated=t("site.generated", lang, time=format_datetime(generated, lang)),
                  t=lambda key, **kw: t(key, lang, **kw))


def home_page(*, base_url: str = "", langs: Sequence[str] = LANGS) -> str:
    """The site root: the languages, each named in its own language (the page itself in the first)."""
    links = {other: f"{other}/index.html" for other in langs}
    return render("home.html", lang=langs[0], up="", css=CSS, page_title=t("site.home_title", langs[0]),
                  alternates=alternates(links, langs[0], "", base_url),
                  choices=[{"lang": lang, "name": LANGUAGE_NAMES[lang], "href": f"{lang}/index.html",
                            "title": t("site.index_title", lang)} for lang in langs],
                  t=lambda key, **kw: t(key, langs[0], **kw))


def sitemap(paths: Sequence[Mapping[str, str]], base_url: str) -> str:
    """sitemap.xml: every page with its language alternates (`paths`: lang -> path per page)."""
    return render("sitemap.xml", pages=[[{"lang": lang, "loc": base_url + path} for lang, path in page.items()]
                                        for page in paths])
