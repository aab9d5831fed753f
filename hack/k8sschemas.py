"""Makes the Kubernetes JSON schemas that PyPI's kubernetes-validate ships usable by kubeconform.

kubernetes-validate keeps each kind's schema apart from a shared _definitions.json and refers to it as
"/api/_definitions.json#/$defs/<name>", which only its own resolver understands. This writes, for every
kind, a self-contained draft-07 schema (no $id): the kind's schema plus the definitions it reaches, under
"definitions", referred to as "#/definitions/<name>" (recursive types such as JSONSchemaProps stay
references, so nothing is inlined forever). Used by hack/k8s-lint.sh:

    python3 hack/k8sschemas.py <kubernetes-validate schema dir, e.g. v1.34.0-local-strict> <out dir>
"""
import json
import os
import sys

PREFIXES = ("/api/_definitions.json#/$defs/", "#/$defs/")  # from a kind's file, within _definitions.json


def target(ref):
    for p in PREFIXES:
        if isinstance(ref, str) and ref.startswith(p):
            return ref[len(p):]
    return None


def refs(node, out):
    if isinstance(node, dict):
        t = target(node.get("$ref"))
        if t is not None:
            out.add(t)
        for v in node.values():
            refs(v, out)
    elif isinstance(node, list):
        for v in node:
            refs(v, out)


def rewrite(node):
    if isinstance(node, dict):
        return {k: ("#/definitions/" + target(v) if k == "$ref" and target(v) is not None else rewrite(v))
                for k, v in node.items() if k not in ("$schema", "$id")}
    if isinstance(node, list):
        return [rewrite(v) for v in node]
    return node


def main(src, out):
    defs = json.load(open(os.path.join(src, "_definitions.json")))
    defs = defs.get("$defs", defs.get("definitions", {}))
    os.makedirs(out, exist_ok=True)
    for name in os.listdir(src):
        if not name.endswith(".json") or name.startswith("_") or name == "all.json":
            continue
        schema = json.load(open(os.path.join(src, name)))
        need, todo = set(), set()
        refs(schema, todo)
        while todo:
            d = todo.pop()
            if d in need or d not in defs:
                continue
            need.add(d)
            refs(defs[d], todo)
        out_schema = rewrite(schema)
        out_schema["definitions"] = {d: rewrite(defs[d]) for d in sorted(need)}
        with open(os.path.join(out, name), "w") as f:
            json.dump(out_schema, f)


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
