"""Turn the hand-written demo sources (data/demo/source/*.txt) into the import files of data/demo/.

Run `python data/demo/build_demo.py` after editing a source file; the JSONL files are committed.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

from matcher.text.normalize import stable_id

HERE = Path(__file__).resolve().parent
SOURCES = ("materials", "manufacturing", "iot", "nev", "ai", "biomed", "energy_env", "extra")
KINDS = {"P": "patent", "L": "paper", "J": "project", "C": "achievement"}


def cells(line: str) -> list[str]:
    return [c.strip() for c in line.split("|")]


def read_institutions() -> dict[str, dict]:
    found = {}
    for line in (HERE / "source" / "institutions.txt").read_text(encoding="utf-8").splitlines():
        if not line.strip() or line.startswith("#"):
            continue
        name, type_, region, aliases, *rest = [*cells(line), ""]
        found[name] = {
            "id": stable_id("I", name),
            "name": name,
            "type": type_,
            "region": region,
            "aliases": [a for a in aliases.split(";") if a],
            "group": (rest[0] if rest else "") or None,
        }
    return found


def expert_record(
    name: str, inst: str, institutions: dict[str, dict], title: str = "", fields: str = "", capacity: str = ""
) -> dict:
    if inst not in institutions:
        sys.exit(f"unknown institution {inst!r} for expert {name}")
    return {
        "id": stable_id("X", name, inst),
        "name": name,
        "institution": inst,
        "title": title or None,
        "fields": [f for f in fields.split(";") if f],
        "region": institutions[inst]["region"],
        "capacity": int(capacity) if capacity else None,
    }


def read_outcomes(institutions: dict[str, dict]) -> tuple[dict[str, dict], list[dict]]:
    experts: dict[str, dict] = {}
    outcomes: list[dict] = []
    for source in SOURCES:
        field, current = None, None
        for line in (HERE / "source" / f"{source}.txt").read_text(encoding="utf-8").splitlines():
            if line.startswith("# field:"):
                field = line.split(":", 1)[1].strip()
            elif line.startswith("@"):
                name, inst, title, fields, capacity = cells(line[1:])
                current = expert_record(name, inst, institutions, title, fields, capacity)
                experts.setdefault(current["id"], current)
            elif line and not line.startswith("#"):
                outcomes.append(outcome_record(line, field, current, institutions, experts))
    return experts, outcomes


def outcome_record(
    line: str, field: str | None, author: dict | None, institutions: dict[str, dict], experts: dict[str, dict]
) -> dict:
    head, abstract, *more = cells(line)
    key, kind, year, title = head.split(" ", 3)
    if author is None:
        sys.exit(f"outcome {key} has no expert line above it")
    team = [author]
    for co in more[0].split(";") if more else []:
        name, inst = co.split("@")
        team.append(experts.get(stable_id("X", name, inst)) or expert_record(name, inst, institutions))
    inst = author["institution"]
    return {
        "id": f"DEMO-{key}",
        "kind": KINDS[kind],
        "title": title,
        "abstract": abstract,
        "year": int(year),
        "institution": inst,
        "field": field,
        "region": institutions[inst]["region"],
        "experts": [{"id": e["id"], "name": e["name"], "institution": e["institution"]} for e in team],
    }


def read_needs(outcome_ids: set[str]) -> tuple[list[dict], list[str]]:
    needs, qrels = [], []
    for line in (HERE / "source" / "needs.txt").read_text(encoding="utf-8").splitlines():
        if not line.strip() or line.startswith("#"):
            continue
        nid, org, region, field, title, description, judged = cells(line)
        needs.append(
            {
                "id": f"DEMO-{nid}",
                "title": title,
                "description": description,
                "organization": org,
                "region": region,
                "field": field,
                "status": "open",
            }
        )
        for pair in judged.split():
            key, grade = pair.split(":")
            if f"DEMO-{key}" not in outcome_ids:
                sys.exit(f"need {nid} judges unknown outcome {key}")
            qrels.append(f"DEMO-{nid} 0 DEMO-{key} {grade}")
    return needs, qrels


def write_jsonl(name: str, rows: list[dict]) -> None:
    text = "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows)
    (HERE / f"{name}.jsonl").write_text(text, encoding="utf-8")


def main() -> None:
    institutions = read_institutions()
    experts, outcomes = read_outcomes(institutions)
    needs, qrels = read_needs({o["id"] for o in outcomes})
    write_jsonl("institutions", list(institutions.values()))
    write_jsonl("experts", list(experts.values()))
    write_jsonl("outcomes", outcomes)
    write_jsonl("needs", needs)
    (HERE / "qrels.tsv").write_text("\n".join(qrels) + "\n", encoding="utf-8")
    print(
        f"{len(institutions)} institutions, {len(experts)} experts, {len(outcomes)} outcomes, "
        f"{len(needs)} needs, {len(qrels)} judgements"
    )


if __name__ == "__main__":
    main()
