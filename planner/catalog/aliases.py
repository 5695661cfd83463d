"""Name normalisation and closest-name suggestions for accelerators and providers.

Names are matched on a *key*: casefolded, with every separator (``-``, ``_``, space, ``.``, ``/``)
removed, so ``H100_SXM5``, ``h100-sxm5`` and ``H100 SXM5`` are the same name. Suggestions for an
unknown name use :mod:`difflib` similarity on those keys.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterable, Mapping

from planner.errors import CatalogError, InputError, Problem

_SEPARATORS = re.compile(r"[\s\-_./]+")

MIN_SUGGESTIONS = 3
MAX_SUGGESTIONS = 5


def name_key(name: str) -> str:
    """Matching key of a name: casefolded, separators removed ('H100_SXM5' -> 'h100sxm5')."""
    return _SEPARATORS.sub("", name.strip().casefold())


class NameIndex:
    """Maps every spelling (canonical id or alias) of a thing to its canonical id.

    Built once per catalog; lookups are O(1) dict hits. Two different canonical ids claiming
    the same key is an error (the catalog would be ambiguous), reported with both names.
    """

    def __init__(self, kind: str, names: Mapping[str, Iterable[str]], source: str | None = None):
        """`names` maps canonical id -> its aliases; `kind` ('accelerator') is used in messages."""
        self.kind = kind
        self._by_key: dict[str, str] = {}
        self._spelling: dict[str, str] = {}  # key -> first spelling seen (for suggestions)
        problems: list[Problem] = []
        for canonical, aliases in names.items():
            for spelling in (canonical, *aliases):
                key = name_key(spelling)
                if not key:
                    problems.append(Problem(f"{kind} {canonical!r} has an empty alias", source=source))
                    continue
                owner = self._by_key.setdefault(key, canonical)
                self._spelling.setdefault(key, spelling)
                if owner != canonical:
                    problems.append(
                        Problem(
                            f"{kind} name {spelling!r} is claimed by both {owner!r} and {canonical!r}; "
                            "an alias must name exactly one",
                            source=source,
                        )
                    )
        if problems:
            raise CatalogError(problems)
        self._canonical = tuple(names)

    @property
    def canonical_ids(self) -> tuple[str, ...]:
        return self._canonical

    def get(self, name: str) -> str | None:
        """Canonical id for `name`, or None when unknown."""
        return self._by_key.get(name_key(name))

    def suggest(self, name: str, limit: int = MAX_SUGGESTIONS) -> list[str]:
        """Up to `limit` (at least 3 when the index has them) canonical ids closest to `name`."""
        return suggest(name, self._by_key, limit=limit)

    def resolve(self, name: str, source: str | None = None, location: str | None = None) -> str:
        """Canonical id for `name`; unknown names raise InputError listing the closest names."""
        found = self.get(name)
        if found is None:
            raise InputError([Problem(self.unknown_message(name), source=source, location=location)])
        return found

    def unknown_message(self, name: str) -> str:
        """ "unknown accelerator 'H1OO': did you mean H100-SXM, H100-PCIE, H200?"."""
        hint = ", ".join(self.suggest(name))
        return f"unknown {self.kind} {name!r}" + (f": did you mean {hint}?" if hint else "")


def suggest(name: str, key_to_canonical: Mapping[str, str], limit: int = MAX_SUGGESTIONS) -> list[str]:
    """Closest canonical names to `name` by difflib ratio over all keys (ids and aliases).

    Returns distinct canonical ids, best first: every id scoring >= 0.6 up to `limit`, topped
    up with the next best to at least MIN_SUGGESTIONS so the user always sees some options.
    """
    key = name_key(name)
    if not key:
        return []
    matcher = difflib.SequenceMatcher(b=key, autojunk=False)
    best: dict[str, float] = {}
    for candidate, canonical in key_to_canonical.items():
        matcher.set_seq1(candidate)
        score = matcher.ratio()
        if score > best.get(canonical, -1.0):
            best[canonical] = score
    ranked = sorted(best.items(), key=lambda kv: (-kv[1], kv[0]))
    good = [c for c, s in ranked if s >= 0.6][:limit]
    if len(good) < MIN_SUGGESTIONS:
        good += [c for c, _ in ranked if c not in good][: MIN_SUGGESTIONS - len(good)]
    return good


def suggest_words(word: str, choices: Iterable[str], limit: int = 3) -> list[str]:
    """Closest plain strings (e.g. column names) to `word`, for 'did you mean' hints."""
    return difflib.get_close_matches(word, list(choices), n=limit, cutoff=0.6)
