"""`aifactory-policy credentials`: make, check and rotate the install's own Claude Code login.

One job per module: `validate` (is this a usable Remote Control login?), `sources` (where a login
comes from: `claude auth login`, a file, stdin, the macOS Keychain), `fingerprint` (keyed HMAC),
`owner` (the owning service account convention), `secret` (the Secret's shape, labels and
annotations), `broker` (a broker install's objects and what they say about its health), `kube` (the
few Kubernetes API calls, behind an interface), and one module per command (`create`, `rotate`,
`status`), wired by `cli`.
"""
