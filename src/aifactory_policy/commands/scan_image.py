"""`scan-image`: credentials baked into a container image (docker save tarball or OCI layout).

image.py reads the layers and gathers facts per file; the rules of policies/image decide in Rego,
as the engine's whole-input query over those facts (one `opa eval` for all images). Findings name the layer digest and the path;
the content is never printed.
"""
from __future__ import annotations

from typing import Optional

from .. import opa
from ..audit.material import Fingerprinter
from ..findings import Report
from ..image import image_facts
from ..rules import finding_of
from ..tools import policies_dir
from . import add_common


def scan_images(targets: list[str], policies: Optional[str] = None, opa_path: Optional[str] = None) -> Report:
    report = Report(command="scan-image")
    pol = policies_dir(policies)
    fp = Fingerprinter()
    facts: list[dict] = []
    for target in targets:
        facts += image_facts(target, fp, report)
        report.inputs.append(target)
    if not facts:
        return report
    plan = opa.Plan(queries={"image": "data.image.findings"}, context={"files": facts})
    found = opa.outcome_of([], pol, opa_path, plan).values["image"]
    order = {(f["image"], f["layer"], f["path"]): i for i, f in enumerate(facts)}
    for r in sorted(found or [], key=lambda r: (order.get((r.get("image"), r.get("layer"), r.get("path")), 0),
                                               str(r.get("rule")))):
        report.findings.append(finding_of(r, "AIF000", file=r.get("image"), resource=f"layer {r.get('layer')}",
                                          path=f"/{r.get('path')}"))
    return report


EPILOG = """Reads a `docker save` tarball (manifest.json), an OCI image layout folder (index.json,
blobs/sha256/...) or an OCI layout packed in a tar. No registry, no daemon. Every layer is
streamed in order; a file a later layer deletes (whiteout .wh.<name> or opaque .wh..wh..opq)
is still reported, since the layer still ships it.

rules:
  AIF301  a .credentials.json (Claude credentials) in any layer
  AIF302  a .claude.json holding oauthAccount in any layer
  AIF303  token material (sk-ant-..., claudeAiOauth, base64 of them) in any other file (<= 4 MiB)

examples:
  docker save my/agent:1.0 -o agent.tar && aifactory-policy scan-image agent.tar
  aifactory-policy scan-image ./oci-layout --format sarif --output image.sarif

exit codes: 0 no error finding, 1 at least one, 2 could not read the image"""


def add_parser(sub, formatter) -> None:
    p = sub.add_parser("scan-image", formatter_class=formatter, epilog=EPILOG,
                       help="find Claude credentials baked into an image (docker save / OCI layout)",
                       description="Scan every layer of a saved image for Claude credentials, including "
                                   "files deleted by later layers.")
    p.add_argument("images", nargs="+", metavar="IMAGE_TAR|OCI_LAYOUT_DIR", help="image archive or layout folder")
    add_common(p)


def run(args) -> Report:
    return scan_images(args.images, policies=args.policies, opa_path=args.opa)
