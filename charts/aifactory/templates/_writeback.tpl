{{/* aifactory.writebackName: name of the write-back sidecar's ServiceAccount, Role and RoleBinding. */}}
{{- define "aifactory.writebackName" -}}
{{- printf "%s-credentials-writeback" (include "aifactory.fullname" .) | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/*
aifactory.writebackContainer: the sidecar that writes a valid newer login (later expiresAt, a refresh
token present) from the in-pod file back to the one Secret, so a restart starts from the newest pair.
Only it gets an API token, through its own projected volume.
*/}}
{{- define "aifactory.writebackContainer" -}}
- name: credentials-writeback
  image: {{ default (include "aifactory.image" .) .Values.remoteControl.writeBack.image }}
  imagePullPolicy: {{ .Values.image.pullPolicy }}
  command: ["python3", "/opt/aifactory/writeback/credentials_writeback.py"]
  args:
    - --file=/home/nonroot/.claude/.credentials.json
    - --secret={{ .Values.remoteControl.credentialsSecretName }}
    - --key={{ .Values.remoteControl.credentialsSecretKey }}
    - --namespace={{ .Release.Namespace }}
    - --interval={{ .Values.remoteControl.writeBack.intervalSeconds }}
    - --token-file=/var/run/secrets/aifactory/writeback/token
  securityContext:
    {{- toYaml .Values.securityContext | nindent 4 }}
  resources:
    {{- toYaml .Values.remoteControl.writeBack.resources | nindent 4 }}
  volumeMounts:
    - name: claude-dir
      mountPath: /home/nonroot/.claude
      readOnly: true
    - name: writeback-script
      mountPath: /opt/aifactory/writeback
      readOnly: true
    - name: writeback-token
      mountPath: /var/run/secrets/aifactory/writeback
      readOnly: true
{{- end }}

{{/* aifactory.writebackVolumes: the sidecar's script and its own short-lived API token. */}}
{{- define "aifactory.writebackVolumes" -}}
- name: writeback-script
  configMap:
    name: {{ include "aifactory.writebackName" . }}
    defaultMode: 0444
- name: writeback-token
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
