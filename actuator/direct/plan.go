package direct

import (
	"cmp"
	"fmt"
	"math"
	"slices"
	"strings"

	corev1 "k8s.io/api/core/v1"

	"github.com/pacerdev/pacer/recommender"
)

// change is one field the apply moves.
type change struct {
	container string
	field     field
	from      *setting // nil when the field was not set
	to        setting
	percent   float64 // +Inf from no value
}

func (c change) String() string {
	from := "unset"
	if c.from != nil {
		from = c.from.text
	}
	s := fmt.Sprintf("%s %s → %s", c.field, from, c.to.text)
	if !math.IsInf(c.percent, 0) {
		s += fmt.Sprintf(" (%s%.0f%%)", sign(c.from.amount, c.to.amount), c.percent)
	}
	return s
}

func sign(from, to float64) string {
	if to < from {
		return "-"
	}
	return "+"
}

// containerPlan is what pacer applies to one container, and records:
// every field it holds after the apply. That is each field it sets now,
// and each field it set before and keeps at its live value (an apply that
// left one out would remove it); not a field that stays at its value and
// that another manager owns: that one is left to its owner, since an
// apply, even forced, would share it with them rather than take it.
type containerPlan struct {
	name   string
	fields [numFields]*setting
}

// plan is what pacer would do to one workload.
type plan struct {
	// action is ActionWritten, ActionUnchanged, ActionSkipped, or
	// ActionConflict when pacer backs off.
	action recommender.Action
	reason string
	// containers to apply, in the order of the pod template.
	containers []containerPlan
	changes    []change
	// notes name what pacer leaves alone and why.
	notes []string
	// force takes the fields in taken from their managers. Every apply
	// without a record is forced (taking over), and so is one that sets a
	// field pacer has not set before and another manager owns.
	force bool
	// taken name the fields the apply takes from other managers, with
	// them, as managedFields say.
	taken []string
	// lost are the fields pacer recorded that a person or controller
	// took after pacer set them: pacer backs off.
	lost []lostField
}

// planner decides what to change in a pod template.
type planner struct {
	minChangePercent float64
}

// plan compares a recommendation's targets with the containers of the pod
// template. own says who owns which field, prev is pacer's record on the
// workload (nil for none): pacer backs off when a recorded field is not as
// it left it, and otherwise keeps the fields it holds that the
// recommendation leaves at zero, at their live values.
func (pl planner) plan(rec *recommender.Recommendation, containers []namedLive, own owners, prev *record) plan {
	var p plan
	matched := false
	targets := map[string]recommender.Resources{}
	for _, c := range rec.Containers {
		targets[c.Container] = c.Target
	}
	for _, c := range containers {
		target, recommended := targets[c.name]
		delete(targets, c.name)
		cp := containerPlan{name: c.name}
		for f := range numFields {
			p.field(&cp, c, f, desired(target, f), own, prev)
		}
		if slices.ContainsFunc(cp.fields[:], func(s *setting) bool { return s != nil }) {
			p.containers = append(p.containers, cp)
		}
		if recommended {
			matched = true
			p.notes = append(p.notes, zeroNotes(c.name, target, c.live)...)
		}
	}
	for _, name := range sortedKeys(targets) {
		p.notes = append(p.notes, fmt.Sprintf("container %s is not in the pod template", name))
	}
	pl.decide(&p, containers, matched)
	p.force = prev == nil || len(p.taken) > 0
	if p.lost = prev.lost(containers, own); len(p.lost) > 0 {
		p.action, p.reason = recommender.ActionConflict, backOffText(rec.Workload, p)
		p.force, p.taken = false, nil
	}
	return p
}

// field decides one field of a container: set it to the target, keep it
// at its live value, or leave it to its owners.
func (p *plan) field(cp *containerPlan, c namedLive, f field, want *setting, own owners, prev *record) {
	now, others := c.live.values[f], own.others[c.name][f]
	switch {
	case c.live.fromRef[f]:
		if want != nil {
			p.notes = append(p.notes, fmt.Sprintf("container %s: %s is set with valueFrom, pacer leaves it alone", c.name, f))
		}
	case want != nil && !same(now, *want):
		cp.fields[f] = want
		p.changes = append(p.changes, change{container: c.name, field: f, from: now, to: *want, percent: changePercent(now, *want)})
		if len(others) > 0 {
			p.taken = append(p.taken, fmt.Sprintf("container %s %s (%s)", c.name, f, strings.Join(others, ", ")))
		}
	case len(others) > 0:
		// At the target, or not recommended, and another manager's: a
		// forced apply would share it, not take it, so it stays theirs.
	case want != nil:
		cp.fields[f] = want
	case now != nil && (own.pacer[c.name][f] || prev.has(c.name, f)):
		cp.fields[f] = now
	}
}

