"""Every manifest the chart renders (each values example, each credentials mode) is valid against
the Kubernetes OpenAPI schemas of the versions the chart supports (kubeVersion >= 1.30), offline
and strict (unknown fields fail), with the schemas the kubernetes-validate package ships."""
from __future__ import annotations

import functools

import pytest
import kubernetes_validate
import kubernetes_validate.utils

from chart_render import EXAMPLES, render

# validate() reads and parses the schema and the multi-megabyte _definitions.json of the version
# on every call; the files never change during a run, so parse each once (read-only use).
kubernetes_validate.utils.schema_contents = functools.lru_cache(maxsize=None)(kubernetes_validate.utils.schema_contents)

SUPPORTED = ["1.30.0", "1.32.0", "1.34.0", "1.37.0"]
SCENARIOS = [("-f", str(e)) for e in EXAMPLES] + [
    ("--set", "remoteControl.enabled=true", "--set", "remoteControl.credentialsSecretName=c", "--set", f"remoteControl.mode={m}")
    for m in ("readOnly", "ownedCopy", "writeBack")]


@pytest.fixture(scope="module", params=SCENARIOS, ids=lambda s: s[1].rsplit("/", 1)[-1] if s[0] == "-f" else s[-1])
def rendered(request):
    return render("helm4", *request.param).docs


@pytest.mark.parametrize("version", SUPPORTED)
def test_rendered_manifests_match_the_kubernetes_openapi_schema(rendered, version):
    assert rendered
    for doc in rendered:
        try:
            kubernetes_validate.validate(doc, version, strict=True)
        except kubernetes_validate.ValidationError as exc:
            pytest.fail(f"{doc['kind']}/{doc['metadata']['name']} invalid for Kubernetes {version}: {exc.message} at {list(exc.path)}")
