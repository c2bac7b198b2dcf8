{{/* aifactory.brokerMode: "true" when Remote Control is on in broker mode, else "". Usage: if (include "aifactory.brokerMode" .) */}}
{{- define "aifactory.brokerMode" -}}
{{- if and .Values.remoteControl.enabled (eq .Values.remoteControl.mode "broker") }}true{{ end }}
{{- end }}

{{/* aifactory.brokerName: the broker's Deployment, ServiceAccount, Role, RoleBinding, Lease and ConfigMap. */}}
{{- define "aifactory.brokerName" -}}
{{- printf "%s-credentials-broker" (include "aifactory.fullname" .) | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/* aifactory.brokerSelectorLabels: the broker pods' selector labels, disjoint from the agents' (whose
selector, name + instance, must not match them: the portal Service and `kubectl exec deploy/` use it). */}}
{{- define "aifactory.brokerSelectorLabels" -}}
app.kubernetes.io/name: {{ printf "%s-credentials-broker" (include "aifactory.name" .) | trunc 63 | trimSuffix "-" }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end }}

{{/* aifactory.accessSecretName: the Secret holding the access-token-only login the agents receive. */}}
{{- define "aifactory.accessSecretName" -}}
{{- printf "%s-claude-access" (include "aifactory.fullname" .) | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/* aifactory.receiverName: the Role and RoleBinding that let the agents' receivers watch the access Secret. */}}
{{- define "aifactory.receiverName" -}}
{{- printf "%s-credentials-receiver" (include "aifactory.fullname" .) | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/* Where the receiver writes the agent's access-only login; the credentials path is a symlink to it. */}}
{{- define "aifactory.accessFile" -}}/run/aifactory/access/.credentials.json{{- end }}

{{/*
aifactory.receiverContainer: the native sidecar (an init container with restartPolicy: Always) of
every agent pod in broker mode. It alone mounts an API token; it watches the access Secret and
writes the access-only login into the `claude-access` volume, which the agent mounts read-only.
Its startupProbe holds the agent back until the first login is there.
*/}}
{{- define "aifactory.receiverContainer" -}}
- name: credentials-receiver
  image: {{ default (include "aifactory.image" .) .Values.remoteControl.broker.receiver.image }}
  imagePullPolicy: {{ .Values.image.pullPolicy }}
  restartPolicy: Always
  command: ["python3", "/opt/aifactory/broker/credentials_receiver.py"]
  args:
    - --secret={{ include "aifactory.accessSecretName" . }}
    - --key={{ .Values.remoteControl.credentialsSecretKey }}
    - --file={{ include "aifactory.accessFile" . }}
    - --namespace={{ .Release.Namespace }}
    - --token-file=/var/run/secrets/aifactory/receiver/token
  startupProbe:
    exec:
      command: ["sh", "-c", "test -s {{ include "aifactory.accessFile" . }}"]
    periodSeconds: 1
    failureThreshold: 300
  securityContext:
    {{- toYaml .Values.securityContext | nindent 4 }}
  resources:
    {{- toYaml .Values.remoteControl.broker.receiver.resources | nindent 4 }}
  volumeMounts:
    - name: claude-access
      mountPath: /run/aifactory/access
    - name: broker-scripts
      mountPath: /opt/aifactory/broker
      readOnly: true
    - name: receiver-token
      mountPath: /var/run/secrets/aifactory/receiver
      readOnly: true
{{- end }}

{{/* aifactory.receiverVolumes: the agent pod's access volume, the scripts and the receiver's own API token. */}}
{{- define "aifactory.receiverVolumes" -}}
- name: claude-access
  emptyDir:
    medium: Memory
    sizeLimit: 1Mi
- name: broker-scripts
  configMap:
    name: {{ include "aifactory.brokerName" . }}
    defaultMode: 0444
- name: receiver-token
  projected:
    defaultMode: 0400
    sources:
      - serviceAccountToken:
          path: token
          expirationSeconds: 3600
      - configMap:
          name: kube-root-ca.crt
          items:
            - key: ca.crt
              path: ca.crt
{{- end }}

