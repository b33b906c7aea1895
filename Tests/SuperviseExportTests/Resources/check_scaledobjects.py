"""Checks every KEDA ScaledObject of a multi-document YAML file against KEDA's ScaledObject schema.

Usage: check_scaledobjects.py SCHEMA.json MANIFESTS.yaml

The schema (keda-scaledobject-v1alpha1.schema.json beside this file) is the openAPIV3Schema of KEDA's CRD. It is
checked as the API server checks a custom resource with strict field validation (kubectl's default since 1.27): a
field the schema does not declare is an error (every object with properties gets additionalProperties: false), and
int32 fields must fit 32 bits. Prints one line per ScaledObject ("ok NAME" or its errors) and exits 1 on any error,
2 when the file has no ScaledObject.
"""
import json
import sys

import jsonschema
import yaml


def strict(schema):
    """The schema with additionalProperties: false wherever properties are declared and nothing else is allowed."""
    if isinstance(schema, dict):
        schema = {key: strict(value) for key, value in schema.items()}
        if "properties" in schema and "additionalProperties" not in schema \
                and not schema.get("x-kubernetes-preserve-unknown-fields"):
            schema["additionalProperties"] = False
        return schema
    if isinstance(schema, list):
        return [strict(item) for item in schema]
    return schema


def main():
    schema_file, manifests = sys.argv[1], sys.argv[2]
    with open(schema_file) as f:
        facts = json.load(f)
    schema = strict(facts["openAPIV3Schema"])
    formats = jsonschema.FormatChecker()

    @formats.checks("int32")
    def int32(value):
        return not isinstance(value, int) or -2**31 <= value < 2**31

    validator = jsonschema.Draft7Validator(schema, format_checker=formats)
    api_version = "%s/%s" % (facts["group"], facts["version"])
    found = failed = 0
    with open(manifests) as f:
        for document in yaml.safe_load_all(f):
            if not isinstance(document, dict):
                continue
            if document.get("kind") != facts["kind"] or document.get("apiVersion") != api_version:
                continue
            found += 1
            name = document.get("metadata", {}).get("name", "?")
            errors = sorted(validator.iter_errors(document), key=lambda e: list(e.absolute_path))
            if errors:
                failed += 1
                for error in errors:
                    path = ".".join(str(p) for p in error.absolute_path) or "(root)"
                    print("ERROR %s %s: %s" % (name, path, error.message))
            else:
                print("ok %s" % name)
    if found == 0:
        print("no %s %s in %s" % (api_version, facts["kind"], manifests))
        sys.exit(2)
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
