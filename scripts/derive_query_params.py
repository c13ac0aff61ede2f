#!/usr/bin/env python3
"""Derive crates/halopsa/src/query_params.tsv from Halo's OpenAPI file.

Usage (from the repository root):
    python3 scripts/derive_query_params.py [SPEC]

SPEC defaults to ../shared/spec/halopsa-swagger-v2.json. One line per operation that
takes query parameters, and per GET that takes none (so a filter sent to it is flagged):
METHOD<TAB>/Path/{id}<TAB>kind:name:description<TAB>kind:name:description...
sorted by path then method; names in spec order, de-duplicated case-insensitively
(first wins); kinds are bool, int, ints, number, date or string; the description is the
spec's one line (may be empty). An operation whose parameters are those of an earlier line
has `=METHOD /Path` of that line instead (the ticket list's ~190 are shared by three paths).
"""

import json
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_SPEC = ROOT / ".." / "shared" / "spec" / "halopsa-swagger-v2.json"
OUTPUT = ROOT / "crates" / "halopsa" / "src" / "query_params.tsv"
METHODS = ("get", "post", "put", "patch", "delete")

SCHEMA_KINDS = {
    "bool": "bool",
    "boolean": "bool",
    "int": "int",
    "integer": "int",
    "List<int>": "ints",
    "double": "number",
    "float": "number",
    "number": "number",
    "DateTime": "date",
}
# The description's "(type)" prefix, used only when the parameter has no schema.
DESCRIPTION_KINDS = {"bool": "bool", "int": "int", "double": "number", "array of int": "ints"}
ID_LIST = re.compile(r"^\(array of int\)|comma sep[ae]rated (list of \w+ )?ids\b", re.IGNORECASE)
NAME = re.compile(r"^[A-Za-z0-9_.]+$")
# Quirk: the spec types most date filters as plain strings (`startdate` on /Tickets and
# /Actions, `start_date` on /Appointment, `billing_date`...). A string parameter named `date`,
# `*_date`, `*startdate` or `*enddate` is a date; `datesearch` (a field's name) is not.
DATE_NAME = re.compile(r"^(date|\w*_date|\w*(start|end)date)$", re.IGNORECASE)
TYPE_PREFIX = re.compile(r"^\s*\([^)]*\)")
DESCRIPTION_MAX = 120


def kind(param):
    """The normalised kind of one query parameter."""
    schema = param.get("schema") or {}
    description = param.get("description") or ""
    declared = schema.get("type")
    if declared is None:
        prefix = re.match(r"\(([^)]*)\)", description)
        return DESCRIPTION_KINDS.get(prefix.group(1), "string") if prefix else "string"
    if declared == "array" and (schema.get("items") or {}).get("type") in ("int", "integer"):
        return "ints"
    if declared == "string":
        if schema.get("format") == "date-time":
            return "date"
        if ID_LIST.search(description):
            return "ints"
        if DATE_NAME.match(param["name"]):
            return "date"
        return "string"
    return SCHEMA_KINDS.get(declared, "string")


def description(param):
    """The spec's description on one line: no "(type)" prefix, whitespace folded, cut at a word
    to at most DESCRIPTION_MAX characters (an ellipsis marks the cut)."""
    text = " ".join(TYPE_PREFIX.sub("", param.get("description") or "").split())
    if len(text) <= DESCRIPTION_MAX:
        return text
    return text[: DESCRIPTION_MAX].rsplit(" ", 1)[0].rstrip(" ,;:.") + "…"


def rows(spec):
    """(path, METHOD, ['kind:name:description', ...]) for every operation with query
    parameters or a GET."""
    for path, item in spec["paths"].items():
        for method, operation in item.items():
            if method not in METHODS:
                continue
            seen = set()
            params = []
            for param in operation.get("parameters", []):
                name = param["name"]
                if param.get("in") != "query" or name.lower() in seen:
                    continue
                if not NAME.match(name):
                    sys.exit(f"unexpected parameter name {name!r} on {method.upper()} {path}")
                seen.add(name.lower())
                params.append(f"{kind(param)}:{name}:{description(param)}")
            if params or method == "get":
                yield path, method.upper(), params


def lines(rows):
    """The table's lines; a list of several parameters already written is referred to, not
    repeated."""
    first = {}
    for path, method, params in rows:
        here = f"={method} {path}"
        fields = "\t".join(params)
        earlier = first.setdefault(fields, here)
        if earlier != here and len(params) > 1 and len(earlier) < len(fields):
            fields = earlier
        yield "\t".join(filter(None, (method, path, fields)))


def main():
    spec_path = Path(sys.argv[1]) if len(sys.argv) > 1 else DEFAULT_SPEC
    with open(spec_path, encoding="utf-8") as f:
        spec = json.load(f)
    source = f"from {spec_path.name} by scripts/derive_query_params.py"
    out = [f"# Query parameters per operation, {source}"]
    out += lines(sorted(rows(spec)))
    OUTPUT.write_text("\n".join(out) + "\n", encoding="utf-8", newline="\n")
    print(f"wrote {len(out) - 1} operations to {OUTPUT.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
