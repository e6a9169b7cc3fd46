"""Exact linear algebra for disclosure audits: is a hidden cell a linear combination of published ones?

Every cell is a sparse linear form over atoms (one series in one municipality, period and group),
with rational coefficients. A hidden cell can be recomputed from what is published exactly when
its form lies in the row space of the published forms; then some sum, difference or multiple of
published cells gives it. The check is exact (`fractions.Fraction`, no rounding tolerance).

Most published cells are single atoms (a municipality's own count), so they are not put through
elimination: an atom a published cell equals is "pinned" and dropped from every other form, and
only the few atoms nobody publishes alone remain for a small reduced row-echelon basis. For a
determined cell `support` names the published cells one recomputation uses, which is where the
secondary suppression looks for a cell to hide next.
"""

from __future__ import annotations

from collections.abc import Hashable, Iterable, Mapping
from fractions import Fraction

Vector = dict[int, Fraction]


def _subtract(target: dict, source: Mapping, factor: Fraction) -> None:
    """target -= factor x source, in place, dropping entries that become zero."""
    for key, coef in source.items():
        value = target.get(key, 0) - factor * coef
        if value:
            target[key] = value
        else:
            target.pop(key, None)


def normalise(form: Mapping[int, Fraction | int]) -> tuple[tuple[int, Fraction | int], ...]:
    """The form scaled so its lowest atom has coefficient 1: equal for proportional forms.

    Coefficients stay exact: ints where they are whole (the usual case, and much faster than
    Fractions), Fractions otherwise.
    """
    items = sorted((a, c) for a, c in form.items() if c)
    if not items:
        return ()
    lead = items[0][1]
    if lead == 1:
        return tuple(items)
    if lead == -1:
        return tuple((a, -c) for a, c in items)
    out = []
    for atom, coef in items:
        value = Fraction(coef) / lead
        out.append((atom, value.numerator if value.denominator == 1 else value))
    return tuple(out)


class Audit:
    """The span of a set of published forms, ready to test hidden forms against.

    `forms` maps a key (a cell class) to its form and `published` says which keys are published
    (default: all). Single-atom forms pin their atom; the published forms touching an atom left
    unpinned are reduced by the pins and kept as a reduced row-echelon basis with, per row, the
    published keys it was built from. `index` (atom -> keys whose form uses it) can be passed
    in when many audits run over the same forms.
    """

    def __init__(
        self,
        forms: Mapping[Hashable, Mapping[int, Fraction]],
        published: Iterable[Hashable] | None = None,
        index: Mapping[int, Iterable[Hashable]] | None = None,
    ) -> None:
        keys = list(forms) if published is None else [k for k in published if forms.get(k)]
        self.forms = forms
        self.pins: dict[int, Hashable] = {}
        for key in keys:
            form = forms[key]
            if len(form) == 1:
                self.pins.setdefault(next(iter(form)), key)
        if index is None:
            built: dict[int, list[Hashable]] = {}
            for key in keys:
                for atom in forms[key]:
                    built.setdefault(atom, []).append(key)
            index = built
        # Only published forms touching an unpinned atom add anything beyond the pins.
        chosen = set(keys)
        multi: dict[Hashable, Mapping[int, Fraction]] = {}
        for atom, owners in index.items():
            if atom in self.pins:
                continue
            for key in owners:
                if key in chosen and key not in multi and len(forms[key]) > 1:
                    multi[key] = forms[key]
        self.rows: dict[int, tuple[Vector, dict[Hashable, Fraction]]] = {}  # pivot -> (row, origin)
        for key, form in sorted(multi.items(), key=lambda kf: (len(kf[1]), repr(kf[0]))):
            self._insert(self._free(form), {key: Fraction(1)})

    def _free(self, form: Mapping[int, Fraction]) -> Vector:
        """The part of `form` over atoms no published cell pins."""
        return {a: c for a, c in form.items() if a not in self.pins}

    def _reduce(self, vector: Vector, origin: dict[Hashable, Fraction]) -> tuple[Vector, dict[Hashable, Fraction]]:
        """`vector` minus basis rows until no pivot is left; `origin` tracks the published keys used."""
        vector = dict(vector)
        origin = dict(origin)
        for pivot in [a for a in vector if a in self.rows]:
            factor = vector.get(pivot)
            if not factor:
                continue
            row, row_origin = self.rows[pivot]
            _subtract(vector, row, factor)
            _subtract(origin, row_origin, factor)
        return vector, origin

    def _insert(self, vector: Vector, origin: dict[Hashable, Fraction]) -> None:
        vector, origin = self._reduce(vector, origin)
        if not vector:
            return
        pivot = min(vector)
        lead = Fraction(vector[pivot])
        row = {a: c / lead for a, c in vector.items()}
        row_origin = {k: c / lead for k, c in origin.items()}
        # Keep the basis fully reduced: no row mentions another row's pivot.
        for other, (other_row, other_origin) in list(self.rows.items()):
            factor = other_row.get(pivot)
            if not factor:
                continue
            _subtract(other_row, row, factor)
            _subtract(other_origin, row_origin, factor)
        self.rows[pivot] = (row, row_origin)

    def support(self, form: Mapping[int, Fraction]) -> list[Hashable] | None:
        """None when `form` cannot be recomputed from the published forms; else the keys one recomputation uses.

        The combination found is `form = sum(coef_k x published_k)`; the keys returned are those
        with a non-zero coefficient, pins included.
        """
        if not form:
            return None
        residual, origin = self._reduce(self._free(form), {})
        if residual:
            return None
        # Reducing subtracted the rows, so the combination is minus the origin tracked; what it
        # leaves of `form` sits on pinned atoms only, and each of those needs its pin.
        combination = {key: -coef for key, coef in origin.items()}
        rest: Vector = {a: c for a, c in form.items() if c}
        for key, coef in combination.items():
            _subtract(rest, self.forms[key], coef)
        used = list(combination)
        for atom in sorted(rest):
            key = self.pins[atom]
            if key not in combination:
                used.append(key)
        return used


def determined(published: Mapping[Hashable, Mapping[int, Fraction]], hidden: Iterable[Mapping[int, Fraction]]) -> list[bool]:
    """For each hidden form, whether the published forms determine it (a one-shot audit)."""
    audit = Audit({k: dict(f) for k, f in published.items()})
    return [audit.support(form) is not None for form in hidden]
