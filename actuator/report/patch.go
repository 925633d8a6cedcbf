package report

import (
	"bufio"
	"bytes"
	"fmt"
	"strconv"

	"go.yaml.in/yaml/v3"

	"github.com/pacerdev/pacer/recommender"
)

// The patch format: one apps/v1 document per ready workload, holding only
// the fields pacer recommends, for server-side apply. Plain structs keep it
// free of the empty fields typed Kubernetes objects would add (status,
// creationTimestamp), which an apply would otherwise claim.

type patchObject struct {
	APIVersion string        `yaml:"apiVersion"`
	Kind       string        `yaml:"kind"`
	Metadata   patchMetadata `yaml:"metadata"`
	Spec       patchSpec     `yaml:"spec"`
}

type patchMetadata struct {
	Name      string `yaml:"name"`
	Namespace string `yaml:"namespace"`
}

type patchSpec struct {
	Template struct {
		Spec struct {
			Containers []patchContainer `yaml:"containers"`
		} `yaml:"spec"`
	} `yaml:"template"`
}

type patchContainer struct {
	Name      string         `yaml:"name"`
	Resources patchResources `yaml:"resources"`
	Env       []patchEnvVar  `yaml:"env,omitempty"`
}

type patchResources struct {
	Requests map[string]string `yaml:"requests,omitempty"`
	Limits   map[string]string `yaml:"limits,omitempty"`
}

type patchEnvVar struct {
	Name  string `yaml:"name"`
	Value string `yaml:"value"`
}

const patchHeader = `# Review the changes, then apply them (pods of a changed workload restart):
#   pacer report ... -o patch | kubectl diff --server-side --field-manager=pacer -f -
#   pacer report ... -o patch | kubectl apply --server-side --field-manager=pacer -f -
# Server-side apply sets only the fields below and leaves everything else as it
# is, including any limit this file does not set. Where another manager owns a
# field (kubectl apply without --server-side, Helm, a GitOps controller), apply
# stops with a conflict: change that source of truth instead, or take the field
# over with --force-conflicts. A GOMEMLIMIT or GOMAXPROCS set with valueFrom
# must be removed first.
`

func writePatch(w *bufio.Writer, r *Report) error {
	fmt.Fprintf(w, "# %s\n", printable(headerLine(r)))
	w.WriteString(patchHeader)
	written := 0
	for _, wl := range r.Workloads {
		if why := unpatchable(wl); why != "" {
			fmt.Fprintf(w, "# skipped %s: %s\n", printable(wl.Ref().String()), why)
			continue
		}
		doc, comments := patchFor(wl)
		var buf bytes.Buffer
		enc := yaml.NewEncoder(&buf)
		enc.SetIndent(2)
		if err := enc.Encode(doc); err != nil {
			return fmt.Errorf("encoding patch of %s: %w", wl.Ref(), err)
		}
		if err := enc.Close(); err != nil {
			return err
		}
		w.WriteString("---\n")
		for _, c := range comments {
			w.WriteString("# " + printable(c) + "\n")
		}
		w.WriteString(buf.String())
		written++
	}
	if written == 0 {
		w.WriteString("# nothing to apply: no ready Deployment, StatefulSet or DaemonSet\n")
	}
	return nil
}

// unpatchable says why a workload gets no patch; empty when it gets one.
func unpatchable(w Workload) string {
	switch {
	case w.Outcome == recommender.OutcomeInsufficientData:
		return "insufficient data, " + missingText(w.Missing)
	case w.Outcome == recommender.OutcomeNoGoMetrics:
		return "no Go runtime metrics, so no recommendation"
	case w.Outcome != recommender.OutcomeReady:
		return "outcome " + string(w.Outcome)
	case w.Kind == recommender.KindPod:
		return "a bare Pod's resources cannot be changed in place; change what creates it"
	case w.Kind != recommender.KindDeployment && w.Kind != recommender.KindStatefulSet && w.Kind != recommender.KindDaemonSet:
		return "pacer writes patches only for Deployments, StatefulSets and DaemonSets"
	}
	for _, c := range w.Containers {
		if c.Recommended != nil {
			return ""
		}
	}
	return "no container has a recommendation"
}

func patchFor(w Workload) (patchObject, []string) {
	doc := patchObject{APIVersion: "apps/v1", Kind: string(w.Kind), Metadata: patchMetadata{Name: w.Name, Namespace: w.Namespace}}
	comments := []string{w.Ref().String()}
	if d := workloadDelta(w, nil); d != "" {
		comments[0] += ": requests change " + d
	}
	for _, c := range w.Containers {
		if c.Recommended == nil {
			continue
		}
		rec := *c.Recommended
		pc := patchContainer{Name: c.Name, Resources: patchResources{Requests: map[string]string{}, Limits: map[string]string{}}}
		if rec.CPURequestCores > 0 {
			pc.Resources.Requests["cpu"] = cpuQuantity(rec.CPURequestCores)
		}
		if rec.MemoryRequestBytes > 0 {
			pc.Resources.Requests["memory"] = memoryQuantity(rec.MemoryRequestBytes)
		}
		if rec.CPULimitCores > 0 {
			pc.Resources.Limits["cpu"] = cpuQuantity(rec.CPULimitCores)
		} else {
			comments = append(comments, keptLimit(c, "CPU", func(r *Resources) float64 { return r.CPULimitCores }, formatCPU))
		}
		if rec.MemoryLimitBytes > 0 {
			pc.Resources.Limits["memory"] = memoryQuantity(rec.MemoryLimitBytes)
		} else {
			comments = append(comments, keptLimit(c, "memory", func(r *Resources) float64 { return r.MemoryLimitBytes }, formatMemory))
		}
		if rec.GOMEMLIMITBytes > 0 {
			pc.Env = append(pc.Env, patchEnvVar{"GOMEMLIMIT", gomemlimitValue(rec.GOMEMLIMITBytes)})
		}
		if rec.GOMAXPROCS > 0 {
			pc.Env = append(pc.Env, patchEnvVar{"GOMAXPROCS", strconv.Itoa(rec.GOMAXPROCS)})
		}
		doc.Spec.Template.Spec.Containers = append(doc.Spec.Template.Spec.Containers, pc)
	}
	return doc, compact(comments)
}

// keptLimit explains a limit pacer recommends against but cannot remove
// with an apply it does not own.
func keptLimit(c Container, what string, get func(*Resources) float64, format func(float64) string) string {
	switch {
	case c.Current == nil:
		return fmt.Sprintf("container %s: no %s limit recommended; an existing one stays until removed by hand", c.Name, what)
	case get(c.Current) > 0:
		return fmt.Sprintf("container %s: no %s limit recommended; the current %s stays until removed by hand", c.Name, what, format(get(c.Current)))
	}
	return ""
}

func compact(ss []string) []string {
	out := ss[:0]
	for _, s := range ss {
		if s != "" {
			out = append(out, s)
		}
	}
	return out
}
