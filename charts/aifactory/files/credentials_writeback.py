# placeholder: the write-back sidecar (issue: credentials that keep working)
