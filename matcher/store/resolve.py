"""Resolving institution names (aliases, full/half width, spacing) and expert references to rows."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from matcher.bundled import dict_dir
from matcher.store.tables import Expert, Institution
from matcher.text.normalize import clean, institution_key, stable_id
from matcher.text.units import main_unit

DEFAULT_ALIASES = dict_dir() / "institution_aliases.tsv"
Canonical = Callable[[str], str]


def load_alias_file(path: Path = DEFAULT_ALIASES) -> dict[str, str]:
    """`alias<TAB>canonical name` lines → {key(alias): canonical name}. Missing file → no aliases."""
    aliases: dict[str, str] = {}
    if not path.exists():
        return aliases
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.strip() and not line.startswith("#") and "\t" in line:
            alias, canonical = line.split("\t", 1)
            aliases[institution_key(alias)] = clean(canonical)
    return aliases


def canonical_name(name: str, aliases: dict[str, str]) -> str:
    """A name's canonical spelling by the alias list, else the name cleaned."""
    return aliases.get(institution_key(name), clean(name))


class InstitutionResolver:
    """Maps any spelling of an institution to its row, creating rows for new names.

    Loaded once per import: keys and aliases of every stored institution plus the bundled alias list.
    """

    def __init__(self, session: Session, *, aliases: dict[str, str] | None = None) -> None:
        self.session = session
        self.aliases = load_alias_file() if aliases is None else aliases
        self.by_key: dict[str, Institution] = {}
        for inst in session.scalars(select(Institution)):
            self._remember(inst)

    def _remember(self, inst: Institution) -> None:
        self.by_key[inst.key] = inst
        for alias in inst.aliases or []:
            self.by_key.setdefault(institution_key(alias), inst)

    def canonical(self, name: str) -> str:
        found = self.find(name)
        return found.name if found is not None else self._spelling(name)

    def _spelling(self, name: str) -> str:
        """The name a new row for `name` gets: the bundled alias list's canonical name, a sub-unit's university."""
        canonical = canonical_name(name, self.aliases)
        return main_unit(canonical)

    def find(self, name: str | None, *, sub_units: bool = True) -> Institution | None:
        """The stored row `name` names — by its normalised name, an alias (stored or bundled), or as a sub-unit of
        a stored university (`matcher.text.units`; not when `sub_units` is False: an institution registered by
        its own name) — or None. Never creates, never renames."""
        if not name or not institution_key(name):
            return None
        key = institution_key(name)
        if key in self.by_key:
            return self.by_key[key]
        canonical = canonical_name(name, self.aliases)
        for other in (canonical, main_unit(canonical)) if sub_units else (canonical,):
            inst = self.by_key.get(institution_key(other))
            if inst is not None:
                return inst
        return None

    def unit(self, name: str | None) -> str:
        """The unit people written at `name` are told apart by: the stored record's name (a registered 研究院
        stays itself), else the main unit of its canonical spelling."""
        if not name:
            return ""
        found = self.find(name)
        return found.name if found is not None else self._spelling(name)

    def registered(self, name: str | None) -> bool:
        """Whether `name` is a stored institution of its own that a rule would fold into a university (a
        university's 研究院 registered on its own): its people are not the university's."""
        found = self.find(name)
        return found is not None and main_unit(found.name) != found.name

    def get(self, name: str | None) -> Institution | None:
        """The row for `name` (`find`), created under its canonical name if it is new; None for an empty name."""
        if not name or not institution_key(name):
            return None
        key = institution_key(name)
        inst = self.find(name)
        if inst is None:
            canonical = self._spelling(name)
            ckey = institution_key(canonical)
            inst = Institution(id=stable_id("I", ckey), name=canonical, key=ckey, aliases=[])
            self.session.add(inst)
            self._remember(inst)
        self.by_key.setdefault(key, inst)
        return inst

    def add(self, inst: Institution) -> None:
        self._remember(inst)


def expert_id(name: str, institution: str | None, given: str | None) -> str:
    """The expert's id as given, else a stable one from the name and the main unit of the canonical institution
    (one person written at 重庆大学 and at 重庆大学材料学院 is one expert; at 重庆大学城市科技学院, another)."""
    return given or stable_id("X", name, main_unit(institution or ""))


def written_expert_id(name: str, institution: str | None) -> str:
    """The id an expert got before sub-units were folded (name + institution as canonicalised): a workspace
    imported then keeps its experts when the same files come again."""
    return stable_id("X", name, institution or "")


def outcome_expert_id(
    name: str, given: str | None, institution: str | None, outcome_institution: str | None, canonical: Canonical
) -> str:
    """The id of an expert named in an outcome: as given, else from the name and the canonical institution (the
    outcome's where the reference names none). The import and the tuner's pairs both key experts by it."""
    return expert_id(name, canonical(institution or outcome_institution or ""), given)


def experts_by_id(session: Session, ids: list[str]) -> dict[str, Expert]:
    if not ids:
        return {}
    return {e.id: e for e in session.scalars(select(Expert).where(Expert.id.in_(ids)))}