// decide sets the plan's action: unchanged when nothing moves, or nothing
// moves by minChangePercent; skipped when the result would be inconsistent.
// matched says whether any recommended container is in the template.
func (pl planner) decide(p *plan, containers []namedLive, matched bool) {
	switch {
	case len(p.changes) == 0 && matched:
		p.action, p.reason = recommender.ActionUnchanged, "the workload already runs with the recommendation"
		return
	case len(p.changes) == 0:
		p.action, p.reason = recommender.ActionUnchanged, "no recommended container is in the pod template"
		return
	}
	largest := slices.MaxFunc(p.changes, func(a, b change) int { return cmp.Compare(a.percent, b.percent) })
	if largest.percent < pl.minChangePercent-epsilon { // 100m → 110m is 9.999…%
		p.action = recommender.ActionUnchanged
		p.reason = fmt.Sprintf("every change is below %g%%, the largest: container %s %s", pl.minChangePercent, largest.container, largest)
		return
	}
	if why := inconsistent(p, containers); why != "" {
		p.action, p.reason = recommender.ActionSkipped, why
		return
	}
	p.action, p.reason = recommender.ActionWritten, changesText(p.changes)
}

// inconsistent says why the result of an apply would not make sense: a
// request above its limit (the API server refuses it) or GOMEMLIMIT above
// the memory limit (the GC would never act before the OOM kill), when
// pacer changes one side and leaves the other; empty when it is sound.
func inconsistent(p *plan, containers []namedLive) string {
	changed := map[string][numFields]bool{}
	for _, c := range p.changes {
		fields := changed[c.container]
		fields[c.field] = true
		changed[c.container] = fields
	}
	planned := map[string]containerPlan{}
	for _, c := range p.containers {
		planned[c.name] = c
	}
	for _, c := range containers {
		value := func(f field) *setting {
			if s := planned[c.name].fields[f]; s != nil {
				return s
			}
			return c.live.values[f]
		}
		for _, pair := range [][2]field{{cpuRequest, cpuLimit}, {memoryRequest, memoryLimit}, {goMemLimit, memoryLimit}} {
			low, high := value(pair[0]), value(pair[1])
			if !changed[c.name][pair[0]] && !changed[c.name][pair[1]] || low == nil || high == nil || !(high.amount > 0) {
				continue
			}
			if low.amount > high.amount {
				return fmt.Sprintf("container %s: the %s would be %s, above the %s %s; pacer changes nothing until the recommendation sizes both",
					c.name, pair[0], low.text, pair[1], high.text)
			}
		}
	}
	return ""
}

// zeroNotes names the limits a recommendation leaves at zero while the
// container has one: pacer keeps them as they are.
func zeroNotes(container string, target recommender.Resources, l live) []string {
	var notes []string
	for _, f := range []field{cpuLimit, memoryLimit} {
		if desired(target, f) == nil && l.values[f] != nil {
			notes = append(notes, fmt.Sprintf("container %s: no %s recommended, the current %s stays", container, f, l.values[f].text))
		}
	}
	return notes
}

// backOffText says why pacer backs off from a workload, what it would do
// otherwise, and how to hand the fields back.
func backOffText(ref recommender.WorkloadRef, p plan) string {
	lost := make([]string, len(p.lost))
	for i, l := range p.lost {
		lost[i] = l.String()
	}
	would := "pacer would change nothing now"
	if p.action == recommender.ActionWritten {
		would = "pacer would set " + p.reason
	}
	return fmt.Sprintf("fields pacer set were changed after it: %s; %s. %s", strings.Join(lost, ", "), would, handBack(ref))
}

// takeover says whom an apply takes fields from; verb is "taken" or
// "would take".
func takeover(p plan, verb string) string {
	if len(p.taken) == 0 {
		return ""
	}
	return fmt.Sprintf("; %s over from their managers: %s", verb, strings.Join(p.taken, ", "))
}

// changesText lists the changes per container for a reason or an event:
// "container app: cpu request 100m → 250m (+150%), GOMEMLIMIT unset → 460MiB".
func changesText(changes []change) string {
	var b strings.Builder
	for i, c := range changes {
		switch {
		case i == 0:
			b.WriteString("container " + c.container + ": ")
		case changes[i-1].container != c.container:
			b.WriteString("; container " + c.container + ": ")
		default:
			b.WriteString(", ")
		}
		b.WriteString(c.String())
	}
	return b.String()
}

// namedLive is a container of the pod template and what it sets now.
type namedLive struct {
	name string
	live live
}

// templateContainers reads the containers of a pod template.
func templateContainers(spec *corev1.PodSpec) []namedLive {
	out := make([]namedLive, len(spec.Containers))
	for i := range spec.Containers {
		out[i] = namedLive{name: spec.Containers[i].Name, live: liveOf(&spec.Containers[i])}
	}
	return out
}

// currentContainers reads the inventory's view of the recommended
// containers; a value it does not know is missing.
func currentContainers(rec *recommender.Recommendation, cur recommender.Current) []namedLive {
	var out []namedLive
	for _, c := range rec.Containers {
		if r, ok := cur.Containers[c.Container]; ok {
			out = append(out, namedLive{name: c.Container, live: liveOfCurrent(r)})
		}
	}
	return out
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}
