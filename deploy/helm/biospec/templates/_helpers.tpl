{{/* Common labels of every object. */}}
{{- define "biospec.labels" -}}
app.kubernetes.io/name: biospec
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version }}
{{- end -}}

{{/* The coordinator's name and selector labels. */}}
{{- define "biospec.coordinator.name" -}}
{{ printf "%s-coordinator" .Release.Name | trunc 63 | trimSuffix "-" }}
{{- end -}}
{{- define "biospec.coordinator.selector" -}}
app.kubernetes.io/name: biospec
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/component: coordinator
{{- end -}}

{{/* A node's name, from the root context and the node's values: dict "root" $ "node" $node. */}}
{{- define "biospec.node.name" -}}
{{ printf "%s-node-%s" .root.Release.Name .node.id | trunc 63 | trimSuffix "-" }}
{{- end -}}
{{- define "biospec.node.selector" -}}
app.kubernetes.io/name: biospec
app.kubernetes.io/instance: {{ .root.Release.Name }}
app.kubernetes.io/component: node
biospec/node-id: {{ .node.id }}
{{- end -}}
