#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""Validate every line of a JSON-lines file against a JSON Schema.

usage: schema-check.py SCHEMA FILE

Prints each rejected line's number, the first error and where it is, then
"checked N records, M rejected". Exit status: 0 none rejected, 1 some
rejected (or a line is not JSON), 2 usage or a broken schema.
"""
import json
import sys

import jsonschema


def main():
    if len(sys.argv) != 3:
        print(__doc__.strip().splitlines()[2], file=sys.stderr)
        return 2
    with open(sys.argv[1], encoding="utf-8") as f:
        schema = json.load(f)
    cls = jsonschema.validators.validator_for(schema)
    try:
        cls.check_schema(schema)
    except jsonschema.exceptions.SchemaError as e:
        print(f"broken schema: {e.message}", file=sys.stderr)
        return 2
    validator = cls(schema, format_checker=cls.FORMAT_CHECKER)
    n = bad = 0
    with open(sys.argv[2], encoding="utf-8") as f:
        for lineno, line in enumerate(f, 1):
            n += 1
            try:
                rec = json.loads(line)
            except ValueError as e:
                bad += 1
                print(f"line {lineno}: not JSON: {e}")
                continue
            errors = sorted(validator.iter_errors(rec), key=lambda e: e.path)
            if errors:
                bad += 1
                # oneOf hides the reasons: show the deepest ones
                leaves = []
                for e in errors:
                    stack = [e]
                    while stack:
                        x = stack.pop()
                        if x.context:
                            stack.extend(x.context)
                        else:
                            leaves.append(x)
                leaves.sort(key=lambda x: -len(x.absolute_path))
                for x in leaves[:3]:
                    where = "/".join(str(p) for p in x.absolute_path) or "(record)"
                    print(f"line {lineno}: {where}: {x.message}")
    print(f"checked {n} records, {bad} rejected")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
