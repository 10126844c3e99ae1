"""Resolving institution names (aliases, full/half width, spacing) and expert references to rows."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from matcher.bundled import dict_dir
from matcher.store.tables import Expert, Institution
from matcher.text.normalize import clean, institution_key, stable_id

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
        key = institution_key(name)
        if key in self.by_key:
            return self.by_key[key].name
        return canonical_name(name, self.aliases)

    def get(self, name: str | None) -> Institution | None:
        """The row for `name` (via aliases), created if it is new; None for an empty name."""
        if not name or not institution_key(name):
            return None
        key = institution_key(name)
        if key in self.by_key:
            return self.by_key[key]
        canonical = self.aliases.get(key, clean(name))
        ckey = institution_key(canonical)
        inst = self.by_key.get(ckey)
        if inst is None:
            inst = Institution(id=stable_id("I", ckey), name=canonical, key=ckey, aliases=[])
            self.session.add(inst)
            self._remember(inst)
        self.by_key[key] = inst
        return inst

    def add(self, inst: Institution) -> None:
        self._remember(inst)


_SUBUNIT = re.compile(r"^(.{2,}?大学)(?=.{2,}(?:学院|系|研究院|研究所|研究中心|实验室|中心|医院|所)$)")


def main_unit(institution: str) -> str:
    """The university a sub-unit belongs to (重庆大学材料学院 → 重庆大学), else the name as given. Only for telling
    people apart: institution rows keep the name as written (a 管理学院 may be what staff pair with)."""
    found = _SUBUNIT.match(clean(institution))
    return found.group(1) if found else institution


def expert_id(name: str, institution: str | None, given: str | None) -> str:
    """The expert's id as given, else a stable one from the name and the main unit of the canonical institution
    (one person written at 重庆大学 and at 重庆大学材料学院 is one expert)."""
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
