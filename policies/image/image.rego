# METADATA
# title: Claude credentials baked into container image layers
# description: >-
#   Decides over facts that `aifactory-policy scan-image` gathered from every layer of a saved
#   image (never file content: token material arrives as booleans). input = {"files": [{"image",
#   "layer", "path", "credentials_json", "material", "oauth_account", "deleted_later"}]}, one entry
#   per file that has a Claude file name or holds material. data.image.findings is a set of
#   {rule, severity, image, layer, path, msg}.
# custom:
#   rules:
#   - id: AIF301
#     severity: error
#     short_title: Claude credentials file baked into an image layer
#     rationale: >-
#       Anyone who pulls the image reads the full-scope login from the layer, also when a later
#       layer deletes the file (the whiteout hides it, the layer still ships it).
#     remediation: >-
#       Rebuild the image without it (deleting it in a later layer does not remove it) and rotate the login.
#   - id: AIF302
#     severity: error
#     short_title: Claude state with an OAuth account baked into an image layer
#     rationale: >-
#       ~/.claude.json with an oauthAccount names the account and organization of a login and
#       shows the image was built from someone's logged-in home directory.
#     remediation: >-
#       Rebuild the image without ~/.claude.json; seed it at runtime (the chart's claudeState).
#   - id: AIF303
#     severity: error
#     short_title: Token material in an image layer
#     rationale: >-
#       A Claude or Anthropic token (sk-ant-...) or a credentials JSON in any file of any layer is
#       readable by whoever pulls the image.
#     remediation: >-
#       Rebuild the image without the file and rotate the token.
package image

import data.lib.finding as lib_finding

fix := "rebuild the image without it (never COPY ~/.claude; mount the credentials from a Secret at run time), rotate that login, and delete the pushed image and its layers"

what := {
	"AIF301": "a Claude credentials file (.credentials.json) is baked into the image",
	"AIF302": "a .claude.json with an oauthAccount (account and organization of a login) is baked into the image",
	"AIF303": "Claude/Anthropic token material (sk-ant-… or a credentials JSON) is baked into the image",
}

base(path) := regex.replace(path, `^.*/`, "")

# A file a later layer deletes still ships in its own layer.
still_shipped(f) := " and deleted by a later layer's whiteout, but still in the image: anyone who pulls it can read the layer" if {
	f.deleted_later
} else := ""

finding(rule, f) := lib_finding.make(rego.metadata.chain(), {
	"rule": rule,
	"image": f.image,
	"layer": f.layer,
	"path": f.path,
	"msg": sprintf("%s at /%s in layer %s%s; %s", [what[rule], f.path, f.layer, still_shipped(f), fix]),
})

# AIF301: a .credentials.json holding a login, or any file at the place Claude Code reads it.
credentials_file(f) if {
	base(f.path) == ".credentials.json"
	f.credentials_json
}

credentials_file(f) if {
	base(f.path) == ".credentials.json"
	f.material
}

credentials_file(f) if endswith(f.path, ".claude/.credentials.json")

findings contains finding("AIF301", f) if {
	some f in input.files
	credentials_file(f)
}

# AIF302: Claude Code's state with the account and organization of a login.
findings contains finding("AIF302", f) if {
	some f in input.files
	base(f.path) == ".claude.json"
	f.oauth_account
}

# AIF303: token material in any other file.
findings contains finding("AIF303", f) if {
	some f in input.files
	f.material
	base(f.path) != ".credentials.json"
}
