"""Documents of the kinds the cross-document rules read by name (ConfigMaps, Secrets: a quarter of a
cluster's manifests), put aside on disk while the batches run. Only after every batch has said which
names its documents refer to does the engine know which of them the whole-input rules need; holding
them all in memory until then would make memory grow with the documents. Memory here: four machine
integers per document (id, name hash, offset, length)."""
from __future__ import annotations

import pickle
import tempfile
from array import array
from typing import IO, Iterable, Iterator, Optional

from .documents import InputDoc


class NamedDocuments:
    def __init__(self) -> None:
        self._file: Optional[IO[bytes]] = None
        self._ids, self._hashes = array("q"), array("q")
        self._offsets, self._lengths = array("q"), array("q")

    def put(self, i: int, kind: str, name: str, ref: InputDoc, part: str) -> None:
        if self._file is None:
            # unnamed (O_TMPFILE, or unlinked at once) and 0600: a scanned Secret's data never has a
            # path another process could open, and it is gone when the evaluation closes
            self._file = tempfile.TemporaryFile(prefix="aifactory-named-")
        record = pickle.dumps((ref, part), protocol=pickle.HIGHEST_PROTOCOL)
        self._file.seek(0, 2)
        self._offsets.append(self._file.tell())
        self._file.write(record)
        self._ids.append(i)
        self._hashes.append(hash((kind, name)))
        self._lengths.append(len(record))

    def named(self, names: Iterable[tuple[str, str]]) -> Iterator[tuple[int, InputDoc, str]]:
        """(id, ref, part) of the documents put aside whose [kind, name] is among names (a hash
        collision only adds a document no rule joins)."""
        wanted = {hash(n) for n in names}
        if self._file is None or not wanted:
            return
        for n, h in enumerate(self._hashes):
            if h in wanted:
                self._file.seek(self._offsets[n])
                ref, part = pickle.loads(self._file.read(self._lengths[n]))
                yield self._ids[n], ref, part

    def close(self) -> None:
        if self._file is not None:
            self._file.close()
            self._file = None
