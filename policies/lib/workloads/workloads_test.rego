package lib.workloads_test

import data.lib.testing
import data.lib.workloads

# Where each kind keeps its pod spec: every helper reads the same pod through it.
spec_paths := {
	"Pod": "spec",
	"Deployment": "spec.template.spec",
	"StatefulSet": "spec.template.spec",
	"DaemonSet": "spec.template.spec",
	"ReplicaSet": "spec.template.spec",
	"Job": "spec.template.spec",
	"CronJob": "spec.jobTemplate.spec.template.spec",
}

test_every_kind_is_a_workload_with_its_pod if {
	count(spec_paths) == count(testing.workload_kinds)
	every kind, path in spec_paths {
		w := testing.workload(kind, testing.pod)
		workloads.is_workload(w)
		workloads.spec_path(w) == path
		workloads.pod_spec(w) == testing.pod
	}
}

test_containers_of_every_type_with_their_paths if {
	every kind, path in spec_paths {
		{object.filter(c, {"container", "name", "type", "path"}) | some c in workloads.containers(testing.workload(kind, testing.write_back_pod))} == {
			{"container": testing.write_back_pod.initContainers[0], "name": "copy-credentials", "type": "initContainers", "path": sprintf("%s.initContainers[0]", [path])},
			{"container": testing.write_back_pod.containers[0], "name": "aifactory", "type": "containers", "path": sprintf("%s.containers[0]", [path])},
			{"container": testing.write_back_pod.containers[1], "name": "credentials-writeback", "type": "containers", "path": sprintf("%s.containers[1]", [path])},
		}
	}
}

test_the_credentials_mount_is_found_in_every_kind if {
	every kind, path in spec_paths {
		w := testing.workload(kind, testing.pod)
		[m.path | some m in workloads.credentials_mounts(w)] == [sprintf("%s.containers[0].volumeMounts[1]", [path])]
		workloads.remote_control(w)
		workloads.holds_credentials(w)
	}
}

test_a_pod_without_credentials_is_no_holder if {
	every kind in testing.workload_kinds {
		w := testing.workload(kind, testing.plain_pod)
		count(workloads.credentials_mounts(w)) == 0
		not workloads.holds_credentials(w)
	}
}

test_other_kinds_are_not_workloads if {
	not workloads.is_workload({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "x"}})
	not workloads.is_workload("Pod")
}
