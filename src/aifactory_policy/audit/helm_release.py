"""Decode Helm 3/4 release records (Secrets of type helm.sh/release.v1), every revision.

Storage format (helm/pkg/storage/driver/util.go): the Secret's `data.release` is base64 (the API's
encoding) of base64 text of a gzip'ed JSON release: {name, namespace, version, config (the user's
values), chart: {metadata, values, templates}, manifest, hooks: [{manifest}]}.
"""
from __future__ import annotations

import base64
import binascii
import gzip
import json
import zlib
from dataclasses import dataclass
from typing import Any, Optional

import yaml

RELEASE_TYPE = "helm.sh/release.v1"
GZIP_MAGIC = b"\x1f\x8b"
MAX_RELEASE_BYTES = 64 * 1024 * 1024  # a decompression bomb stops here


@dataclass
class ReleaseDoc:
    part: str      # "values", "chart values", "manifest", "hook manifest"
    content: Any


@dataclass
class Release:
    name: str
    namespace: str
    revision: int
    status: str
    docs: list[ReleaseDoc]


class NotARelease(ValueError):
    pass


def decode_payload(encoded: str) -> dict:
    """`data.release` of the Secret -> the release JSON object."""
    try:
        inner = base64.b64decode(encoded)           # Kubernetes data encoding
        raw = base64.b64decode(inner)               # Helm's own base64
    except (binascii.Error, ValueError) as exc:
        raise NotARelease(f"not base64 ({exc})") from None
    if raw[:2] == GZIP_MAGIC:
        try:
            d = zlib.decompressobj(16 + zlib.MAX_WBITS)
            raw = d.decompress(raw, MAX_RELEASE_BYTES)
            if d.unconsumed_tail:
                raise NotARelease(f"larger than {MAX_RELEASE_BYTES} bytes uncompressed")
        except (zlib.error, gzip.BadGzipFile) as exc:
            raise NotARelease(f"bad gzip ({exc})") from None
    try:
        obj = json.loads(raw)
    except ValueError as exc:
        raise NotARelease(f"not JSON ({exc})") from None
    if not isinstance(obj, dict):
        raise NotARelease("not a JSON object")
    return obj


def _manifest_docs(text: Optional[str], part: str) -> list[ReleaseDoc]:
    out = []
    if not isinstance(text, str) or not text.strip():
        return out
    try:
        for doc in yaml.safe_load_all(text):
            if doc is not None:
                out.append(ReleaseDoc(part, doc))
    except yaml.YAMLError:
        out.append(ReleaseDoc(part + " (raw text)", {"aifactoryRawText": {"lines": text.splitlines()}}))
    return out


def decode(secret: dict) -> Release:
    meta = secret.get("metadata") or {}
    payload = (secret.get("data") or {}).get("release")
    if not isinstance(payload, str):
        raise NotARelease("no data.release")
    obj = decode_payload(payload)
    labels = meta.get("labels") or {}
    chart = obj.get("chart") if isinstance(obj.get("chart"), dict) else {}
    docs: list[ReleaseDoc] = []
    if obj.get("config"):
        docs.append(ReleaseDoc("values", obj["config"]))
    if chart.get("values"):
        docs.append(ReleaseDoc("chart values", chart["values"]))
    docs += _manifest_docs(obj.get("manifest"), "manifest")
    for hook in obj.get("hooks") or []:
        if isinstance(hook, dict):
            docs += _manifest_docs(hook.get("manifest"), "hook manifest")
    info = obj.get("info") if isinstance(obj.get("info"), dict) else {}
    revision = obj.get("version") if isinstance(obj.get("version"), int) else int(labels.get("version", 0) or 0)
    return Release(name=str(obj.get("name") or labels.get("name") or ""),
                   namespace=str(obj.get("namespace") or meta.get("namespace") or ""),
                   revision=revision, status=str(info.get("status") or labels.get("status") or ""), docs=docs)
