{{/* aifactory.brokerMode: "true" when Remote Control is on in broker mode, else "". Usage: if (include "aifactory.brokerMode" .) */}}
{{- define "aifactory.brokerMode" -}}
{{- if and .Values.remoteControl.enabled (eq .Values.remoteControl.mode "broker") }}true{{ end }}
{{- end }}

{{/* aifactory.brokerName: the broker's Deployment, ServiceAccount, Role, RoleBinding, Lease and ConfigMap. */}}
{{- define "aifactory.brokerName" -}}
{{- printf "%s-credentials-broker" (include "aifactory.fullname" .) | trunc 63 | trimSuffix "-" }}
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
