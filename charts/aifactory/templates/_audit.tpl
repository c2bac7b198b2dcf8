{{/* The read-only rules of `aifactory-policy audit`: get/list on what it reads, never a write verb.
Shared by the audit ClusterRole (audit.rbac.create) and the CronJob's own (audit.cronJob). */}}
{{- define "aifactory.auditReadRules" -}}
- apiGroups: [""]
  resources: ["namespaces", "pods", "secrets", "configmaps", "serviceaccounts"]
  verbs: ["get", "list"]
- apiGroups: ["apps"]
  resources: ["deployments", "statefulsets", "daemonsets", "replicasets"]
  verbs: ["get", "list"]
- apiGroups: ["batch"]
  resources: ["jobs", "cronjobs"]
  verbs: ["get", "list"]
- apiGroups: ["autoscaling"]
  resources: ["horizontalpodautoscalers"]
  verbs: ["get", "list"]
- apiGroups: ["rbac.authorization.k8s.io"]
  resources: ["roles", "rolebindings", "clusterroles", "clusterrolebindings"]
  verbs: ["get", "list"]
# Broker installs: whether the broker holds its Lease (the audit's broker health).
- apiGroups: ["coordination.k8s.io"]
  resources: ["leases"]
  verbs: ["get", "list"]
# Controllers that re-assert a writeBack or broker install's Secret (AIF207); an API that is not
# served (the CRD is not installed) is noted, not an error.
- apiGroups: ["external-secrets.io"]
  resources: ["externalsecrets", "clusterexternalsecrets"]
  verbs: ["get", "list"]
- apiGroups: ["bitnami.com"]
  resources: ["sealedsecrets"]
  verbs: ["get", "list"]
- apiGroups: ["secrets.hashicorp.com"]
  resources: ["vaultstaticsecrets", "vaultdynamicsecrets", "vaultpkisecrets", "hcpvaultsecretsapps"]
  verbs: ["get", "list"]
- apiGroups: ["secrets-store.csi.x-k8s.io"]
  resources: ["secretproviderclasses"]
  verbs: ["get", "list"]
# Other projects' workload kinds and KEDA's autoscalers (docs/workload-kinds.md); an API that is
# not served (the project is not installed) is noted, not an error.
- apiGroups: ["argoproj.io"]
  resources: ["rollouts", "workflows", "cronworkflows", "workflowtemplates", "clusterworkflowtemplates"]
  verbs: ["get", "list"]
- apiGroups: ["serving.knative.dev"]
  resources: ["services", "configurations", "revisions"]
  verbs: ["get", "list"]
- apiGroups: ["apps.kruise.io"]
  resources: ["clonesets", "statefulsets", "daemonsets", "broadcastjobs", "advancedcronjobs"]
  verbs: ["get", "list"]
- apiGroups: ["keda.sh"]
  resources: ["scaledjobs", "scaledobjects"]
  verbs: ["get", "list"]
- apiGroups: ["tekton.dev"]
  resources: ["tasks", "taskruns", "pipelines", "pipelineruns"]
  verbs: ["get", "list"]
{{- end }}

{{- define "aifactory.auditCronJobName" -}}
{{ include "aifactory.fullname" . | trunc 50 | trimSuffix "-" }}-audit-cronjob
{{- end }}
