"""Training material: read and split the four workshop modules (checking them: `workshop.answers`).

The modules live as Markdown in `training_material/<fi|en>/module_<n>_<slug>.md`, each with a YAML
front matter block that lists its exercises:

    exercises:
      - id: m1-e1
        title: ...
        deep_link: "compare?metric=unemployment_rate&area=208"   # page + query parameters
        expected: {metric: unemployment_rate, area: "208", period: "2011"}
        answer: "8,0 %"                                           # as the app shows it

`expected.area` is an area code or a named group (`pilot`); `expected.aggregate: mean` asks for the
plain average of the group's per-municipality values (the wrong way, shown on purpose in module 1);
`expected.own_data` names a file in `training_material/data/` that must be imported first.
The body marks where each exercise's link box goes with `<!-- exercise: <id> -->`, and ends with a
quiz section and a facilitator's answer section (headings per language in `QUIZ_HEADINGS`).

Fenced ```yaml blocks in the body are either metric definitions (they have `kind`) and are
validated with the metric layer, or governance cards (`governance_card:`). Metric snippets are also
added to the catalogue used for checking answers, so an exercise can ask for the value of the metric
the participant builds.

No Streamlit here: the page (`pages/training.py`) only draws what this package returns, and the
tests check the same functions.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, Literal
from urllib.parse import parse_qsl, urlencode

import yaml

from kuntamittari.settings import PROJECT_ROOT

logger = logging.getLogger(__name__)

TRAINING_DIR = PROJECT_ROOT / "training_material"
DATA_DIR = TRAINING_DIR / "data"
MaterialLanguage = Literal["fi", "en"]
MATERIAL_LANGUAGES: tuple[MaterialLanguage, ...] = ("fi", "en")

#: The level-2 headings that open the quiz and the facilitator's answers, per material language.
QUIZ_HEADINGS: dict[str, str] = {"fi": "Tietovisa", "en": "Quiz"}
ANSWER_HEADINGS: dict[str, str] = {"fi": "Vastaukset ohjaajalle", "en": "Answers for the facilitator"}

_FRONT_MATTER = re.compile(r"\A---\s*\n(.*?)\n---\s*\n", re.S)
_FENCE = re.compile(r"^(```|~~~)")
_MARKER = re.compile(r"^<!--\s*exercise:\s*([A-Za-z0-9_\-]+)\s*-->\s*$")
_HEADING = re.compile(r"^(#{1,6})\s+(.*?)\s*#*\s*$")
_LIST_ITEM = re.compile(r"^(\d+)\.\s+\S")
_FILE_NAME = re.compile(r"^module_(\d+)_([a-z0-9_]+)\.md$")
_SPACES = dict.fromkeys(map(ord, "\u00a0\u202f\u2009\u2007"), " ")


class TrainingError(ValueError):
    """A module file cannot be read (no front matter, missing keys, bad deep link)."""


# --------------------------------------------------------------------------- model


@dataclass(frozen=True)
class DeepLink:
    """A page of the app and the query parameters that put it in the exercise's state."""

    page: str
    params: tuple[tuple[str, str], ...] = ()

    @classmethod
    def parse(cls, text: str) -> DeepLink:
        raw = str(text).strip().lstrip("/")
        page, _, query = raw.partition("?")
        page = page.removesuffix(".py").removeprefix("pages/")
        if not re.fullmatch(r"[a-z][a-z0-9_]*", page):
            raise TrainingError(f"deep link {text!r}: '{page}' is not a page name")
        return cls(page, tuple(parse_qsl(query, keep_blank_values=True)))

    @property
    def page_file(self) -> str:
        """Path of the page file relative to the project root (what `st.page_link` takes)."""
        return f"pages/{self.page}.py"

    def query_params(self, lang: str | None = None) -> dict[str, str]:
        """The query parameters, with `lang` set to the reader's language when given."""
        params = dict(self.params)
        if lang:
            params["lang"] = lang
        return params

    def url(self, lang: str | None = None) -> str:
        """Relative URL, e.g. `compare?metric=unemployment_rate&area=208&lang=fi`."""
        query = urlencode(self.query_params(lang))
        return f"{self.page}?{query}" if query else self.page

    def get(self, name: str) -> str | None:
        return dict(self.params).get(name)


@dataclass(frozen=True)
class Expected:
    """How an exercise's answer is computed from the metric layer."""

    metric: str
    area: str
    period: str
    aggregate: Literal["metric", "mean"] = "metric"
    own_data: str | None = None

    @classmethod
    def from_dict(cls, data: dict[str, Any], where: str) -> Expected:
        try:
            aggregate = str(data.get("aggregate", "metric"))
            if aggregate not in ("metric", "mean"):
                raise TrainingError(f"{where}: aggregate must be 'metric' or 'mean', not {aggregate!r}")
            return cls(
                metric=str(data["metric"]),
                area=str(data["area"]),
                period=str(data["period"]),
                aggregate=aggregate,  # type: ignore[arg-type]
                own_data=str(data["own_data"]) if data.get("own_data") else None,
            )
        except KeyError as exc:
            raise TrainingError(f"{where}: expected needs {exc.args[0]!r}") from None


