"""Render a kustomization of deploy/k8s without a kustomize binary: what `kubectl kustomize DIR` prints.

Only what these manifests use is supported, and anything else in a kustomization.yaml is refused rather than
ignored: `resources` (YAML files, several documents each, or directories holding a kustomization), `namespace`
(set on every namespaced object) and `patches` whose file or inline text is a list of JSON 6902 operations
(add, replace, remove, test) with a `target` (kind, name, and optionally group and version).

    .venv/bin/python deploy/k8s/render.py deploy/k8s/overlays/production   # prints the objects as YAML
"""

from __future__ import annotations

import copy
import sys
from pathlib import Path
from typing import Any

import yaml

KUSTOMIZATION = "kustomization.yaml"
SUPPORTED_FIELDS = frozenset({"apiVersion", "kind", "resources", "namespace", "patches"})
CLUSTER_SCOPED = frozenset({"Namespace", "PersistentVolume", "ClusterRole", "ClusterRoleBinding",
                            "StorageClass", "CustomResourceDefinition", "PriorityClass", "IngressClass"})

Manifest = dict[str, Any]


class RenderError(ValueError):
    """The kustomization uses something this renderer does not support, or a patch does not apply."""


def load_documents(path: Path) -> list[Manifest]:
    """Every non-empty YAML document of `path`."""
    with path.open(encoding="utf-8") as stream:
        return [doc for doc in yaml.safe_load_all(stream) if doc]


def _pointer(path: str) -> list[str]:
    if not path.startswith("/"):
        raise RenderError(f"JSON pointer must start with '/': {path!r}")
    return [part.replace("~1", "/").replace("~0", "~") for part in path[1:].split("/")]


def _parent(document: Any, parts: list[str], path: str) -> tuple[Any, str]:
    node = document
    for part in parts[:-1]:
        try:
            node = node[int(part)] if isinstance(node, list) else node[part]
        except (KeyError, IndexError, ValueError, TypeError):
            raise RenderError(f"patch path {path!r} does not exist") from None
    return node, parts[-1]


def apply_json6902(document: Manifest, operations: list[dict[str, Any]]) -> Manifest:
    """`document` with the JSON 6902 `operations` applied (a new object; the argument is left alone)."""
    result = copy.deepcopy(document)
    for operation in operations:
        op, path = operation.get("op"), operation.get("path", "")
        parent, key = _parent(result, _pointer(path), path)
        if isinstance(parent, list):
            index = len(parent) if key == "-" else int(key)
            if op == "add":
                parent.insert(index, copy.deepcopy(operation["value"]))
                continue
            if not 0 <= index < len(parent):
                raise RenderError(f"patch path {path!r} does not exist")
        elif op != "add" and key not in parent:
            raise RenderError(f"patch path {path!r} does not exist")
        else:
            index = key  # type: ignore[assignment]
        if op in ("add", "replace"):
            parent[index] = copy.deepcopy(operation["value"])
        elif op == "remove":
            del parent[index]
        elif op == "test":
            if parent[index] != operation["value"]:
                raise RenderError(f"patch test failed at {path!r}")
        else:
            raise RenderError(f"unsupported JSON 6902 operation {op!r}")
    return result


def _matches(manifest: Manifest, target: dict[str, str]) -> bool:
    group, _, version = manifest["apiVersion"].rpartition("/")
    wanted = {"kind": manifest["kind"], "name": manifest["metadata"]["name"], "group": group,
              "version": version}
    unknown = set(target) - set(wanted)
    if unknown:
        raise RenderError(f"unsupported patch target field(s): {sorted(unknown)}")
    return all(wanted[field] == value for field, value in target.items())


def render(directory: str | Path) -> list[Manifest]:
    """The objects of the kustomization in `directory`, in the order of its resources, patched."""
    directory = Path(directory)
    kustomization = load_documents(directory / KUSTOMIZATION)[0]
    unsupported = set(kustomization) - SUPPORTED_FIELDS
    if unsupported:
        raise RenderError(f"{directory / KUSTOMIZATION}: unsupported field(s) {sorted(unsupported)}")
    objects: list[Manifest] = []
    for resource in kustomization.get("resources", []):
        path = directory / resource
        objects += render(path) if path.is_dir() else load_documents(path)
    for patch in kustomization.get("patches", []):
        if "path" in patch:
            operations = load_documents(directory / patch["path"])[0]
        else:
            operations = yaml.safe_load(patch["patch"])
        if not isinstance(operations, list):
            raise RenderError(f"{directory}: only JSON 6902 patches (a list of operations) are supported")
        hits = [i for i, manifest in enumerate(objects) if _matches(manifest, patch.get("target", {}))]
        if not hits:
            raise RenderError(f"{directory}: patch {patch} matches no object")
        for i in hits:
            objects[i] = apply_json6902(objects[i], operations)
    if "namespace" in kustomization:
        for manifest in objects:
            if manifest["kind"] not in CLUSTER_SCOPED:
                manifest["metadata"]["namespace"] = kustomization["namespace"]
    keys = [(m["kind"], m["metadata"].get("namespace", ""), m["metadata"]["name"]) for m in objects]
    duplicates = sorted({key for key in keys if keys.count(key) > 1})
    if duplicates:
        raise RenderError(f"{directory}: objects defined twice: {duplicates}")
    return objects


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    if len(args) != 1:
        print(__doc__, file=sys.stderr)
        return 2
    yaml.safe_dump_all(render(args[0]), sys.stdout, sort_keys=False, allow_unicode=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
