"""Render the chart with the real Helm binaries in bin/ (both majors) and index the result."""
from __future__ import annotations

import copy
import functools
import subprocess
from dataclasses import dataclass
from pathlib import Path


from aifactory_policy.tools import go_tool_env
from helpers import yaml_docs

REPO = Path(__file__).resolve().parent.parent
CHART = REPO / "charts" / "aifactory"
EXAMPLES = sorted((REPO / "values-examples").glob("*-values.yaml"))
HELMS = {"helm3": REPO / "bin" / "helm3", "helm4": REPO / "bin" / "helm4"}
CREDENTIALS_PATH = "/home/nonroot/.claude/.credentials.json"


@dataclass
class Rendered:
    docs: list[dict]

    def one(self, kind: str, name_suffix: str = "") -> dict:
        found = [d for d in self.docs if d["kind"] == kind and d["metadata"]["name"].endswith(name_suffix)]
        assert len(found) == 1, f"expected one {kind} *{name_suffix}, got {[d['metadata']['name'] for d in found]}"
        return found[0]

    def kinds(self) -> list[str]:
        return sorted(d["kind"] for d in self.docs)

    @property
    def deployment(self) -> dict:
        """The agent's Deployment (broker mode renders the broker's beside it)."""
        found = [d for d in self.docs if d["kind"] == "Deployment"
                 and d["metadata"]["labels"].get("app.kubernetes.io/component") == "agent"]
        assert len(found) == 1, [d["metadata"]["name"] for d in found]
        return found[0]

    @property
    def pod_spec(self) -> dict:
        return self.deployment["spec"]["template"]["spec"]

    def container(self, name: str) -> dict:
        return next(c for c in self.pod_spec["containers"] + self.pod_spec.get("initContainers", [])
                    if c["name"] == name)

    def volume(self, name: str) -> dict:
        return next(v for v in self.pod_spec["volumes"] if v["name"] == name)


def helm_template(helm: str, *args: str, release: str = "t", namespace: str = "aifactory") -> subprocess.CompletedProcess:
    return subprocess.run([str(HELMS[helm]), "template", release, str(CHART), "-n", namespace, *args],
                          capture_output=True, text=True, timeout=60, env=go_tool_env())


@functools.lru_cache(maxsize=None)
def _result(helm: str, args: tuple[str, ...], release: str, namespace: str) -> subprocess.CompletedProcess:
    """One real `helm template` per distinct command line in a test process: many tests read the
    same render (the chart does not change during a run)."""
    return helm_template(helm, *args, release=release, namespace=namespace)


def render_result(helm: str, *args: str, release: str = "t", namespace: str = "aifactory") -> subprocess.CompletedProcess:
    return _result(helm, tuple(args), release, namespace)


@functools.lru_cache(maxsize=None)
def _rendered_docs(helm: str, args: tuple[str, ...], release: str, namespace: str) -> tuple[dict, ...]:
    result = _result(helm, args, release, namespace)
    assert result.returncode == 0, result.stderr
    return tuple(yaml_docs(result.stdout))


def render(helm: str, *args: str, release: str = "t", namespace: str = "aifactory") -> Rendered:
    return Rendered(copy.deepcopy(list(_rendered_docs(helm, tuple(args), release, namespace))))


def _refusal(helm: str, args: tuple[str, ...]) -> str:
    result = _result(helm, args, "t", "aifactory")
    assert result.returncode != 0, "expected the chart to refuse these values"
    return result.stderr


def render_error(helm: str, *args: str) -> str:
    return _refusal(helm, tuple(args))
