"""The wheel carries what the CLI needs besides helm and opa: the build copies the Rego policies
(policies/), the chart (charts/aifactory, for `check` without CHART) and ci/versions.env (the
Kubernetes version `check` renders for, the tool versions its errors name) into
aifactory_policy/bundled/. A checkout (editable install, tests) reads them in place instead;
aifactory_policy.tools decides which. pyproject.toml holds everything else."""
from __future__ import annotations

import shutil
from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py

ROOT = Path(__file__).resolve().parent
# source -> (place under bundled/, names left out). The policies' samples and tests are test data
# (aifactory_policy.opa ignores them too); the chart's ci/ is its scenario matrix (.helmignore).
BUNDLE = {
    "policies": ("policies", ("samples", "*_test.rego", "testing", "test.sh", "suite.yaml", "admission.yaml",
                              "__pycache__")),
    "charts/aifactory": ("charts/aifactory", ("ci", "*.md.gotmpl", "*.swp", "*.bak", "*.tmp")),
    "ci/versions.env": ("ci/versions.env", ()),
}


class BuildWithPolicies(build_py):
    def run(self):
        super().run()
        if getattr(self, "editable_mode", False):  # pip install -e: the checkout is read in place
            return
        dest = Path(self.build_lib) / "aifactory_policy" / "bundled"
        shutil.rmtree(dest, ignore_errors=True)
        for source, (target, skip) in BUNDLE.items():
            src = ROOT / source
            if not src.exists():
                raise SystemExit(f"{src} is missing: build from the repository checkout or its sdist")
            ignore = shutil.ignore_patterns(*skip)
            if src.is_dir():
                shutil.copytree(src, dest / target, ignore=ignore)
            else:
                (dest / target).parent.mkdir(parents=True, exist_ok=True)
                shutil.copy2(src, dest / target)


setup(cmdclass={"build_py": BuildWithPolicies})
