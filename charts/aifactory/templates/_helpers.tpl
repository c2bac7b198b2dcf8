{{/* Where the Claude Code credentials file must be: the path Claude Code reads for HOME=/home/nonroot. */}}
{{- define "aifactory.credentialsPath" -}}/home/nonroot/.claude/.credentials.json{{- end }}

{{/* aifactory.name: the chart name, or nameOverride. */}}
{{- define "aifactory.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/* aifactory.fullname: resource base name; the release name alone when it already contains the chart name. */}}
{{- define "aifactory.fullname" -}}
{{- if .Values.fullnameOverride }}
{{- .Values.fullnameOverride | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- $name := default .Chart.Name .Values.nameOverride }}
{{- if contains $name .Release.Name }}
{{- .Release.Name | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- printf "%s-%s" .Release.Name $name | trunc 63 | trimSuffix "-" }}
{{- end }}
{{- end }}
{{- end }}

{{/* aifactory.chart: chart name and version for the helm.sh/chart label. */}}
{{- define "aifactory.chart" -}}
{{- printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/* aifactory.selectorLabels: the immutable labels a Deployment selects on. */}}
{{- define "aifactory.selectorLabels" -}}
app.kubernetes.io/name: {{ include "aifactory.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end }}

{{/* aifactory.labels: common labels for every resource (the audit finds installs by them). */}}
{{- define "aifactory.labels" -}}
helm.sh/chart: {{ include "aifactory.chart" . }}
{{ include "aifactory.selectorLabels" . }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
app.kubernetes.io/part-of: aifactory
{{- end }}

{{/* aifactory.serviceAccountName: the ServiceAccount the agent runs as. */}}
{{- define "aifactory.serviceAccountName" -}}
{{- if .Values.serviceAccount.create }}
{{- default (include "aifactory.fullname" .) .Values.serviceAccount.name }}
{{- else }}
{{- default "default" .Values.serviceAccount.name }}
{{- end }}
{{- end }}

{{/* aifactory.image: repository:tag, or repository@digest when a digest is set. Usage: include "aifactory.image" . */}}
{{- define "aifactory.image" -}}
{{- if .Values.image.digest }}
{{- printf "%s@%s" .Values.image.repository .Values.image.digest }}
{{- else }}
{{- printf "%s:%s" .Values.image.repository (default .Chart.AppVersion .Values.image.tag) }}
{{- end }}
{{- end }}

{{/* aifactory.secretHint: the command that creates the credentials Secret, for error messages. */}}
{{- define "aifactory.secretHint" -}}
kubectl create secret generic {{ default "claude-remote-credentials" .Values.remoteControl.credentialsSecretName }} --from-file={{ .Values.remoteControl.credentialsSecretKey }}=<path to the install's .credentials.json> -n {{ .Release.Namespace }}
{{- end }}

{{/*
aifactory.credentialPaths: prints one line per values key (at any depth) holding Claude/Anthropic
credential material: a token by prefix, a credentials JSON (claudeAiOauth), or either base64-encoded
(the fixed base64 fragments of "sk-ant-" and "claudeAiOauth" at all three alignments).
Usage: include "aifactory.credentialPaths" (dict "path" "" "value" .Values)
*/}}
{{- define "aifactory.credentialPaths" -}}
{{- $pattern := "sk-ant-[a-z]+[0-9]*-|claudeAiOauth|c2stYW50L|NrLWFudC|zay1hbnQt|Y2xhdWRlQWlPYXV0a|NsYXVkZUFpT2F1dG|jbGF1ZGVBaU9hdXRo" -}}
{{- $path := .path -}}
{{- if kindIs "map" .value -}}
{{- range $key, $sub := .value -}}
{{- $subPath := ternary $key (printf "%s.%s" $path $key) (eq $path "") -}}
{{- if regexMatch $pattern $key }}{{ $subPath }}
{{ else -}}
{{- include "aifactory.credentialPaths" (dict "path" $subPath "value" $sub) -}}
{{- end -}}
{{- end -}}
{{- else if kindIs "slice" .value -}}
{{- range $i, $sub := .value -}}
{{- include "aifactory.credentialPaths" (dict "path" (printf "%s[%d]" $path $i) "value" $sub) -}}
{{- end -}}
{{- else if kindIs "string" .value -}}
{{- if regexMatch $pattern .value }}{{ $path }}
{{ end -}}
{{- end -}}
{{- end }}

{{/*
aifactory.validateValues: collects every problem with the values and fails once, each line
starting with "ERROR:" and naming the value to fix. Included by every template that renders.
*/}}
{{- define "aifactory.validateValues" -}}
{{- $errors := list -}}
{{- range $p := splitList "\n" (include "aifactory.credentialPaths" (dict "path" "" "value" .Values)) -}}
{{- if $p -}}
{{- $errors = append $errors (printf "ERROR: values key %q holds Claude/Anthropic credential material. Helm keeps values in the release record (helm get values) and they end up in git; remove it and create a Secret out of band instead: %s, then set remoteControl.credentialsSecretName." $p (include "aifactory.secretHint" $)) -}}
{{- end -}}
{{- end -}}
{{- $rc := .Values.remoteControl -}}
{{- if $rc.enabled -}}
{{- if not $rc.credentialsSecretName -}}
{{- $errors = append $errors (printf "ERROR: remoteControl.credentialsSecretName is required when remoteControl.enabled=true. Create the Secret first: %s, then set remoteControl.credentialsSecretName=claude-remote-credentials." (include "aifactory.secretHint" .)) -}}
{{- end -}}
{{- if gt (int .Values.replicaCount) 1 -}}
{{- $errors = append $errors (printf "ERROR: replicaCount=%d with remoteControl.enabled=true. Set replicaCount=1: every pod holding the same login is another holder of one refresh-token family, and the first refresh invalidates the others." (int .Values.replicaCount)) -}}
{{- end -}}
{{- if and .Values.strategy.type (ne .Values.strategy.type "Recreate") -}}
{{- $errors = append $errors (printf "ERROR: strategy.type=%s with remoteControl.enabled=true. Remove strategy.type or set it to Recreate: a RollingUpdate briefly runs the old and the new pod with the same login." .Values.strategy.type) -}}
{{- end -}}
{{- $errors = concat $errors (include "aifactory.remoteControlEnvErrors" . | fromJsonArray) -}}
{{- include "aifactory.verifyCredentialsSecret" . -}}
{{- end -}}
{{- if $errors -}}
{{- fail (printf "\n%s" (join "\n" $errors)) -}}
{{- end -}}
{{- end }}

{{/*
aifactory.verifyCredentialsSecret: against a live cluster only (lookup is empty under helm template
and client-side dry runs), fail unless the Secret exists, holds the key, and holds a full-scope login.
Connection is inferred from the release namespace being visible; if it is not, nothing is checked.
*/}}
{{- define "aifactory.verifyCredentialsSecret" -}}
{{- $rc := .Values.remoteControl -}}
{{- if and $rc.verifyCredentialsSecret $rc.credentialsSecretName (lookup "v1" "Namespace" "" .Release.Namespace) -}}
{{- $secret := lookup "v1" "Secret" .Release.Namespace $rc.credentialsSecretName -}}
{{- if not $secret -}}
{{- fail (printf "\nERROR: remoteControl.credentialsSecretName=%s: Secret %s/%s does not exist. Create it: %s" $rc.credentialsSecretName .Release.Namespace $rc.credentialsSecretName (include "aifactory.secretHint" .)) -}}
{{- end -}}
{{- $data := default dict $secret.data -}}
{{- if not (hasKey $data $rc.credentialsSecretKey) -}}
{{- fail (printf "\nERROR: Secret %s/%s has no key %q (keys: %s). Recreate it with that key: %s, or set remoteControl.credentialsSecretKey to the key that holds the credentials." .Release.Namespace $rc.credentialsSecretName $rc.credentialsSecretKey (keys $data | sortAlpha | join ", ") (include "aifactory.secretHint" .)) -}}
{{- end -}}
{{- $login := (index $data $rc.credentialsSecretKey | b64dec | fromJson) -}}
{{- $oauth := default dict (get $login "claudeAiOauth") -}}
{{- if not (get $oauth "refreshToken") -}}
{{- fail (printf "\nERROR: Secret %s/%s key %q is not a Claude Code login (.credentials.json with claudeAiOauth.accessToken and refreshToken). Run `claude auth login` for this install and store its ~/.claude/.credentials.json: %s" .Release.Namespace $rc.credentialsSecretName $rc.credentialsSecretKey (include "aifactory.secretHint" .)) -}}
{{- end -}}
{{- $scopes := default list (get $oauth "scopes") -}}
{{- if not (and (has "user:inference" $scopes) (has "user:profile" $scopes)) -}}
{{- fail (printf "\nERROR: Secret %s/%s holds a login with scopes %v; Remote Control needs a full-scope login (user:inference and user:profile). An inference-only `claude setup-token` token is refused by Remote Control; run `claude auth login` instead." .Release.Namespace $rc.credentialsSecretName $scopes) -}}
{{- end -}}
{{- end -}}
{{- end }}

{{/*
aifactory.claudeCodeEnv: what the pinned Claude Code does with environment variables on a Remote
Control pod (files/claude-code-env.json, generated by ci/rule_data.py from policies/claude_code.json,
each entry measured by running the CLI: tests/test_claude_env_measured.py).
*/}}
{{- define "aifactory.claudeCodeEnv" -}}
{{- .Files.Get "files/claude-code-env.json" -}}
{{- end }}

{{/*
aifactory.remoteControlEnvErrors: a JSON list of "ERROR: ..." lines, one per agent.extraEnv entry that
stops Remote Control, shadows the credentials file with a literal token, or holds a second copy of the login.
*/}}
{{- define "aifactory.remoteControlEnvErrors" -}}
{{- $known := include "aifactory.claudeCodeEnv" . | fromJson -}}
{{- $errors := list -}}
{{- range $i, $e := .Values.agent.extraEnv -}}
{{- $name := toString (get $e "name") -}}
{{- range $r := $known.refuses -}}
{{- if eq $name $r.name -}}
{{- $errors = append $errors (printf "ERROR: agent.extraEnv[%d] sets %s, which stops Remote Control: Claude Code refuses to start it (\"%s\"). Remove it when remoteControl.enabled=true." $i $name $r.says) -}}
{{- end -}}
{{- end -}}
{{- if and (eq $name $known.base_url.name) (not (has (toString (get $e "value")) $known.base_url.allowed)) -}}
{{- $errors = append $errors (printf "ERROR: agent.extraEnv[%d] sets %s to something other than https://api.anthropic.com, which stops Remote Control (\"%s\"). Remove it when remoteControl.enabled=true." $i $name $known.base_url.says) -}}
{{- end -}}
{{- range $t := $known.scrubbed_tokens -}}
{{- if and (eq $name $t.name) (hasKey $e "value") -}}
{{- $errors = append $errors (printf "ERROR: agent.extraEnv[%d] sets %s as a literal value. Put the inference token in a Secret and set agent.oauthToken.existingSecret instead." $i $name) -}}
{{- end -}}
{{- end -}}
{{- range $h := $known.second_holders -}}
{{- if eq $name $h.name -}}
{{- $errors = append $errors (printf "ERROR: agent.extraEnv[%d] sets %s: %s. The login belongs in the credentials Secret only; remove the variable." $i $name $h.why) -}}
{{- end -}}
{{- end -}}
{{- end -}}
{{- toJson $errors -}}
{{- end }}

{{/* aifactory.hostAliases: the pod's hostAliases (every pod the chart runs), or nothing. */}}
{{- define "aifactory.hostAliases" -}}
{{- with .Values.hostAliases }}
hostAliases:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- end }}

{{/* aifactory.extraCACertsPath: where the extra CA bundle is mounted (NODE_EXTRA_CA_CERTS), or "". */}}
{{- define "aifactory.extraCACertsPath" -}}
{{- if .Values.extraCACerts.configMapName -}}
/etc/aifactory/extra-ca/{{ .Values.extraCACerts.key }}
{{- end -}}
{{- end }}

{{/* aifactory.claudeState: the non-secret ~/.claude.json seeded into HOME (onboarding, consent, trust, account). */}}
{{- define "aifactory.claudeState" -}}
{{- $state := .Values.remoteControl.claudeState -}}
{{- $projects := dict -}}
{{- range $dir := $state.trustedDirectories -}}
{{- $_ := set $projects $dir (dict "hasTrustDialogAccepted" true "allowedTools" list) -}}
{{- end -}}
{{- $doc := dict "hasCompletedOnboarding" true "remoteDialogSeen" true "projects" $projects -}}
{{- if $state.oauthAccount -}}
{{- $_ := set $doc "oauthAccount" $state.oauthAccount -}}
{{- end -}}
{{- toPrettyJson $doc -}}
{{- end }}

{{/* aifactory.podAnnotations: the agent pod's annotations: Remote Control markers, the state checksum, podAnnotations. */}}
{{- define "aifactory.podAnnotations" -}}
{{ include "aifactory.remoteControlAnnotations" . }}
{{- if and .Values.remoteControl.enabled .Values.remoteControl.claudeState.seed }}
checksum/claude-state: {{ include "aifactory.claudeState" . | sha256sum }}
{{- end }}
{{- with .Values.podAnnotations }}
{{ toYaml . }}
{{- end }}
{{- end }}

{{/* aifactory.remoteControlAnnotations: annotations the policies and the audit read on Remote Control pods. */}}
{{- define "aifactory.remoteControlAnnotations" -}}
{{- if .Values.remoteControl.enabled }}
aifactory.dev/remote-control: "enabled"
aifactory.dev/credentials-secret: {{ .Values.remoteControl.credentialsSecretName | quote }}
aifactory.dev/credentials-mode: {{ .Values.remoteControl.mode | quote }}
{{- end }}
{{- end }}

{{/* aifactory.agentEnv: the agent's environment (also given to the helm test probe, so a leak shows there). */}}
{{- define "aifactory.agentEnv" -}}
- name: HOME
  value: /home/nonroot
{{- with .Values.agent.oauthToken.existingSecret }}
- name: CLAUDE_CODE_OAUTH_TOKEN
  valueFrom:
    secretKeyRef:
      name: {{ . }}
      key: {{ $.Values.agent.oauthToken.key }}
{{- end }}
{{- with (include "aifactory.extraCACertsPath" .) }}
- name: NODE_EXTRA_CA_CERTS
  value: {{ . }}
{{- end }}
{{- with .Values.agent.extraEnv }}
{{ toYaml . }}
{{- end }}
{{- end }}

{{/* aifactory.homeVolumes: the writable HOME, /tmp, the extra CA bundle and (Remote Control) the Claude state and credentials volumes. */}}
{{- define "aifactory.homeVolumes" -}}
- name: home
  emptyDir:
    {{- with .Values.home.medium }}
    medium: {{ . }}
    {{- end }}
    sizeLimit: {{ .Values.home.sizeLimit }}
- name: tmp
  emptyDir:
    sizeLimit: 256Mi
{{- with .Values.extraCACerts.configMapName }}
- name: extra-ca-certs
  configMap:
    name: {{ . }}
    defaultMode: 0444
    items:
      - key: {{ $.Values.extraCACerts.key }}
        path: {{ $.Values.extraCACerts.key }}
{{- end }}
{{- $rc := .Values.remoteControl }}
{{- if $rc.enabled }}
{{- if $rc.claudeState.seed }}
- name: claude-state
  configMap:
    name: {{ include "aifactory.fullname" . }}-claude-state
    defaultMode: 0444
{{- end }}
{{- if eq $rc.mode "readOnly" }}
# Claude Code keeps state in ~/.claude; without a pod-user-writable volume there the runtime
# creates the directory for the file mount as root:root 0755.
- name: claude-dir
  emptyDir:
    sizeLimit: 64Mi
- name: credentials
  secret:
    secretName: {{ $rc.credentialsSecretName }}
    defaultMode: 0400
    items:
      - key: {{ $rc.credentialsSecretKey }}
        path: credentials.json
{{- else }}
- name: credentials-secret
  secret:
    secretName: {{ $rc.credentialsSecretName }}
    defaultMode: 0400
    items:
      - key: {{ $rc.credentialsSecretKey }}
        path: credentials.json
- name: claude-dir
  emptyDir:
    medium: Memory
    sizeLimit: 64Mi
{{- end }}
{{- end }}
{{- end }}

{{/* aifactory.homeMounts: the agent container's mounts (the probe uses the same). */}}
{{- define "aifactory.homeMounts" -}}
- name: home
  mountPath: /home/nonroot
- name: tmp
  mountPath: /tmp
{{- if .Values.extraCACerts.configMapName }}
- name: extra-ca-certs
  mountPath: /etc/aifactory/extra-ca
  readOnly: true
{{- end }}
{{- $rc := .Values.remoteControl }}
{{- if $rc.enabled }}
- name: claude-dir
  mountPath: /home/nonroot/.claude
{{- if eq $rc.mode "readOnly" }}
- name: credentials
  mountPath: {{ include "aifactory.credentialsPath" . }}
  subPath: credentials.json
  readOnly: true
{{- else if eq $rc.mode "ownedCopy" }}
- name: claude-dir
  mountPath: {{ include "aifactory.credentialsPath" . }}
  subPath: .credentials.json
  readOnly: true
{{- end }}
{{- end }}
{{- end }}

{{/*
aifactory.initContainers: seed ~/.claude.json (non-secret state) and, for ownedCopy/writeBack, copy the
credentials into the in-memory ~/.claude as the pod user (0400, or 0600 so Claude Code can refresh).
*/}}
{{- define "aifactory.initContainers" -}}
{{- $rc := .Values.remoteControl }}
{{- if $rc.enabled }}
- name: prepare-home
  image: {{ include "aifactory.image" . }}
  imagePullPolicy: {{ .Values.image.pullPolicy }}
  command: ["/bin/sh", "-ec"]
  args:
    - |
      mkdir -p {{ .Values.agent.workingDir | quote }}
      {{- if $rc.claudeState.seed }}
      # Keep state Claude Code wrote earlier in this pod's life; seed only a fresh HOME.
      [ -e /home/nonroot/.claude.json ] || cp /etc/aifactory/claude-state/claude.json /home/nonroot/.claude.json
      {{- end }}
      {{- if ne $rc.mode "readOnly" }}
      umask 077
      cp /run/aifactory/credentials-secret/credentials.json /home/nonroot/.claude/.credentials.json.new
      chmod {{ ternary "0600" "0400" (eq $rc.mode "writeBack") }} /home/nonroot/.claude/.credentials.json.new
      mv -f /home/nonroot/.claude/.credentials.json.new /home/nonroot/.claude/.credentials.json
      {{- end }}
  securityContext:
    {{- toYaml .Values.securityContext | nindent 4 }}
  resources:
    requests: {cpu: 10m, memory: 16Mi}
    limits: {memory: 64Mi}
  volumeMounts:
    - name: home
      mountPath: /home/nonroot
    - name: claude-dir
      mountPath: /home/nonroot/.claude
    {{- if $rc.claudeState.seed }}
    - name: claude-state
      mountPath: /etc/aifactory/claude-state
      readOnly: true
    {{- end }}
    {{- if ne $rc.mode "readOnly" }}
    - name: credentials-secret
      mountPath: /run/aifactory/credentials-secret
      readOnly: true
    {{- end }}
{{- end }}
{{- end }}
