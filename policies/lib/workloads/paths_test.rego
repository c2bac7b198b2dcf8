package lib.workloads_test

import data.lib.workloads

# clean_path resolves a mountPath as Go's path.Clean does (the kubelet and runtime see that path).
clean_cases := {
	"/home/nonroot/.claude/.credentials.json": "/home/nonroot/.claude/.credentials.json",
	"/home/nonroot//.claude///.credentials.json": "/home/nonroot/.claude/.credentials.json",
	"/home/nonroot/.claude/./.credentials.json/": "/home/nonroot/.claude/.credentials.json",
	"/home/nonroot/x/y/../../.claude/.credentials.json": "/home/nonroot/.claude/.credentials.json",
	"/../home/.claude": "/home/.claude",
	"/a/..b/../.claude": "/a/.claude",
	"/a/.b/../.claude": "/a/.claude",
	"/a/b/../..": "/",
	"/": "/",
	"relative/./x/": "relative/x",
	"": "",
}

test_clean_path if {
	every p, want in clean_cases {
		workloads.clean_path(p) == want
	}
	workloads.clean_path(42) == ""
}

test_credentials_paths_after_cleaning if {
	workloads.is_credentials_file_path("/root/.claude/./.credentials.json/")
	workloads.is_claude_dir_path("/root/.claude//")
	not workloads.is_credentials_file_path("/root/.claude/.credentials.json/../other")
}
