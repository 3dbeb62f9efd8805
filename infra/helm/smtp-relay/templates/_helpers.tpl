{{/*
Names: with the release named smtp-relay (or fullnameOverride smtp-relay) every object is
named as in infra/k8s: smtp-relay, smtp-relay-ingress, smtp-relay-redis ...
*/}}
{{- define "smtp-relay.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" }}
{{- end }}

{{- define "smtp-relay.fullname" -}}
{{- if .Values.fullnameOverride }}
{{- .Values.fullnameOverride | trunc 40 | trimSuffix "-" }}
{{- else }}
{{- $name := default .Chart.Name .Values.nameOverride }}
{{- if contains $name .Release.Name }}
{{- .Release.Name | trunc 40 | trimSuffix "-" }}
{{- else }}
{{- printf "%s-%s" .Release.Name $name | trunc 40 | trimSuffix "-" }}
{{- end }}
{{- end }}
{{- end }}

{{- define "smtp-relay.chart" -}}
{{- printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/* Selector labels of one component: include with (list $ "ingress"). */}}
{{- define "smtp-relay.selectorLabels" -}}
{{- $root := index . 0 -}}
app.kubernetes.io/name: {{ include "smtp-relay.name" $root }}
app.kubernetes.io/instance: {{ $root.Release.Name }}
app.kubernetes.io/component: {{ index . 1 }}
{{- end }}

{{/* All labels of one component's objects: include with (list $ "ingress"). */}}
{{- define "smtp-relay.labels" -}}
{{- $root := index . 0 -}}
{{ include "smtp-relay.selectorLabels" . }}
app.kubernetes.io/part-of: smtp-relay
app.kubernetes.io/version: {{ $root.Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ $root.Release.Service }}
helm.sh/chart: {{ include "smtp-relay.chart" $root }}
{{- end }}

