{{/* The name of pacer's objects: the release name, with -pacer unless it says pacer already. */}}
{{- define "pacer.fullname" -}}
{{- if .Values.fullnameOverride -}}
{{- .Values.fullnameOverride | trunc 63 | trimSuffix "-" -}}
{{- else if contains "pacer" .Release.Name -}}
{{- .Release.Name | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- printf "%s-pacer" .Release.Name | trunc 63 | trimSuffix "-" -}}
{{- end -}}
{{- end -}}

{{- define "pacer.selectorLabels" -}}
app.kubernetes.io/name: pacer
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end -}}

{{- define "pacer.labels" -}}
{{ include "pacer.selectorLabels" . }}
app.kubernetes.io/version: {{ .Values.image.tag | default .Chart.AppVersion | quote }}
app.kubernetes.io/part-of: pacer
app.kubernetes.io/managed-by: {{ .Release.Service }}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" }}
{{- end -}}

{{- define "pacer.serviceAccountName" -}}
{{- if .Values.serviceAccount.create -}}
{{- .Values.serviceAccount.name | default (include "pacer.fullname" .) -}}
{{- else -}}
{{- .Values.serviceAccount.name | default "default" -}}
{{- end -}}
{{- end -}}

{{- define "pacer.image" -}}
{{- $tag := .Values.image.tag | default .Chart.AppVersion -}}
{{- if .Values.image.digest -}}
{{- printf "%s:%s@%s" .Values.image.repository $tag .Values.image.digest -}}
{{- else -}}
{{- printf "%s:%s" .Values.image.repository $tag -}}
{{- end -}}
{{- end -}}

{{/*
pacer.bytes turns a memory quantity (256Mi, 1G, 268435456) into bytes, as a
float. It fails on a form it does not know.
*/}}
{{- define "pacer.bytes" -}}
{{- $q := . -}}
{{- if kindIs "float64" $q -}}{{- $q = printf "%.0f" $q -}}{{- end -}}
{{- $q = toString $q -}}
{{- if not (regexMatch "^[0-9]+(\\.[0-9]+)?(Ki|Mi|Gi|Ti|Pi|Ei|k|M|G|T|P|E)?$" $q) -}}
{{- fail (printf "memory quantity %q: want a number with an optional suffix Ki, Mi, Gi, Ti, k, M, G or T; or set go.memoryLimit" $q) -}}
{{- end -}}
{{- $number := regexFind "^[0-9]+(\\.[0-9]+)?" $q -}}
{{- $suffix := trimPrefix $number $q -}}
{{- $scale := dict "" 1.0 "k" 1e3 "M" 1e6 "G" 1e9 "T" 1e12 "P" 1e15 "E" 1e18 "Ki" 1024.0 "Mi" 1048576.0 "Gi" 1073741824.0 "Ti" 1099511627776.0 "Pi" 1125899906842624.0 "Ei" 1152921504606846976.0 -}}
{{- mulf (float64 $number) (get $scale $suffix) -}}
{{- end -}}

{{/*
pacer.gomemlimit is GOMEMLIMIT: go.memoryLimit when set, else
go.memoryLimitPercent of the container's memory limit in whole MiB; empty
without either.
*/}}
{{- define "pacer.gomemlimit" -}}
{{- $limit := dig "limits" "memory" "" (.Values.resources | default dict) -}}
{{- if .Values.go.memoryLimit -}}
{{- .Values.go.memoryLimit -}}
{{- else if and $limit (gt (int .Values.go.memoryLimitPercent) 0) -}}
{{- $bytes := include "pacer.bytes" $limit | float64 -}}
{{- printf "%.0fMiB" (floor (mulf $bytes .Values.go.memoryLimitPercent 0.01 (divf 1 1048576))) -}}
{{- end -}}
{{- end -}}

{{/*
pacer.gomaxprocs is GOMAXPROCS: go.maxProcs when the container has no CPU
limit, and empty with one, since Go (1.25 and later) derives it from the
limit and follows changes to it.
*/}}
{{- define "pacer.gomaxprocs" -}}
{{- $limit := dig "limits" "cpu" "" (.Values.resources | default dict) -}}
{{- if not $limit -}}
{{- .Values.go.maxProcs | toString -}}
{{- end -}}
{{- end -}}
