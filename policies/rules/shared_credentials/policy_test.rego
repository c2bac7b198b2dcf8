package rules.shared_credentials_test

import data.lib.testing
import data.rules.shared_credentials

# Every case below: shared_credentials.deny of its input is exactly its want (a set of findings).
check(c) if testing.same(shared_credentials.deny, c.want) with input as c.input

# mount in alpha, annotation in beta
test_two_releases_one_secret if check(cases.two_releases_one_secret)

cases["two_releases_one_secret"] := {
	"input": testing.combined([
		testing.chart("Deployment", "alpha", "readOnly", testing.pod),
		testing.chart("Deployment", "beta", "ownedCopy", testing.owned_copy_pod),
	]),
	"want": {
		cross_finding(null, "Secret aifactory/claude-remote-credentials is the Claude credentials of release \"alpha\" (Deployment aifactory/alpha in 0.yaml) and also of release \"beta\" (Deployment aifactory/beta in 1.yaml): one login per install, since every holder of a login shares one token family; run `claude auth login` for release \"beta\", create its own Secret and set remoteControl.credentialsSecretName to it", [0, 1]),
	},
}

# a multi-document file is a list of documents
test_multi_document_file if check(cases.multi_document_file)

cases["multi_document_file"] := {
	"input": [
		{
			"contents": [
				testing.chart("Deployment", "alpha", "readOnly", testing.pod),
				testing.chart("Deployment", "beta", "readOnly", testing.pod),
			],
			"path": "all.yaml",
		},
	],
	"want": {
		cross_finding(null, "Secret aifactory/claude-remote-credentials is the Claude credentials of release \"alpha\" (Deployment aifactory/alpha in all.yaml) and also of release \"beta\" (Deployment aifactory/beta in all.yaml): one login per install, since every holder of a login shares one token family; run `claude auth login` for release \"beta\", create its own Secret and set remoteControl.credentialsSecretName to it", [0]),
	},
}

# no instance label: the workload name is the release
test_release_falls_back_to_name if check(cases.release_falls_back_to_name)

cases["release_falls_back_to_name"] := {
	"input": testing.combined([
		testing.chart("Deployment", "alpha", "readOnly", testing.pod),
		json.remove(
			testing.chart("Deployment", "gamma", "readOnly", testing.pod),
			[["metadata", "labels"], ["spec", "template", "metadata", "labels", "app.kubernetes.io/instance"]],
		),
	]),
	"want": {
		cross_finding(null, "Secret aifactory/claude-remote-credentials is the Claude credentials of release \"alpha\" (Deployment aifactory/alpha in 0.yaml) and also of release \"gamma\" (Deployment aifactory/gamma in 1.yaml): one login per install, since every holder of a login shares one token family; run `claude auth login` for release \"gamma\", create its own Secret and set remoteControl.credentialsSecretName to it", [0, 1]),
	},
}

# one finding per extra release
test_three_releases_two_findings if check(cases.three_releases_two_findings)

cases["three_releases_two_findings"] := {
	"input": testing.combined([
		testing.chart("Deployment", "c", "readOnly", testing.pod),
		testing.chart("Deployment", "a", "readOnly", testing.pod),
		testing.chart("Deployment", "b", "readOnly", testing.pod),
	]),
	"want": {
		cross_finding(null, "Secret aifactory/claude-remote-credentials is the Claude credentials of release \"a\" (Deployment aifactory/a in 1.yaml) and also of release \"c\" (Deployment aifactory/c in 0.yaml): one login per install, since every holder of a login shares one token family; run `claude auth login` for release \"c\", create its own Secret and set remoteControl.credentialsSecretName to it", [0, 1]),
		cross_finding(null, "Secret aifactory/claude-remote-credentials is the Claude credentials of release \"a\" (Deployment aifactory/a in 1.yaml) and also of release \"b\" (Deployment aifactory/b in 2.yaml): one login per install, since every holder of a login shares one token family; run `claude auth login` for release \"b\", create its own Secret and set remoteControl.credentialsSecretName to it", [1, 2]),
	},
}

# two workloads of one release
test_same_release_allowed if check(cases.same_release_allowed)

cases["same_release_allowed"] := {
	"input": testing.combined([
		testing.chart("Deployment", "alpha", "readOnly", testing.pod),
		object.union(
			testing.chart("Deployment", "alpha-worker", "ownedCopy", testing.owned_copy_pod),
			{"metadata": {"labels": {"app.kubernetes.io/instance": "alpha"}}},
		),
	]),
	"want": set(),
}

# same name, other namespace
test_other_namespace_allowed if check(cases.other_namespace_allowed)

cases["other_namespace_allowed"] := {
	"input": testing.combined([
		testing.chart("Deployment", "alpha", "readOnly", testing.pod),
		object.union(testing.chart("Deployment", "beta", "readOnly", testing.pod), {"metadata": {"namespace": "other"}}),
	]),
	"want": set(),
}

# one manifest leaves the namespace implicit: it lands in the other's namespace as easily as in any
test_implicit_namespace_shares if check(cases.implicit_namespace_shares)

