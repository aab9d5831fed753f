{{/* Chart name. */}}
{{- define "kalyan.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{/* Prefix of every object name: the release name, or release-chart when they differ. */}}
{{- define "kalyan.fullname" -}}
{{- if .Values.fullnameOverride -}}
{{- .Values.fullnameOverride | trunc 40 | trimSuffix "-" -}}
{{- else -}}
{{- $name := default .Chart.Name .Values.nameOverride -}}
{{- if contains $name .Release.Name -}}
{{- .Release.Name | trunc 40 | trimSuffix "-" -}}
{{- else -}}
{{- printf "%s-%s" .Release.Name $name | trunc 40 | trimSuffix "-" -}}
{{- end -}}
{{- end -}}
{{- end -}}

{{- define "kalyan.chart" -}}
{{- printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{/* Labels of every object. */}}
{{- define "kalyan.labels" -}}
helm.sh/chart: {{ include "kalyan.chart" . }}
app.kubernetes.io/name: {{ include "kalyan.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
app.kubernetes.io/part-of: kalyan
{{- with .Values.commonLabels }}
{{ toYaml . }}
{{- end }}
{{- end -}}

{{/* Selector labels of one component: (dict "ctx" $ "component" "api"). */}}
{{- define "kalyan.selectorLabels" -}}
app.kubernetes.io/name: {{ include "kalyan.name" .ctx }}
app.kubernetes.io/instance: {{ .ctx.Release.Name }}
app.kubernetes.io/component: {{ .component }}
{{- end -}}

{{/* All labels of one component's objects: (dict "ctx" $ "component" "api"). */}}
{{- define "kalyan.componentLabels" -}}
{{ include "kalyan.labels" .ctx }}
app.kubernetes.io/component: {{ .component }}
{{- end -}}

{{- define "kalyan.image" -}}
{{- if .Values.image.digest -}}
{{- printf "%s@%s" .Values.image.repository .Values.image.digest -}}
{{- else -}}
{{- printf "%s:%s" .Values.image.repository (default .Chart.AppVersion .Values.image.tag) -}}
{{- end -}}
{{- end -}}

{{/* KALYAN_PUBLIC_URL: explicit, else from the Ingress host, else empty. */}}
{{- define "kalyan.publicURL" -}}
{{- if .Values.publicURL -}}
{{- .Values.publicURL -}}
{{- else if and .Values.api.ingress.enabled .Values.api.ingress.host -}}
{{- printf "%s://%s" (ternary "https" "http" .Values.api.ingress.tls.enabled) .Values.api.ingress.host -}}
{{- end -}}
{{- end -}}

{{- define "kalyan.kafkaBrokers" -}}
{{- if kindIs "slice" .Values.kafka.brokers -}}
{{- join "," .Values.kafka.brokers -}}
{{- else -}}
{{- .Values.kafka.brokers -}}
{{- end -}}
{{- end -}}

{{/* The chart-made Secret with the credentials not taken from Secrets of the user's own. */}}
{{- define "kalyan.credentialsSecret" -}}
{{- printf "%s-credentials" (include "kalyan.fullname" .) -}}
{{- end -}}

{{- define "kalyan.createCredentialsSecret" -}}
{{- $v := .Values -}}
{{- if or (not $v.mongodb.existingSecret) (not $v.bkash.existingSecret) (not $v.sealKey.existingSecret)
      (and $v.notify.sms.url (not $v.notify.sms.existingSecret))
      (and $v.notify.email.smtpAddr (not $v.notify.email.existingSecret)) -}}
true
{{- end -}}
{{- end -}}

{{- define "kalyan.operatorTokenSecret" -}}
{{- default (printf "%s-operator-api-token" (include "kalyan.fullname" .)) .Values.operator.apiToken.existingSecret -}}
{{- end -}}

{{- define "kalyan.platformNamespace" -}}
{{- default .Release.Namespace .Values.operator.platformNamespace -}}
{{- end -}}

{{- define "kalyan.apiURL" -}}
{{- default (printf "http://%s-api.%s.svc:%v" (include "kalyan.fullname" .) .Release.Namespace .Values.api.service.port) .Values.operator.apiURL -}}
{{- end -}}

{{/*
Environment of the api and worker containers: settings from the ConfigMap, secrets from Secrets (never
from the ConfigMap). The listen addresses are set explicitly: the binaries default to 127.0.0.1.
*/}}
{{- define "kalyan.env" -}}
- name: KALYAN_HTTP_ADDR
  value: "0.0.0.0:8080"
- name: KALYAN_WORKER_ADDR
  value: "0.0.0.0:8081"
- name: KALYAN_MONGODB_URI
  valueFrom:
    secretKeyRef:
      name: {{ default (include "kalyan.credentialsSecret" .) .Values.mongodb.existingSecret }}
      key: {{ ternary .Values.mongodb.existingSecretKey "mongodb-uri" (ne .Values.mongodb.existingSecret "") }}
{{- $bk := .Values.bkash }}
{{- range $env, $field := dict "KALYAN_BKASH_USERNAME" "username" "KALYAN_BKASH_PASSWORD" "password" "KALYAN_BKASH_APP_KEY" "appKey" "KALYAN_BKASH_APP_SECRET" "appSecret" }}
- name: {{ $env }}
  valueFrom:
    secretKeyRef:
      {{- if $bk.existingSecret }}
      name: {{ $bk.existingSecret }}
      key: {{ get $bk.existingSecretKeys $field }}
      {{- else }}
      name: {{ include "kalyan.credentialsSecret" $ }}
      key: {{ printf "bkash-%s" ($field | kebabcase) }}
      {{- end }}
{{- end }}
- name: KALYAN_SEAL_KEY
  valueFrom:
    secretKeyRef:
      name: {{ default (include "kalyan.credentialsSecret" .) .Values.sealKey.existingSecret }}
      key: {{ ternary .Values.sealKey.existingSecretKey "seal-key" (ne .Values.sealKey.existingSecret "") }}
{{- with .Values.notify.sms }}
{{- if .url }}
- name: KALYAN_NOTIFY_SMS_TOKEN
  valueFrom:
    secretKeyRef:
      name: {{ default (include "kalyan.credentialsSecret" $) .existingSecret }}
      key: {{ ternary .existingSecretKey "notify-sms-token" (ne .existingSecret "") }}
{{- end }}
{{- end }}
{{- with .Values.notify.email }}
{{- if .smtpAddr }}
- name: KALYAN_NOTIFY_EMAIL_PASSWORD
  valueFrom:
    secretKeyRef:
      name: {{ default (include "kalyan.credentialsSecret" $) .existingSecret }}
      key: {{ ternary .existingSecretKey "notify-email-password" (ne .existingSecret "") }}
{{- end }}
{{- end }}
{{- if and (not .Values.auth.jwksURL) .Values.auth.signingKey.existingSecret }}
- name: KALYAN_AUTH_KEY_FILE
  value: /etc/kalyan/auth/{{ .Values.auth.signingKey.key }}
{{- end }}
{{- end -}}

{{/* Volumes of the api and worker pods. */}}
{{- define "kalyan.volumes" -}}
- name: tmp
  emptyDir:
    sizeLimit: 64Mi
{{- if and (not .Values.auth.jwksURL) .Values.auth.signingKey.existingSecret }}
- name: auth-signing-key
  secret:
    secretName: {{ .Values.auth.signingKey.existingSecret }}
    defaultMode: 0440
    items:
      - key: {{ .Values.auth.signingKey.key }}
        path: {{ .Values.auth.signingKey.key }}
{{- end }}
{{- end -}}

{{- define "kalyan.volumeMounts" -}}
- name: tmp
  mountPath: /tmp
{{- if and (not .Values.auth.jwksURL) .Values.auth.signingKey.existingSecret }}
- name: auth-signing-key
  mountPath: /etc/kalyan/auth
  readOnly: true
{{- end }}
{{- end -}}

{{/* Pod template annotations that roll the pods when their configuration changes. */}}
{{- define "kalyan.configChecksums" -}}
checksum/config: {{ include (print .Template.BasePath "/configmap.yaml") . | sha256sum }}
checksum/credentials: {{ include (print .Template.BasePath "/secret.yaml") . | sha256sum }}
{{- end -}}

{{/* A probe: (dict "path" "/livez" "port" "http" "probe" .Values.api.livenessProbe). */}}
{{- define "kalyan.probe" -}}
httpGet:
  path: {{ .path }}
  port: {{ .port }}
{{- toYaml .probe | nindent 0 }}
{{- end -}}

{{/* PodDisruptionBudget spec budget: exactly one of maxUnavailable and minAvailable. */}}
{{- define "kalyan.pdbBudget" -}}
{{- if not (kindIs "invalid" .minAvailable) -}}
minAvailable: {{ .minAvailable }}
{{- else -}}
maxUnavailable: {{ .maxUnavailable }}
{{- end -}}
{{- end -}}

{{/* HPA metrics: (dict "autoscaling" .Values.api.autoscaling). */}}
{{- define "kalyan.hpaMetrics" -}}
{{- with .autoscaling.targetCPUUtilizationPercentage }}
- type: Resource
  resource:
    name: cpu
    target:
      type: Utilization
      averageUtilization: {{ . }}
{{- end }}
{{- with .autoscaling.targetMemoryUtilizationPercentage }}
- type: Resource
  resource:
    name: memory
    target:
      type: Utilization
      averageUtilization: {{ . }}
{{- end }}
{{- end -}}
