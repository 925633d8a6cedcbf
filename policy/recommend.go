package policy

import (
	"fmt"
	"slices"
	"time"

	"github.com/pacerdev/pacer/recommender"
)

// recommend evaluates the workload's policy at now.
func (w *workloadState) recommend(ref recommender.WorkloadRef, now time.Time, cur recommender.Current) recommender.Recommendation {
	p := w.policy
	r := recommender.Recommendation{Workload: ref, At: now, Policy: p.Name, Mode: recommender.Mode(p.Mode), Outcome: recommender.OutcomeReady}
	names := make([]string, 0, len(w.containers))
	goSignals, fresh := false, false
	for name, c := range w.containers {
		names = append(names, name)
		goSignals = goSignals || c.hasGo()
		fresh = fresh || now.Sub(c.newest()) <= p.History.StaleAfter.D()
	}
	slices.Sort(names)
	if len(names) == 0 {
		// Its state was reset (a policy change): nothing observed since.
		r.Outcome = recommender.OutcomeInsufficientData
		r.Flags = []recommender.Flag{recommender.FlagShortHistory}
		for _, sig := range []recommender.Signal{recommender.CPU, recommender.Memory} {
			r.Missing = append(r.Missing, recommender.Missing{Signal: sig, Rule: "policy", Need: p.History.Minimum.D(),
				Reason: "no sample since the workload's policy changed"})
		}
		return r
	}
	if !goSignals {
		r.Outcome = recommender.OutcomeNoGoMetrics
		r.Notes = append(r.Notes, recommender.Reason{Rule: "go-metrics",
			Message: "no container exposes goroutines, live heap or allocation rate: not a Go service, or client_golang's Go collector is not registered"})
		return r
	}

	for _, name := range names {
		c := w.containers[name]
		// A container gone quiet while others report was removed from the
		// pod spec (or its pods are gone): it is left out, not waited for.
		if newest := c.newest(); fresh && now.Sub(newest) > p.History.StaleAfter.D() {
			r.Notes = append(r.Notes, recommender.Reason{Rule: "container.stale", Value: name,
				Message: fmt.Sprintf("container %s: no sample since %s while the others report: left out", name, newest.Format(time.RFC3339))})
			continue
		}
		memory := []recommender.Signal{recommender.Memory}
		if c.hasGo() {
			memory = append(memory, recommender.LiveHeap)
		}
		missing := c.needed(p, now, name, recommender.CPU)
		if missing = append(missing, c.needed(p, now, name, memory...)...); len(missing) > 0 {
			r.Missing = append(r.Missing, missing...)
			continue
		}
		v := c.vertical(p, now, name, cur.Containers[name], cur.OOMKills[name])
		r.Containers = append(r.Containers, v.rec)
		r.Flags = append(r.Flags, v.flags...)
		r.Notes = append(r.Notes, v.notes...)
	}

	if p.Horizontal.Enabled {
		if h, missing := w.horizontal(now, cur); missing != nil {
			r.Missing = append(r.Missing, *missing)
		} else if h != nil {
			r.Horizontal = h
		}
	}
	if len(r.Missing) > 0 {
		r.Outcome = recommender.OutcomeInsufficientData
		r.Containers, r.Horizontal = nil, nil
		r.Flags = append(r.Flags, recommender.FlagShortHistory)
	}
	slices.Sort(r.Flags)
	r.Flags = slices.Compact(r.Flags)
	return r
}
