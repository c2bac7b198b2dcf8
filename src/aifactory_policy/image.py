"""Reading a saved container image (docker save tarball, OCI layout folder or tar) for scan-image.

Every layer is read as a stream (tarfile "r|*": one pass, nothing extracted, memory flat), files
deleted by a later layer's whiteout included (they are still in the image). This module gathers
facts per file (a Claude file name, token material as booleans, deleted later or not); the rules
of policies/image decide in Rego (commands/scan_image.py). The content is never kept.
"""
from __future__ import annotations

import contextlib
import io
import json
import os
import tarfile
from dataclasses import dataclass
from typing import IO, Iterator, Optional

from .audit.material import Fingerprinter, scan_bytes
from .findings import EvaluationError, Report

MAX_FILE = 4 * 1024 * 1024      # files larger than this are only checked by name
CHUNK = 1024 * 1024
NAMES = (".credentials.json", ".claude.json")


@dataclass
class Layer:
    digest: str
    open: callable   # () -> binary stream of the (possibly compressed) layer tar


def _digest_of(name: str) -> str:
    base = name.replace("\\", "/")
    if "/blobs/sha256/" in "/" + base:
        return "sha256:" + base.rsplit("/", 1)[-1]
    return base


def _json_member(tf_path: str, member: str) -> Optional[dict]:
    with tarfile.open(tf_path, "r:*") as tf:
        try:
            f = tf.extractfile(member)
        except KeyError:
            return None
        return json.load(f) if f else None


# Layout readers: both give the layers in order, each opened lazily --------------------------------

def _oci_dir_layers(root: str) -> list[Layer]:
    with open(os.path.join(root, "index.json"), encoding="utf-8") as fh:
        index = json.load(fh)

    def blob(digest: str) -> str:
        algo, hexd = digest.split(":", 1)
        return os.path.join(root, "blobs", algo, hexd)

    layers: list[Layer] = []
    def load(digest: str) -> dict:
        with open(blob(digest), encoding="utf-8") as fh:
            return json.load(fh)

    for desc in _manifests(index, load):
        for layer in desc.get("layers") or []:
            path = blob(layer["digest"])
            layers.append(Layer(layer["digest"], lambda p=path: open(p, "rb")))
    return layers


def _manifests(index: dict, load) -> Iterator[dict]:
    for m in index.get("manifests") or []:
        mt = m.get("mediaType", "")
        doc = load(m["digest"])
        if "index" in mt or "manifest.list" in mt or doc.get("manifests"):
            yield from _manifests(doc, load)
        else:
            yield doc


def _tar_layers(path: str) -> list[Layer]:
    """docker save (manifest.json) or an OCI layout packed in a tar (index.json)."""
    with tarfile.open(path, "r:*") as tf:
        names = set(tf.getnames())
    if "manifest.json" in names:
        manifest = _json_member(path, "manifest.json") or []
        layer_names: list[str] = []
        for image in manifest:
            for ln in image.get("Layers") or []:
                if ln not in layer_names:
                    layer_names.append(ln)
    elif "index.json" in names:
        index = _json_member(path, "index.json") or {}
        layer_names = []
        for m in _manifests(index, lambda d: _json_member(path, "blobs/" + d.replace(":", "/")) or {}):
            layer_names += ["blobs/" + layer["digest"].replace(":", "/") for layer in m.get("layers") or []]
    else:
        raise EvaluationError(f"{path}: neither a docker save archive (manifest.json) nor an OCI layout (index.json)")

    def opener(member: str):
        @contextlib.contextmanager
        def _open():
            with tarfile.open(path, "r:*") as tf:
                f = tf.extractfile(member)
                if f is None:
                    raise EvaluationError(f"{path}: layer {member} missing")
                yield f
        return _open
    return [Layer(_digest_of(n), opener(n)) for n in layer_names]


def layers_of(path: str) -> list[Layer]:
    try:
        if os.path.isdir(path):
            if not os.path.isfile(os.path.join(path, "index.json")):
                raise EvaluationError(f"{path}: not an OCI image layout (no index.json)")
            return _oci_dir_layers(path)
        return _tar_layers(path)
    except (OSError, tarfile.TarError, ValueError, KeyError) as exc:
        raise EvaluationError(f"{path}: cannot read the image ({type(exc).__name__}: {exc})") from None


# Scanning -------------------------------------------------------------------------------------------

def _read_limited(f: IO[bytes], limit: int) -> bytes:
    buf = io.BytesIO()
    while buf.tell() < limit:
        chunk = f.read(min(CHUNK, limit - buf.tell()))
        if not chunk:
            break
        buf.write(chunk)
    return buf.getvalue()


def _deleted_later(path: str, later_whiteouts: list[set[str]]) -> bool:
    parts = path.split("/")
    for wo in later_whiteouts:
        for i in range(1, len(parts) + 1):
            if "/".join(parts[:i]) in wo:
                return True
    return False


def scan_layer(stream: IO[bytes], fp: Fingerprinter) -> tuple[list[dict], set[str]]:
    """Facts about the files of one layer that have a Claude file name or hold token material
    ({path, credentials_json, material, oauth_account}), and the paths its whiteouts delete."""
    files: list[dict] = []
    whiteouts: set[str] = set()
    with tarfile.open(fileobj=stream, mode="r|*") as tf:   # streaming: members in order, no seeking
        for member in tf:
            name = member.name.lstrip("./").lstrip("/")
            base = name.rsplit("/", 1)[-1]
            if base.startswith(".wh."):
                parent = name.rsplit("/", 1)[0] if "/" in name else ""
                if base == ".wh..wh..opq":
                    whiteouts.add(parent + "/*" if parent else "*")
                else:
                    whiteouts.add((parent + "/" if parent else "") + base[4:])
                continue
            if not member.isfile():
                continue
            f = tf.extractfile(member)
            if f is None:
                continue
            m = scan_bytes(_read_limited(f, MAX_FILE), fp)
            if base in NAMES or m.found:
                files.append({"path": name, "credentials_json": bool(m.credentials_json),
                              "material": bool(m.found), "oauth_account": bool(m.oauth_account)})
    return files, whiteouts


def _opaque_match(path: str, whiteouts: list[set[str]]) -> bool:
    for wo in whiteouts:
        for w in wo:
            if w == "*" or (w.endswith("/*") and path.startswith(w[:-1])):
                return True
    return False


def image_facts(target: str, fp: Fingerprinter, report: Report) -> list[dict]:
    """The facts of every layer of one image, in layer order, each marked deleted_later when a
    later layer's whiteout removes it from the merged filesystem."""
    per_layer: list[tuple[Layer, list[dict], set[str]]] = []
    for layer in layers_of(target):
        with layer.open() as stream:
            try:
                files, wo = scan_layer(stream, fp)
            except (tarfile.TarError, OSError, EOFError) as exc:
                report.failures.append(f"{target}: layer {layer.digest}: unreadable ({exc})")
                continue
        per_layer.append((layer, files, wo))
        report.documents += 1
    facts = []
    for i, (layer, files, _wo) in enumerate(per_layer):
        later = [w for (_l, _f, w) in per_layer[i + 1:]]
        for f in files:
            deleted = _deleted_later(f["path"], later) or _opaque_match(f["path"], later)
            facts.append({**f, "image": target, "layer": layer.digest, "deleted_later": deleted})
    return facts
