"""Writes a kubeconform schema (<Kind>_<group/version>.json, strict) for each version of each CRD given.

kubeconform validates custom resources against JSON schemas; a CRD's openAPIV3Schema is one, once the
apiVersion/kind/metadata it leaves implicit are allowed. Used by hack/k8s-lint.sh.
"""
import json
import os
import sys

import yaml


def strict(node):
    """additionalProperties: false wherever properties are listed, as kubeconform's strict schemas."""
    if isinstance(node, dict):
        if node.get("type") == "object" and "properties" in node and "additionalProperties" not in node \
                and not node.get("x-kubernetes-preserve-unknown-fields"):
            node["additionalProperties"] = False
        for v in node.values():
            strict(v)
    elif isinstance(node, list):
        for v in node:
            strict(v)


def main(out, paths):
    for path in paths:
        for crd in yaml.safe_load_all(open(path)):
            if not crd or crd.get("kind") != "CustomResourceDefinition":
                continue
            kind, group = crd["spec"]["names"]["kind"], crd["spec"]["group"]
            for v in crd["spec"]["versions"]:
                schema = v["schema"]["openAPIV3Schema"]
                schema.setdefault("properties", {})
                schema["properties"].update({
                    "apiVersion": {"type": "string", "enum": [f"{group}/{v['name']}"]},
                    "kind": {"type": "string", "enum": [kind]},
                    "metadata": {"type": "object"},
                })
                strict(schema)
                name = f"{kind.lower()}_{group}/{v['name']}".replace("/", "-") + ".json"
                with open(os.path.join(out, name), "w") as f:
                    json.dump(schema, f)


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2:])
