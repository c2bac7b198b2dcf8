"""Small container images built in Python: docker-save tarballs and OCI layouts (no daemon)."""
from __future__ import annotations

import gzip
import hashlib
import io
import json
import tarfile
from pathlib import Path


def layer_tar(files: dict[str, bytes | None], big: dict[str, int] | None = None) -> bytes:
    """A layer: path -> content; None makes a whiteout entry deleting `path`; big: path -> size of zeros."""
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w") as tf:
        for path, data in files.items():
            if data is None:
                d, _, base = path.rpartition("/")
                path, data = (f"{d}/.wh.{base}" if d else f".wh.{base}"), b""
            info = tarfile.TarInfo(path)
            info.size = len(data)
            info.mode = 0o600
            tf.addfile(info, io.BytesIO(data))
        for path, size in (big or {}).items():
            info = tarfile.TarInfo(path)
            info.size = size
            tf.addfile(info, _Zeros(size))
    return buf.getvalue()


class _Zeros(io.RawIOBase):
    def __init__(self, n):
        self.n = n

    def read(self, size=-1):
        size = self.n if size < 0 else min(size, self.n)
        self.n -= size
        return b"\0" * size


def sha(b: bytes) -> str:
    return hashlib.sha256(b).hexdigest()


def docker_save(path: Path, layers: list[bytes], tag: str = "test/agent:1") -> Path:
    config = json.dumps({"rootfs": {"type": "layers", "diff_ids": [f"sha256:{sha(l)}" for l in layers]}}).encode()
    with tarfile.open(path, "w") as tf:
        def add(name, data):
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tf.addfile(info, io.BytesIO(data))
        names = []
        for layer in layers:
            name = f"{sha(layer)}/layer.tar"
            add(name, layer)
            names.append(name)
        add(f"{sha(config)}.json", config)
        add("manifest.json", json.dumps([{"Config": f"{sha(config)}.json", "RepoTags": [tag], "Layers": names}]).encode())
    return path


def oci_layout(root: Path, layers: list[bytes], packed: bool = False) -> Path:
    """An OCI image layout (gzip layers) in folder `root`, or a tar of it when packed."""
    blobs: dict[str, bytes] = {}

    def blob(data: bytes) -> str:
        blobs[sha(data)] = data
        return f"sha256:{sha(data)}"
    gz = [gzip.compress(l, mtime=0) for l in layers]
    config = json.dumps({"rootfs": {"type": "layers", "diff_ids": [f"sha256:{sha(l)}" for l in layers]}}).encode()
    manifest = json.dumps({"schemaVersion": 2, "mediaType": "application/vnd.oci.image.manifest.v1+json",
                           "config": {"mediaType": "application/vnd.oci.image.config.v1+json",
                                      "digest": blob(config), "size": len(config)},
                           "layers": [{"mediaType": "application/vnd.oci.image.layer.v1.tar+gzip",
                                       "digest": blob(g), "size": len(g)} for g in gz]}).encode()
    index = json.dumps({"schemaVersion": 2, "manifests": [{"mediaType": "application/vnd.oci.image.manifest.v1+json",
                                                           "digest": blob(manifest), "size": len(manifest)}]}).encode()
    files = {"oci-layout": b'{"imageLayoutVersion": "1.0.0"}', "index.json": index,
             **{f"blobs/sha256/{h}": d for h, d in blobs.items()}}
    if packed:
        with tarfile.open(root, "w") as tf:
            for name, data in files.items():
                info = tarfile.TarInfo(name)
                info.size = len(data)
                tf.addfile(info, io.BytesIO(data))
        return root
    for name, data in files.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_bytes(data)
    return root
