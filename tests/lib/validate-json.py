#!/usr/bin/env python3
"""validate-json.py SCHEMA [FILE]

Validates a JSON document (FILE, or stdin) against one of the OCI
runtime-spec schemas. The schemas refer to each other by relative file name
("defs.json#/..."), so references are resolved against the schema's own
directory. Exit status: 0 valid, 1 invalid, 3 jsonschema is not installed.
"""
import json
import os
import sys
import warnings

try:
    import jsonschema
except ImportError:
    sys.exit(3)


def main():
    schema_path = os.path.abspath(sys.argv[1])
    with open(schema_path) as f:
        schema = json.load(f)
    if len(sys.argv) > 2:
        with open(sys.argv[2]) as f:
            doc = json.load(f)
    else:
        doc = json.load(sys.stdin)

    base = "file://" + os.path.dirname(schema_path) + "/"
    # RefResolver is deprecated in newer jsonschema releases but is the one
    # interface that every release Debian ships understands.
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        resolver = jsonschema.RefResolver(base_uri=base, referrer=schema)
        validator_cls = jsonschema.validators.validator_for(schema)
        validator = validator_cls(schema, resolver=resolver)
        errors = sorted(validator.iter_errors(doc), key=lambda e: list(e.path))
    for e in errors:
        where = "/".join(str(p) for p in e.path) or "(document)"
        print(f"{where}: {e.message}", file=sys.stderr)
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main())
