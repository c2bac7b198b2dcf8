"""Lists of custom resources whose CRD may not be installed (the workload kinds of Argo Rollouts,
Knative, OpenKruise, KEDA, Argo Workflows and Tekton; the controllers that write a Secret).

An API the server does not serve (404 for every version tried) means that project is absent: noted,
not an error and not a finding. The versions are tried newest first. A list the identity may not
make (403) is unavailable: what it is for is not checked, and --publish refuses a partial view.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable, Optional

from .source import ClusterSource, Resource, Unavailable


@dataclass(frozen=True)
class Api:
    key: str                     # the inventory's name for it, and the dump's file name
    plural: str                  # as in the API path
    kind: str
    versions: tuple[str, ...]    # newest first
    what: str                    # the project, for notes
    namespaced: bool = True

    def resource(self, version: str) -> Resource:
        return Resource(self.plural, self.kind, version, namespaced=self.namespaced,
                        dump="" if self.key == self.plural else self.key)


def collect(apis: list[Api], source: ClusterSource, namespaces: Optional[list[str]],
            progress: Callable[[str], None], objects: dict, unavailable: dict, absent: dict,
            purpose: Callable[[Api], str], trim: Callable[[dict], dict]) -> None:
    """Lists each API into objects[api.key]; a list refused goes to `unavailable`, an API that is not
    served to `absent` (with why)."""
    for api in apis:
        scopes = [None] if (not namespaces or not api.namespaced) else namespaces
        dumped = True
        for version in api.versions:
            res = api.resource(version)
            try:
                items: list[dict] = []
                for ns in scopes:
                    items += source.list(res, ns)
            except Unavailable as exc:
                if exc.status in (0, 404):   # not served (a dump without the file: not recorded)
                    dumped = dumped and exc.status == 0
                    continue
                unavailable[api.key] = str(exc)
                progress(f"{api.key}: cannot list ({exc}); not checked: {purpose(api)}")
                break
            objects[api.key] = [trim(i) for i in items]
            progress(f"{api.key} ({version}): {len(items)}")
            break
        else:
            absent[api.key] = (f"not in the dump ({api.what}: counted as not installed)" if dumped else
                               f"not served ({api.what} is not installed: no {', '.join(api.versions)})")
            progress(f"{api.key}: {absent[api.key]}")
