"""The rule catalogue: ids, titles and help text shared by SARIF, JUnit and text output."""
from __future__ import annotations

RULES = {
    "AIF001": ("credential_material", "Credential material in values or manifests",
               "A Claude Code token (sk-ant-...), a credentials JSON (claudeAiOauth) or base64 of either "
               "was found. Remove it; rotate a login, revoke an API or admin key in the Anthropic Console; "
               "reference an existing Secret instead."),
    "AIF002": ("credentials_mount", "Unsafe credentials mount",
               "Mount the credentials as one file (subPath), readOnly: true, with no write bit and no "
               "permission bits for others (defaultMode 0400)."),
    "AIF003": ("remote_control_env", "Environment that breaks or bypasses Remote Control",
               "Remove literal tokens, ANTHROPIC_API_KEY and CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC "
               "from workloads that run Remote Control."),
    "AIF004": ("pod_security", "Workload violates restricted Pod Security",
               "On pods that hold or can reach the credentials, and this chart's pods: set runAsNonRoot, "
               "allowPrivilegeEscalation: false, capabilities.drop [ALL] and seccompProfile RuntimeDefault."),
    "AIF005": ("shared_credentials", "One credentials Secret used by two releases",
               "Give every release its own login and Secret: a refresh-token family must have one holder."),
    "AIF006": ("single_holder", "More than one holder of a token family",
               "With Remote Control on use replicas: 1, strategy Recreate and no autoscaler."),
    "AIF007": ("writeback", "Writable credentials without write-back, or a write-back Role too wide",
               "Use mode writeBack for writable credentials, scope its Role to the one Secret, and bind no "
               "Role that writes every Secret to the ServiceAccount of a credentials holder."),
    "AIF100": (None, "Values do not match values.schema.json",
               "Fix the key named in the message: the chart's schema rejects it."),
    "AIF101": (None, "The chart refused the values",
               "A template guard failed with ERROR:; set the value its message names."),
    # audit (policies/audit): facts gathered from a live cluster or a recorded dump
    "AIF201": (None, "The same login in two Secrets",
               "Give every install its own login (aifactory-policy credentials login) and delete the copy."),
    "AIF202": (None, "Credentials older than the rotation cadence",
               "Rotate the login (aifactory-policy credentials rotate); the default cadence is 30 days."),
    "AIF203": (None, "A subject beyond the allow list can read the credentials Secret",
               "Narrow the RoleBinding/ClusterRoleBinding, or allow the subject with --allow-subject."),
    "AIF204": (None, "Credentials without a service-account owner",
               "Annotate the Secret with aifactory.dev/owner=system:serviceaccount:<ns>:<name> and use a "
               "dedicated login, not a person's."),
    "AIF205": (None, "The login in the Secret is dead, or expired and not written back",
               "A read-only mode cannot keep a refreshed login: log in again, rotate, and use "
               "remoteControl.mode=writeBack."),
    "AIF206": (None, "One credentials Secret held by two running pods",
               "Run one pod per login: replicas 1, strategy Recreate, no second workload on the Secret."),
    # scan-image
    "AIF301": (None, "Claude credentials file baked into an image layer",
               "Rebuild the image without it (deleting it in a later layer does not remove it) and rotate the login."),
    "AIF302": (None, "Claude state with an OAuth account baked into an image layer",
               "Rebuild the image without ~/.claude.json; seed it at runtime (the chart's claudeState)."),
    "AIF303": (None, "Token material in an image layer",
               "Rebuild the image without the file and rotate the token."),
}


def title_of(rule: str) -> str:
    entry = RULES.get(rule)
    return entry[1] if entry else rule


def help_of(rule: str) -> str:
    entry = RULES.get(rule)
    return entry[2] if entry else "See the policy's README."


def readme_of(rule: str):
    entry = RULES.get(rule)
    return f"policies/rules/{entry[0]}/README.md" if entry and entry[0] else None
