{{/*
Deployment of kalyan-api or kalyan-worker (same image, same configuration, different binary and port):
(dict "ctx" $ "component" "api" "binary" "kalyan-api" "portName" "http" "port" 8080 "v" .Values.api)
*/}}
{{- define "kalyan.appDeployment" -}}
{{- $ := .ctx -}}
{{- $v := .v -}}
apiVersion: apps/v1
kind: Deployment
metadata:
  name: {{ include "kalyan.fullname" $ }}-{{ .component }}
  namespace: {{ $.Release.Namespace }}
  labels:
    {{- include "kalyan.componentLabels" (dict "ctx" $ "component" .component) | nindent 4 }}
  annotations:
    {{- include "kalyan.lintSkips" (dict "ctx" $) | nindent 4 }}
spec:
  {{- if not $v.autoscaling.enabled }}
  replicas: {{ $v.replicas }}
  {{- end }}
  revisionHistoryLimit: 5
  selector:
    matchLabels:
      {{- include "kalyan.selectorLabels" (dict "ctx" $ "component" .component) | nindent 6 }}
  strategy:
    type: RollingUpdate
    rollingUpdate:
      maxUnavailable: 0
      maxSurge: 1
  template:
    metadata:
      labels:
        {{- include "kalyan.componentLabels" (dict "ctx" $ "component" .component) | nindent 8 }}
        {{- with $v.podLabels }}
        {{- toYaml . | nindent 8 }}
        {{- end }}
      annotations:
        {{- include "kalyan.configChecksums" $ | nindent 8 }}
        {{- with $v.podAnnotations }}
        {{- toYaml . | nindent 8 }}
        {{- end }}
    spec:
      serviceAccountName: {{ include "kalyan.appServiceAccount" $ }}
      # The api and worker never talk to the Kubernetes API.
      automountServiceAccountToken: false
      enableServiceLinks: false
      {{- with $.Values.imagePullSecrets }}
      imagePullSecrets:
        {{- toYaml . | nindent 8 }}
      {{- end }}
      securityContext:
        {{- toYaml $.Values.podSecurityContext | nindent 8 }}
      terminationGracePeriodSeconds: {{ $v.terminationGracePeriodSeconds }}
      {{- with $v.priorityClassName }}
      priorityClassName: {{ . }}
      {{- end }}
      containers:
        - name: {{ .component }}
          image: {{ include "kalyan.image" $ }}
          imagePullPolicy: {{ $.Values.image.pullPolicy }}
          command: ["/usr/local/bin/{{ .binary }}"]
          ports:
            - name: {{ .portName }}
              containerPort: {{ .port }}
              protocol: TCP
          envFrom:
            - configMapRef:
                name: {{ include "kalyan.fullname" $ }}-config
          env:
            {{- include "kalyan.env" $ | nindent 12 }}
            {{- with $v.extraEnv }}
            {{- toYaml . | nindent 12 }}
            {{- end }}
          livenessProbe:
            {{- include "kalyan.probe" (dict "path" "/livez" "port" .portName "probe" $v.livenessProbe) | nindent 12 }}
          readinessProbe:
            {{- include "kalyan.probe" (dict "path" "/readyz" "port" .portName "probe" $v.readinessProbe) | nindent 12 }}
          resources:
            {{- toYaml $v.resources | nindent 12 }}
          securityContext:
            {{- toYaml $.Values.containerSecurityContext | nindent 12 }}
          volumeMounts:
            {{- include "kalyan.volumeMounts" $ | nindent 12 }}
      volumes:
        {{- include "kalyan.volumes" $ | nindent 8 }}
      {{- with $v.nodeSelector }}
      nodeSelector:
        {{- toYaml . | nindent 8 }}
      {{- end }}
      affinity:
        {{- include "kalyan.affinity" (dict "ctx" $ "component" .component "affinity" $v.affinity) | nindent 8 }}
      {{- with $v.tolerations }}
      tolerations:
        {{- toYaml . | nindent 8 }}
      {{- end }}
      {{- with $v.topologySpreadConstraints }}
      topologySpreadConstraints:
        {{- tpl (toYaml .) $ | nindent 8 }}
      {{- end }}
{{- end -}}

{{/* PodDisruptionBudget of a component: (dict "ctx" $ "component" "api" "pdb" .Values.api.podDisruptionBudget). */}}
{{- define "kalyan.pdb" -}}
{{- $ := .ctx -}}
apiVersion: policy/v1
kind: PodDisruptionBudget
metadata:
  name: {{ include "kalyan.fullname" $ }}-{{ .component }}
  namespace: {{ $.Release.Namespace }}
  labels:
    {{- include "kalyan.componentLabels" (dict "ctx" $ "component" .component) | nindent 4 }}
spec:
  {{- include "kalyan.pdbBudget" .pdb | nindent 2 }}
  selector:
    matchLabels:
      {{- include "kalyan.selectorLabels" (dict "ctx" $ "component" .component) | nindent 6 }}
{{- end -}}

{{/* HorizontalPodAutoscaler of a component: (dict "ctx" $ "component" "api" "autoscaling" .Values.api.autoscaling). */}}
{{- define "kalyan.hpa" -}}
{{- $ := .ctx -}}
apiVersion: autoscaling/v2
kind: HorizontalPodAutoscaler
metadata:
  name: {{ include "kalyan.fullname" $ }}-{{ .component }}
  namespace: {{ $.Release.Namespace }}
  labels:
    {{- include "kalyan.componentLabels" (dict "ctx" $ "component" .component) | nindent 4 }}
spec:
  scaleTargetRef:
    apiVersion: apps/v1
    kind: Deployment
    name: {{ include "kalyan.fullname" $ }}-{{ .component }}
  minReplicas: {{ .autoscaling.minReplicas }}
  maxReplicas: {{ .autoscaling.maxReplicas }}
  metrics:
    {{- include "kalyan.hpaMetrics" (dict "autoscaling" .autoscaling) | nindent 4 }}
  {{- with .autoscaling.behavior }}
  behavior:
    {{- toYaml . | nindent 4 }}
  {{- end }}
{{- end -}}