{{/* Labels of objects no single component owns (the Secrets). */}}
{{- define "smtp-relay.commonLabels" -}}
app.kubernetes.io/name: {{ include "smtp-relay.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/part-of: smtp-relay
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
helm.sh/chart: {{ include "smtp-relay.chart" . }}
{{- end }}

{{- define "smtp-relay.image" -}}
{{- printf "%s:%s" .Values.image.repository (.Values.image.tag | default .Chart.AppVersion) }}
{{- end }}

{{- define "smtp-relay.adminPort" -}}
{{- required "config.common.ADMIN_PORT: the probes and /metrics need the admin port" .Values.config.common.ADMIN_PORT | int }}
{{- end }}

{{/* Secret names: made elsewhere (existingSecret) or rendered by secrets.yaml. */}}
{{- define "smtp-relay.adminSecret" -}}
{{- .Values.secrets.admin.existingSecret | default (printf "%s-admin" (include "smtp-relay.fullname" .)) }}
{{- end }}

{{- define "smtp-relay.smartHostSecret" -}}
{{- .Values.secrets.smartHost.existingSecret | default (printf "%s-smart-host" (include "smtp-relay.fullname" .)) }}
{{- end }}

{{- define "smtp-relay.smtpAuthSecret" -}}
{{- .Values.secrets.smtpAuth.existingSecret | default (printf "%s-smtp-auth" (include "smtp-relay.fullname" .)) }}
{{- end }}

{{- define "smtp-relay.redisUrlSecret" -}}
{{- .Values.redis.external.existingSecret | default (printf "%s-redis-url" (include "smtp-relay.fullname" .)) }}
{{- end }}

{{- define "smtp-relay.tlsSecret" -}}
{{- .Values.tls.secretName | default (printf "%s-tls" (include "smtp-relay.fullname" .)) }}
{{- end }}

{{/* The data of one settings ConfigMap (include with (list $ "common")): config.<section>
plus what redis.* and tls.* set, every value a string. */}}
{{- define "smtp-relay.settings" -}}
{{- $root := index . 0 }}
{{- $section := index . 1 }}
{{- $settings := deepCopy (get $root.Values.config $section | default dict) }}
{{- $sentinels := $root.Values.redis.sentinel.sentinels | default list }}
{{- if eq $section "common" }}
{{- if $root.Values.redis.enabled }}
{{- if $sentinels }}
{{- fail "redis.sentinel.sentinels: Sentinel needs an external Redis (redis.enabled=false)" }}
{{- end }}
{{- $_ := set $settings "REDIS_URL" (printf "redis://%s-redis:6379" (include "smtp-relay.fullname" $root)) }}
{{- end }}
{{- if $sentinels }}
{{- $_ := set $settings "REDIS_SENTINELS" (join "," $sentinels) }}
{{- $_ := set $settings "REDIS_SENTINEL_MASTER" (required "redis.sentinel.masterName" $root.Values.redis.sentinel.masterName) }}
{{- end }}
{{- else if eq $section "ingress" }}
{{- if $sentinels }}
{{- $_ := set $settings "REDIS_WAIT_REPLICAS" ($root.Values.redis.sentinel.waitReplicas | toString) }}
{{- end }}
{{- if $root.Values.tls.enabled }}
{{- $_ := set $settings "SMTPS_PORT" ($root.Values.tls.containerPort | toString) }}
{{- end }}
{{- end }}
{{- range $name, $value := $settings }}
{{- if not (kindIs "invalid" $value) }}
{{ $name }}: {{ $value | toString | quote }}
{{- end }}
{{- end }}
{{- end }}

{{/* Pod annotations: Prometheus scraping, and checksums that roll the pods when their
settings or the Secrets read at start change (kustomize's hashed ConfigMap names do that
for the settings). Not the users file: ingress reloads it by itself. */}}
{{- define "smtp-relay.podAnnotations" -}}
{{- $root := index . 0 -}}
{{- $component := index . 1 -}}
prometheus.io/scrape: 'true'
prometheus.io/port: {{ include "smtp-relay.adminPort" $root | quote }}
prometheus.io/path: /metrics
checksum/config: {{ include (print $root.Template.BasePath "/configmaps.yaml") $root | sha256sum }}
checksum/secrets: {{ list $root.Values.secrets.admin $root.Values.secrets.smartHost $root.Values.redis.external | toJson | sha256sum }}
{{- with (get $root.Values $component).podAnnotations }}
{{ toYaml . }}
{{- end }}
{{- end }}

{{/* Pod security context: the "restricted" Pod Security Standard, as in infra/k8s. */}}
{{- define "smtp-relay.podSecurityContext" -}}
runAsNonRoot: true
runAsUser: 1000
runAsGroup: 1000
fsGroup: 1000
seccompProfile:
  type: RuntimeDefault
{{- end }}

{{- define "smtp-relay.containerSecurityContext" -}}
runAsNonRoot: true
runAsUser: 1000
runAsGroup: 1000
readOnlyRootFilesystem: true
allowPrivilegeEscalation: false
capabilities:
  drop: ['ALL']
{{- end }}

{{/* envFrom of a relay container: its settings, then the Secrets. */}}
{{- define "smtp-relay.envFrom" -}}
{{- $root := index . 0 -}}
{{- $component := index . 1 -}}
{{- $fullname := include "smtp-relay.fullname" $root -}}
- configMapRef:
    name: {{ $fullname }}-common
- configMapRef:
    name: {{ $fullname }}-{{ $component }}
- secretRef:
    name: {{ include "smtp-relay.adminSecret" $root }}
    optional: true
{{- if eq $component "sender" }}
- secretRef:
    name: {{ include "smtp-relay.smartHostSecret" $root }}
    optional: true
{{- end }}
{{- if not $root.Values.redis.enabled }}
- secretRef:
    name: {{ include "smtp-relay.redisUrlSecret" $root }}
{{- end }}
{{- end }}

{{/* The admin-port probes of a relay container. */}}
{{- define "smtp-relay.probes" -}}
readinessProbe:
  # 503 while Redis does not answer (or, for ingress, the SMTP listener is down)
  httpGet:
    path: /readyz
    port: admin
  periodSeconds: 5
  timeoutSeconds: 3
  failureThreshold: 2
livenessProbe:
  httpGet:
    path: /healthz
    port: admin
  periodSeconds: 10
  timeoutSeconds: 3
  failureThreshold: 3
{{- end }}

{{/* Scheduling fields of a pod spec, if any: include with (list $ .Values.ingress). */}}
{{- define "smtp-relay.scheduling" -}}
{{- $values := index . 1 -}}
{{- $fields := dict -}}
{{- range $field := list "nodeSelector" "tolerations" "affinity" -}}
{{- with get $values $field }}{{ $_ := set $fields $field . }}{{ end -}}
{{- end -}}
{{- if $fields }}{{ toYaml $fields }}{{ end -}}
{{- end }}