{{/* aifactory.brokerMetricsName: the broker's metrics Service, ServiceMonitor and PrometheusRule. */}}
{{- define "aifactory.brokerMetricsName" -}}
{{- printf "%s-credentials-broker-metrics" (include "aifactory.fullname" .) | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/*
aifactory.brokerAlertGroups: the PrometheusRule's `groups` (tests/test_broker_alerts.py runs them
through the real `promtool test rules`). Selected by this release's metrics Service.
What each alert means and what to do: docs/credentials.md, "Alerts".
*/}}
{{- define "aifactory.brokerAlertGroups" -}}
{{- $m := .Values.remoteControl.broker.metrics.prometheusRule -}}
{{- $sel := printf "namespace=%q, service=%q" .Release.Namespace (include "aifactory.brokerMetricsName" .) -}}
groups:
  - name: aifactory-claude-login
    rules:
      - alert: AIFactoryClaudeLoginEndsSoon
        expr: (max by (namespace, service) (aifactory_broker_login_end_timestamp_seconds{ {{- $sel -}} }) - time()) < {{ mul $m.loginEndsWithinDays 86400 }}
        for: 10m
        labels:
          severity: warning
        annotations:
          summary: "The Claude Code login of {{ .Release.Namespace }}/{{ .Release.Name }} ends within {{ $m.loginEndsWithinDays }} days"
          description: "A login ends at the time Claude Code stored at sign-in (claudeAiOauth.refreshTokenExpiresAt), whatever refreshes happen. Renew it before then: aifactory-policy credentials renew --install {{ .Release.Name }} -n {{ .Release.Namespace }} (a new claude auth login, no browser needed on that machine; the broker adopts it at once, no restart: docs/credentials.md, section Renewal)."
      - alert: AIFactoryClaudeRefreshRefused
        expr: max by (namespace, service) (aifactory_broker_login_refused{ {{- $sel -}} }) == 1
        labels:
          severity: critical
        annotations:
          summary: "The token endpoint refused the refresh of {{ .Release.Namespace }}/{{ .Release.Name }}'s Claude Code login: it is dead"
          description: "Agents work until the access token they hold expires. Make a new login for this install: aifactory-policy credentials renew --install {{ .Release.Name }} -n {{ .Release.Namespace }} (the broker adopts it at once)."
      - alert: AIFactoryClaudeAccessTokenNotRefreshed
        expr: (max by (namespace, service) (aifactory_broker_access_token_expiry_timestamp_seconds{ {{- $sel -}} }) - time()) < {{ $m.accessTokenExpiresWithinSeconds }}
        for: 2m
        labels:
          severity: critical
        annotations:
          summary: "The agents' access token of {{ .Release.Namespace }}/{{ .Release.Name }} expires within {{ $m.accessTokenExpiresWithinSeconds }} s and the broker has not refreshed it"
          description: "The broker refreshes {{ .Values.remoteControl.broker.leadSeconds }} s before expiry. Read its log: kubectl -n {{ .Release.Namespace }} logs deploy/{{ include "aifactory.brokerName" . }}; aifactory-policy credentials status -n {{ .Release.Namespace }}."
      - alert: AIFactoryClaudeBrokerDown
        # absent(): a target found by service discovery (a ServiceMonitor) leaves with its pod, so a
        # broker scaled to 0 or never scheduled has no `up` at all, not an `up` of 0 (measured in kind).
        expr: (sum by (namespace, service) (up{ {{- $sel -}} }) == 0) or (sum by (namespace, service) (aifactory_broker_leader{ {{- $sel -}} }) < 1) or absent(up{ {{- $sel -}} })
        for: {{ $m.brokerDownFor }}
        labels:
          severity: critical
        annotations:
          summary: "No credentials broker of {{ .Release.Namespace }}/{{ .Release.Name }} holds the Lease"
          description: "No broker target is up, none holds the Lease, or Prometheus finds no broker target at all (the Deployment at 0 replicas, its pod not scheduled, or this Service not scraped by this Prometheus). Agents keep working until the access token they hold expires (aifactory_broker_access_token_expiry_timestamp_seconds; aifactory-policy credentials status says when). kubectl -n {{ .Release.Namespace }} rollout status deploy/{{ include "aifactory.brokerName" . }}."
{{- end }}
