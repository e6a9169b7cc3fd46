"""Koulutus / Utbildning / Training: the four workshop modules, with links into the app.

The page lists the modules, renders the chosen one (learning goals, plan, material, exercises,
quiz) and gives every exercise a link that opens the page and state where it is done (metric,
area and language in the query parameters). Expected answers and quiz answers are folded away
for the facilitator. Content and checks live in the `workshop` package; this file only draws.

Languages: the material exists in Finnish and English. fi and en readers get their own version;
sv readers are told so and read the Finnish original by default, with a switch to English
(`?material=en`). A module can be linked directly: `training?module=2&lang=fi`.
"""

from __future__ import annotations

import logging

import streamlit as st
from streamlit.errors import StreamlitAPIException

from kuntamittari.i18n import LANGUAGE_NAMES, t
from readout.text import text_inline
from kuntamittari.settings import get_settings
import workshop as tc
from ui.auth import may_view
from ui.frame import guarded, page_frame
from ui.navigation import get_page

logger = logging.getLogger(__name__)

PAGE_ID = "training"

ctx = page_frame(PAGE_ID, sidebar=False)
lang = ctx.lang


def tr(key: str, **params: object) -> str:
    return t(f"training.{key}", lang, **params)


def _link(exercise: tc.Exercise) -> None:
    """A link to the exercise's page and state, or its address when this user cannot open it."""
    link = exercise.deep_link
    spec = get_page(link.page)
    allowed = spec is not None and spec.exists and may_view(ctx.user, spec.audience, spec.required_role, get_settings())
    if allowed:
        try:
            st.page_link(link.page_file, label=tr("open_exercise"), icon=":material/open_in_new:",
                         query_params=link.query_params(lang))
            return
        except StreamlitAPIException:
            # The page runs alone (no st.navigation in this process yet): a plain relative link works.
            logger.debug("page_link to %s unavailable; plain link", link.page_file)
            st.markdown(f"[{tr('open_exercise')}]({link.url(lang)})")
            return
    st.caption(tr("link_unavailable", url=link.url(lang)))


def _exercise_box(exercise: tc.Exercise) -> None:
    with st.container(border=True, key=f"tr_ex_{exercise.id}"):
        st.markdown(f"**{tr('exercise_heading', id=exercise.id, title=exercise.title)}**")
        _link(exercise)
        with st.expander(tr("expected_answer")):
            expected = exercise.expected
            metric = metrics.get(expected.metric) if expected is not None else None
            unit = text_inline(metric.unit, lang) if metric is not None else ""
            st.markdown(tr("answer_text", answer=exercise.answer, unit=f"({unit})" if unit else "").strip())
            if expected is not None:
                area = tr("group_pilot") if expected.area == "pilot" else ctx.area_label(expected.area)
                key = "answer_how_mean" if expected.aggregate == "mean" else "answer_how"
                st.caption(tr(key, metric=expected.metric, area=area, period=expected.period))
                if expected.own_data:
                    st.caption(tr("answer_own_data", file=expected.own_data))


st.title(tr("title"))
st.write(tr("intro"))

with guarded(ctx):
    if lang == "sv":
        st.info(tr("language_note"))
        material = ctx.select(tr("material_language"), "material", list(tc.MATERIAL_LANGUAGES),
                              tc.material_language(lang), format_func=lambda code: LANGUAGE_NAMES[code],
                              kind="segmented")
    else:
        st.caption(tr("language_note"))
        material = tc.material_language(lang)

    modules = tc.load_modules(material)
    if not modules:
        st.warning(tr("no_modules"))
        st.stop()
    metrics = {**tc.snippet_metrics(modules), **ctx.catalog.metrics}  # answers may use the material's own metrics
    by_number = {str(m.number): m for m in modules}
    chosen = ctx.select(tr("module_select"), "module", list(by_number), next(iter(by_number)),
                        format_func=lambda n: tr("module_option", number=n, title=by_number[n].title))
    module = by_number[chosen]
    st.caption(" · ".join((tr("duration", minutes=module.duration_minutes),
                           tr("exercise_count", count=len(module.exercises)))))

    for part in module.parts():
        if part.exercise is not None:
            _exercise_box(part.exercise)
        elif part.markdown.strip():
            st.markdown(tc.demote_headings(part.markdown))

    _, quiz, answers = module.sections()
    if quiz.strip():
        st.header(tr("quiz"))
        st.markdown(quiz)
        with st.expander(tr("facilitator_answers")):
            st.markdown(answers)

    files = tc.data_files(module)
    if files:
        st.header(tr("data_files"))
        for path in files:
            st.download_button(tr("download", file=path.name), data=path.read_bytes(), file_name=path.name,
                               mime="text/csv", key=f"tr_dl_{path.stem}", icon=":material/download:")

    ctx.attribution()
