"""A newcomer's time for a browser walk, by the Keystroke-Level Model (KLM).

Card, Moran & Newell, "The Keystroke-Level Model for User Performance Time with Interactive
Systems" (CACM 23(7), 1980) and *The Psychology of Human-Computer Interaction* (1983), ch. 8:
a task's time is the sum of its physical and mental operators. The walk (tests/authoring/
test_au_workshop_browser.py) records the operators of each step it actually performs, so the
estimate follows the test, not a hand count. Constants and placement rules, as documented in
docs/training.md ("How long the exercise takes a newcomer"):

- K 0.28 s per keystroke (average non-secretary typist, about 40 wpm); the Tab that leaves a
  field is a keystroke;
- P 1.1 s to point with the mouse at a target; B 0.1 s to press or release a button (a click is
  BB, 0.2 s); H 0.4 s to move the hand between mouse and keyboard (charged whenever the next
  operator needs the other device);
- M 1.35 s of mental preparation: before every click that chooses something (KLM rule 0), except
  the option clicked right after typing a search for it (rule 1: anticipated), and once before
  each typed string (rule 2: a name or search term is one unit);
- W 1.1 s for scrolling a target into view (KLM has no scroll operator; charged as one pointing
  movement, and only when the target was outside the window);
- reading: every word that is new on the screen at a checkpoint (the exercise text, the page on
  arrival, what each step adds) at 150 words a minute: about one standard deviation below the
  mean of 184 ± 29 words/min that Trauzettel-Klosinski & Dietz measured over 17 languages with
  the IReST texts (IOVS 53(9), 2012; read aloud), far below the 238 words/min of silent English
  non-fiction (Brysbaert 2019), because Finnish words are long (one Finnish word often carries
  what English says in three) and a newcomer meets the interface's words for the first time.
  Everything new is counted as read, the YAML and the table too, so the figure is an upper
  estimate;
- R 2.0 s of waiting for each step after which the app reruns (a stated allowance, not a
  measurement, so the estimate is the same on a slow or a fast machine; the walk prints the
  measured waits beside it).
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field

SECONDS = {"K": 0.28, "P": 1.1, "B": 0.1, "H": 0.4, "M": 1.35, "W": 1.1, "R": 2.0}
WORDS_PER_MINUTE = 150
_WORD = re.compile(r"\w+")


def words(text: str) -> list[str]:
    """The words of a text as a reader meets them (letters and digits; `_`-joined ids are one)."""
    return _WORD.findall(text)


@dataclass
class Estimate:
    """Operators and reading of one walk, step by step; `seconds` is the newcomer's time."""

    steps: list[tuple[str, str]] = field(default_factory=list)  # (operators, what)
    read: list[tuple[int, str]] = field(default_factory=list)  # (new words, where)
    hand: str = "mouse"
    _seen: Counter[str] = field(default_factory=Counter)

    def _op(self, ops: str, what: str) -> None:
        self.steps.append((ops, what))

    def _to(self, device: str) -> str:
        if self.hand == device:
            return ""
        self.hand = device
        return "H"

    def click(self, what: str, *, think: bool = True, scroll: bool = False, rerun: bool = False) -> None:
        """Point and click; `think`: a choice (M first); `scroll`: the target was out of view."""
        ops = self._to("mouse") + ("W" if scroll else "") + ("M" if think else "") + "PBB" + ("R" if rerun else "")
        self._op(ops, what)

    def type(self, text: str, what: str, *, leave: bool, rerun: bool = False) -> None:
        """Type one string (one M for the unit), plus the Tab that leaves the field."""
        ops = self._to("keyboard") + "M" + "K" * (len(text) + (1 if leave else 0)) + ("R" if rerun else "")
        self._op(ops, what)

    def wait(self, what: str) -> None:
        self._op("R", what)

    def look(self, text: str, where: str) -> int:
        """Read what is new in `text` since the last look at the same screen area; the count."""
        now = Counter(words(text))
        new = sum((now - self._seen).values())
        self._seen |= now
        if new:
            self.read.append((new, where))
        return new

    def reading_seconds(self) -> float:
        return sum(n for n, _w in self.read) / WORDS_PER_MINUTE * 60

    def operator_seconds(self) -> float:
        return sum(SECONDS[op] for ops, _w in self.steps for op in ops)

    def seconds(self) -> float:
        return self.operator_seconds() + self.reading_seconds()

    def counts(self) -> Counter[str]:
        return Counter(op for ops, _w in self.steps for op in ops)

    def summary(self) -> str:
        c = self.counts()
        parts = " ".join(f"{op}×{c[op]}" for op in "KPBHMWR" if c[op])
        return (f"KLM estimate for a newcomer: {self.seconds() / 60:.1f} min "
                f"(operators {self.operator_seconds():.0f} s: {parts}; reading {sum(n for n, _ in self.read)} words "
                f"at {WORDS_PER_MINUTE} wpm = {self.reading_seconds():.0f} s)")