@dataclass(frozen=True)
class Exercise:
    id: str
    title: str
    deep_link: DeepLink
    answer: str
    expected: Expected | None = None


@dataclass(frozen=True)
class YamlBlock:
    """A fenced ```yaml block of the body: its first line number in the file, text and parsed data."""

    line: int
    text: str
    data: Any

    @property
    def is_metric(self) -> bool:
        return isinstance(self.data, dict) and "kind" in self.data

    @property
    def is_governance_card(self) -> bool:
        return isinstance(self.data, dict) and set(self.data) == {"governance_card"}


@dataclass(frozen=True)
class Part:
    """A piece of the body for rendering: Markdown text, or the place of one exercise box."""

    markdown: str = ""
    exercise: Exercise | None = None


@dataclass(frozen=True)
class Module:
    number: int
    slug: str
    lang: str
    title: str
    duration_minutes: int
    exercises: tuple[Exercise, ...]
    body: str
    path: Path
    body_line: int = 1  # line of the file on which the body starts

    @property
    def key(self) -> str:
        return f"module_{self.number}_{self.slug}"

    def exercise(self, exercise_id: str) -> Exercise:
        for exercise in self.exercises:
            if exercise.id == exercise_id:
                return exercise
        raise KeyError(exercise_id)

    def headings(self) -> list[tuple[int, str]]:
        return headings(self.body)

    def yaml_blocks(self) -> list[YamlBlock]:
        return [replace(b, line=b.line + self.body_line - 1) for b in yaml_blocks(self.body)]

    def markers(self) -> list[str]:
        return exercise_markers(self.body)

    def sections(self) -> tuple[str, str, str]:
        return split_quiz(self.body, self.lang)

    def quiz_questions(self) -> list[str]:
        return numbered_items(self.sections()[1])

    def quiz_answers(self) -> list[str]:
        return numbered_items(self.sections()[2])

    def parts(self) -> list[Part]:
        """The material before the quiz, cut at exercise markers (for the page)."""
        return split_parts(self.sections()[0], self.exercises)


# --------------------------------------------------------------------------- parsing


def _outside_fences(body: str) -> list[tuple[int, str, bool]]:
    """(line number, line, inside a code fence) for every line of `body` (1-based)."""
    out: list[tuple[int, str, bool]] = []
    inside = False
    for number, line in enumerate(body.splitlines(), start=1):
        if _FENCE.match(line.strip()):
            out.append((number, line, True))
            inside = not inside
            continue
        out.append((number, line, inside))
    return out


def headings(body: str) -> list[tuple[int, str]]:
    """(level, text) of every Markdown heading outside code fences."""
    found = []
    for _, line, fenced in _outside_fences(body):
        match = None if fenced else _HEADING.match(line)
        if match:
            found.append((len(match.group(1)), match.group(2)))
    return found


def yaml_blocks(body: str) -> list[YamlBlock]:
    """Every fenced ```yaml block, parsed with PyYAML (a block that does not parse keeps data=None)."""
    blocks: list[YamlBlock] = []
    lines = body.splitlines()
    i = 0
    while i < len(lines):
        opening = lines[i].strip()
        if opening.startswith("```") and opening[3:].strip().split(" ")[0].lower() in ("yaml", "yml"):
            start = i + 1
            j = start
            while j < len(lines) and not lines[j].strip().startswith("```"):
                j += 1
            text = "\n".join(lines[start:j]) + "\n"
            try:
                data = yaml.safe_load(text)
            except yaml.YAMLError:
                data = None
            blocks.append(YamlBlock(start + 1, text, data))
            i = j + 1
        elif _FENCE.match(opening):
            j = i + 1
            while j < len(lines) and not _FENCE.match(lines[j].strip()):
                j += 1
            i = j + 1
        else:
            i += 1
    return blocks


def exercise_markers(body: str) -> list[str]:
    return [m.group(1) for _, line, fenced in _outside_fences(body) if not fenced and (m := _MARKER.match(line.strip()))]


def split_quiz(body: str, lang: str) -> tuple[str, str, str]:
    """(material, quiz, facilitator's answers): the body cut at the two level-2 headings."""
    quiz_heading, answer_heading = QUIZ_HEADINGS[lang], ANSWER_HEADINGS[lang]
    lines = body.splitlines()
    quiz_at = answer_at = None
    for number, line, fenced in _outside_fences(body):
        if fenced:
            continue
        match = _HEADING.match(line)
        if match and len(match.group(1)) == 2:
            if match.group(2) == quiz_heading:
                quiz_at = number - 1
            elif match.group(2) == answer_heading:
                answer_at = number - 1
    if quiz_at is None or answer_at is None or answer_at < quiz_at:
        return body, "", ""
    return (
        "\n".join(lines[:quiz_at]).rstrip() + "\n",
        "\n".join(lines[quiz_at + 1 : answer_at]).strip() + "\n",
        "\n".join(lines[answer_at + 1 :]).strip() + "\n",
    )