cases["implicit_namespace_shares"] := {
	"input": testing.combined([
		testing.chart("Deployment", "alpha", "readOnly", testing.pod),
		json.remove(testing.chart("Deployment", "beta", "readOnly", testing.pod), ["metadata/namespace"]),
	]),
	"want": {
		cross_finding(null, "Secret aifactory/claude-remote-credentials is the Claude credentials of release \"alpha\" (Deployment aifactory/alpha in 0.yaml) and also of release \"beta\" (Deployment beta, namespace not set in 1.yaml): one login per install, since every holder of a login shares one token family; run `claude auth login` for release \"beta\", create its own Secret and set remoteControl.credentialsSecretName to it", [0, 1]),
	},
}

# an implicit one beside two namespaces: one finding in each (and none for the two explicit ones)
test_implicit_namespace_beside_two if check(cases.implicit_namespace_beside_two)

cases["implicit_namespace_beside_two"] := {
	"input": testing.combined([
		testing.chart("Deployment", "alpha", "readOnly", testing.pod),
		object.union(testing.chart("Deployment", "beta", "readOnly", testing.pod), {"metadata": {"namespace": "other"}}),
		json.remove(testing.chart("Deployment", "gamma", "readOnly", testing.pod), ["metadata/namespace"]),
	]),
	"want": {
		cross_finding(null, "Secret aifactory/claude-remote-credentials is the Claude credentials of release \"alpha\" (Deployment aifactory/alpha in 0.yaml) and also of release \"gamma\" (Deployment gamma, namespace not set in 2.yaml): one login per install, since every holder of a login shares one token family; run `claude auth login` for release \"gamma\", create its own Secret and set remoteControl.credentialsSecretName to it", [0, 2]),
		cross_finding(null, "Secret other/claude-remote-credentials is the Claude credentials of release \"beta\" (Deployment other/beta in 1.yaml) and also of release \"gamma\" (Deployment gamma, namespace not set in 2.yaml): one login per install, since every holder of a login shares one token family; run `claude auth login` for release \"gamma\", create its own Secret and set remoteControl.credentialsSecretName to it", [1, 2]),
	},
}

# both implicit: the same namespace, whichever it is
test_both_implicit_share if check(cases.both_implicit_share)

cases["both_implicit_share"] := {
	"input": testing.combined([
		json.remove(testing.chart("Deployment", "alpha", "readOnly", testing.pod), ["metadata/namespace"]),
		json.remove(testing.chart("Deployment", "beta", "readOnly", testing.pod), ["metadata/namespace"]),
	]),
	"want": {
		cross_finding(null, "Secret claude-remote-credentials is the Claude credentials of release \"alpha\" (Deployment alpha, namespace not set in 0.yaml) and also of release \"beta\" (Deployment beta, namespace not set in 1.yaml): one login per install, since every holder of a login shares one token family; run `claude auth login` for release \"beta\", create its own Secret and set remoteControl.credentialsSecretName to it", [0, 1]),
	},
}

# an implicit one of the same release as an explicit one: one install
test_implicit_namespace_same_release_allowed if check(cases.implicit_namespace_same_release_allowed)

cases["implicit_namespace_same_release_allowed"] := {
	"input": testing.combined([
		testing.chart("Deployment", "alpha", "readOnly", testing.pod),
		json.remove(
			object.union(
				testing.chart("Deployment", "alpha-worker", "readOnly", testing.pod),
				{"metadata": {"labels": {"app.kubernetes.io/instance": "alpha"}}},
			),
			["metadata/namespace"],
		),
	]),
	"want": set(),
}

# one Secret each
test_own_secrets_allowed if check(cases.own_secrets_allowed)

cases["own_secrets_allowed"] := {
	"input": testing.combined([
		object.union(
			testing.chart(
				"Deployment",
				"alpha",
				"readOnly",
				object.union(testing.pod, {
					"volumes": [testing.state_volume, object.union(testing.credentials_volume, {"secret": {"secretName": "a"}})],
				}),
			),
			{"spec": {"template": {"metadata": {"annotations": {"aifactory.dev/credentials-secret": "a"}}}}},
		),
		object.union(
			testing.chart("Deployment", "beta", "readOnly", object.union(testing.pod, {
				"volumes": [testing.state_volume, object.union(testing.credentials_volume, {"secret": {"secretName": "b"}})],
			})),
			{"spec": {"template": {"metadata": {"annotations": {"aifactory.dev/credentials-secret": "b"}}}}},
		),
	]),
	"want": set(),
}

# single-document input: nothing to compare
test_single_document_ignored if check(cases.single_document_ignored)

cases["single_document_ignored"] := {
	"input": testing.chart("Deployment", "alpha", "readOnly", testing.pod),
	"want": set(),
}

# ---- fixtures ----

finding(path, msg) := testing.finding("AIF005", path, msg)

cross_finding(path, msg, docs) := testing.cross_finding("AIF005", path, msg, docs)
