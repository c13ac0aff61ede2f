#!/usr/bin/env python3
"""Derive crates/halopsa/src/fields.tsv from Halo's OpenAPI file.

Usage (from the repository root):
    python3 scripts/derive_fields.py [SPEC]

SPEC defaults to ../shared/spec/halopsa-swagger-v2.json. For every POST whose JSON body is a
component schema or an array of one, the schema's top-level properties, one line per schema
(shared by the paths posting it: `Faults` by Tickets, Opportunities, Projects...):
SCHEMA<TAB>Path,Path...<TAB>kind:name,name...<TAB>kind:name,name...
schemas sorted by name, paths without their leading slash and sorted, one column per kind
(int, bool, number, date, string, object, array, in that order) with names in spec order.
"""

import json
import re
import sys
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_SPEC = ROOT / ".." / "shared" / "spec" / "halopsa-swagger-v2.json"
OUTPUT = ROOT / "crates" / "halopsa" / "src" / "fields.tsv"
KINDS = ("int", "bool", "number", "date", "string", "object", "array")
TYPE_KINDS = {
    "integer": "int",
    "boolean": "bool",
    "number": "number",
    "string": "string",
    "object": "object",
    "array": "array",
}
NAME = re.compile(r"^[A-Za-z0-9_]+$")
REF = "#/components/schemas/"


def schema_name(ref):
    if not ref.startswith(REF):
        sys.exit(f"unexpected $ref {ref!r}")
    return ref[len(REF):]


def kind(prop, schemas):
    """The kind of one property. A `$ref` is an object, unless it names an integer enum
    (`TableEnum`, `ChangeType`...); a property with no type at all (.NET `object`) is an object."""
    if "$ref" in prop:
        target = schemas[schema_name(prop["$ref"])]
        return "int" if target.get("type") == "integer" else "object"
    declared = prop.get("type")
    if declared is None:
        return "object"
    if declared == "string" and prop.get("format") == "date-time":
        return "date"
    if declared not in TYPE_KINDS:
        sys.exit(f"unexpected property type {declared!r}")
    return TYPE_KINDS[declared]


def body_schema(operation):
    """The component schema a POST's JSON body is (or is an array of), or None."""
    content = (operation.get("requestBody") or {}).get("content") or {}
    schema = (content.get("application/json") or {}).get("schema") or {}
    if schema.get("type") == "array":
        schema = schema.get("items") or {}
    ref = schema.get("$ref")
    return schema_name(ref) if ref else None


def tables(spec):
    """{schema: [paths]} and the schemas."""
    schemas = spec["components"]["schemas"]
    paths = defaultdict(list)
    for path, item in spec["paths"].items():
        # A path with variables is a webhook receiver's (`/Notify/AdobeAcrobat/{tenant}/...`),
        # never a resource's.
        if "post" not in item or "{" in path:
            continue
        name = body_schema(item["post"])
        if name is not None:
            paths[name].append(path.lstrip("/"))
    return paths, schemas


def line(name, paths, schema, schemas):
    columns = defaultdict(list)
    seen = set()
    for prop_name, prop in (schema.get("properties") or {}).items():
        if not NAME.match(prop_name) or prop_name.lower() in seen:
            sys.exit(f"unexpected property name {prop_name!r} in {name}")
        seen.add(prop_name.lower())
        columns[kind(prop, schemas)].append(prop_name)
    groups = [f"{k}:{','.join(columns[k])}" for k in KINDS if columns[k]]
    return "\t".join([name, ",".join(sorted(paths)), *groups])


def main():
    spec_path = Path(sys.argv[1]) if len(sys.argv) > 1 else DEFAULT_SPEC
    with open(spec_path, encoding="utf-8") as f:
        spec = json.load(f)
    paths, schemas = tables(spec)
    source = f"from {spec_path.name} by scripts/derive_fields.py"
    out = [f"# POST body fields per schema, and the paths posting it, {source}"]
    out += [line(n, paths[n], schemas[n], schemas) for n in sorted(paths)]
    OUTPUT.write_text("\n".join(out) + "\n", encoding="utf-8", newline="\n")
    count = sum(len(p) for p in paths.values())
    print(f"wrote {len(out) - 1} schemas for {count} paths to {OUTPUT.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