def numbered_items(section: str) -> list[str]:
    """The top-level numbered list items of a section (continuation lines joined)."""
    items: list[str] = []
    for line in section.splitlines():
        if _LIST_ITEM.match(line):
            items.append(line.split(".", 1)[1].strip())
        elif items and line.startswith(("   ", "\t")) and line.strip():
            items[-1] += " " + line.strip()
    return items


def split_parts(material: str, exercises: tuple[Exercise, ...]) -> list[Part]:
    by_id = {e.id: e for e in exercises}
    parts: list[Part] = []
    chunk: list[str] = []
    for _, line, fenced in _outside_fences(material):
        match = None if fenced else _MARKER.match(line.strip())
        if match and match.group(1) in by_id:
            if "".join(chunk).strip():
                parts.append(Part(markdown="\n".join(chunk)))
            chunk = []
            parts.append(Part(exercise=by_id[match.group(1)]))
        else:
            chunk.append(line)
    if "".join(chunk).strip():
        parts.append(Part(markdown="\n".join(chunk)))
    return parts


def parse_module(text: str, path: Path) -> Module:
    """One module file: front matter (validated) and body."""
    match = _FRONT_MATTER.match(text)
    if not match:
        raise TrainingError(f"{path}: no YAML front matter (--- ... ---) at the top")
    try:
        meta = yaml.safe_load(match.group(1)) or {}
    except yaml.YAMLError as exc:
        raise TrainingError(f"{path}: front matter is not valid YAML: {exc}") from None
    if not isinstance(meta, dict):
        raise TrainingError(f"{path}: front matter must be a mapping")
    try:
        exercises = []
        for i, item in enumerate(meta.get("exercises") or []):
            where = f"{path}: exercises[{i}]"
            expected = item.get("expected")
            exercises.append(
                Exercise(
                    id=str(item["id"]),
                    title=str(item["title"]),
                    deep_link=DeepLink.parse(item["deep_link"]),
                    answer=str(item["answer"]),
                    expected=Expected.from_dict(expected, where) if expected else None,
                )
            )
        body = text[match.end():]
        return Module(
            number=int(meta["module"]),
            slug=str(meta["slug"]),
            lang=str(meta["lang"]),
            title=str(meta["title"]),
            duration_minutes=int(meta["duration_minutes"]),
            exercises=tuple(exercises),
            body=body,
            path=path,
            body_line=text[: match.end()].count("\n") + 1,
        )
    except (KeyError, TypeError) as exc:
        raise TrainingError(f"{path}: front matter needs {exc}") from None


def module_paths(lang: str, directory: Path | None = None) -> list[Path]:
    folder = (directory or TRAINING_DIR) / lang
    paths = [p for p in folder.glob("module_*.md") if _FILE_NAME.match(p.name)]
    return sorted(paths, key=lambda p: int(_FILE_NAME.match(p.name).group(1)))  # type: ignore[union-attr]


def load_modules(lang: str, directory: Path | None = None) -> list[Module]:
    """Every module of one material language, in module order."""
    if lang not in MATERIAL_LANGUAGES:
        raise TrainingError(f"training material exists in {', '.join(MATERIAL_LANGUAGES)}, not {lang!r}")
    return [parse_module(p.read_text(encoding="utf-8"), p) for p in module_paths(lang, directory)]


def material_language(ui_lang: str, choice: str | None = None) -> MaterialLanguage:
    """The material language for a UI language: fi and en as they are; sv reads the Finnish
    original unless the reader chose English (the modules are written in Finnish and English)."""
    if choice in MATERIAL_LANGUAGES:
        return choice  # type: ignore[return-value]
    return "en" if ui_lang == "en" else "fi"


# --------------------------------------------------------------------------- checks


def structure(module: Module) -> dict[str, Any]:
    """What must be equal between language versions: heading counts per level, exercise ids
    (front matter and markers, in order), yaml block count, quiz and answer counts."""
    counts: dict[int, int] = {}
    for level, _ in module.headings():
        counts[level] = counts.get(level, 0) + 1
    return {
        "module": module.number,
        "slug": module.slug,
        "duration_minutes": module.duration_minutes,
        "headings": dict(sorted(counts.items())),
        "exercise_ids": [e.id for e in module.exercises],
        "markers": module.markers(),
        "deep_links": [e.deep_link.url() for e in module.exercises],
        "expected": [e.expected for e in module.exercises],
        "yaml_blocks": len(module.yaml_blocks()),
        "quiz": len(module.quiz_questions()),
        "answers": len(module.quiz_answers()),
    }


def structure_differences(first: Module, second: Module) -> list[str]:
    a, b = structure(first), structure(second)
    return [f"{key}: {a[key]!r} ({first.lang}) != {b[key]!r} ({second.lang})" for key in a if a[key] != b[key]]
