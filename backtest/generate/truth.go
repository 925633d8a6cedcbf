package generate

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"time"
)

// TruthFormat names the truth file's format; a change that breaks readers
// gets a new name.
const TruthFormat = "pacer.synthetic-truth.v1"

// TruthPath is where the truth of a trace written to tracePath goes.
func TruthPath(tracePath string) string { return tracePath + ".truth.json" }

// Truth is what a trace's model knew and the trace can only hint at: per
// step and pod, the CPU the pod needed (before the recorded CPU limit
// capped it) and the memory it needed, with the model's parameters to
// recompute the GC under another GOGC or GOMEMLIMIT. docs/backtest.md,
// section "Synthetic traces", describes every field.
type Truth struct {
	Format      string        `json:"format"`
	Scenario    string        `json:"scenario"`
	Seed        uint64        `json:"seed"`
	Start       time.Time     `json:"start"`
	StepSeconds float64       `json:"step_seconds"`
	Steps       int           `json:"steps"`
	Workload    TruthWorkload `json:"workload"`
	Service     Service       `json:"service"`
	// RequestRate is the workload's total: the sum over its pods.
	RequestRate []float64  `json:"request_rate"`
	Pods        []TruthPod `json:"pods"`
}

// TruthWorkload names the workload whose pods the trace holds.
type TruthWorkload struct {
	Namespace string `json:"namespace"`
	Kind      string `json:"kind"`
	Name      string `json:"name"`
}

// TruthPod is one pod's true state, a value per step.
type TruthPod struct {
	Pod       string `json:"pod"`
	Container string `json:"container"`

	RequestRate         []float64 `json:"request_rate"`
	CPUDemandCores      []float64 `json:"cpu_demand_cores"`
	GCCPUCores          []float64 `json:"gc_cpu_cores"`
	MemoryNeedBytes     []float64 `json:"memory_need_bytes"`
	PeakWorkingSetBytes []float64 `json:"peak_working_set_bytes"`
	LiveHeapBytes       []float64 `json:"live_heap_bytes"`
	NonHeapBytes        []float64 `json:"non_heap_bytes"`
	HeapGoalBytes       []float64 `json:"heap_goal_bytes"`
	AllocBytesPerSecond []float64 `json:"alloc_bytes_per_second"`
	Goroutines          []float64 `json:"goroutines"`
}

// Truth returns the trace's truth.
func (t *Trace) Truth() *Truth {
	steps := t.Config.Steps()
	out := &Truth{
		Format:      TruthFormat,
		Scenario:    t.Config.Scenario,
		Seed:        t.Config.Seed,
		Start:       t.Config.Start,
		StepSeconds: t.Config.Step.Seconds(),
		Steps:       steps,
		Workload:    TruthWorkload{Namespace: t.Config.Namespace, Kind: "Deployment", Name: t.Workload},
		Service:     t.Service,
		RequestRate: make([]float64, steps),
	}
	column := func(p *Pod, v func(*Sample) float64) []float64 {
		col := make([]float64, steps)
		for k := range p.Samples {
			col[k] = v(&p.Samples[k])
		}
		return col
	}
	for i := range t.Pods {
		p := &t.Pods[i]
		tp := TruthPod{
			Pod:                 p.Name,
			Container:           Container,
			RequestRate:         column(p, func(s *Sample) float64 { return s.RequestsPerSecond }),
			CPUDemandCores:      column(p, func(s *Sample) float64 { return s.CPUDemandCores }),
			GCCPUCores:          column(p, func(s *Sample) float64 { return s.GCCPUCores }),
			MemoryNeedBytes:     column(p, (*Sample).MemoryNeedBytes),
			PeakWorkingSetBytes: column(p, (*Sample).PeakWorkingSetBytes),
			LiveHeapBytes:       column(p, func(s *Sample) float64 { return s.LiveHeapBytes }),
			NonHeapBytes:        column(p, func(s *Sample) float64 { return s.NonHeapBytes }),
			HeapGoalBytes:       column(p, func(s *Sample) float64 { return s.HeapGoalBytes }),
			AllocBytesPerSecond: column(p, func(s *Sample) float64 { return s.AllocBytesPerSecond }),
			Goroutines:          column(p, func(s *Sample) float64 { return s.Goroutines }),
		}
		for k, r := range tp.RequestRate {
			out.RequestRate[k] += r
		}
		out.Pods = append(out.Pods, tp)
	}
	for k := range out.RequestRate {
		out.RequestRate[k] = round(out.RequestRate[k], 4)
	}
	return out
}

// WriteTruth writes the trace's truth as JSON.
func (t *Trace) WriteTruth(w io.Writer) error {
	if err := json.NewEncoder(w).Encode(t.Truth()); err != nil {
		return fmt.Errorf("writing the truth: %w", err)
	}
	return nil
}

// ReadTruth reads a truth file and checks that its columns are complete.
func ReadTruth(r io.Reader) (*Truth, error) {
	var t Truth
	if err := json.NewDecoder(r).Decode(&t); err != nil {
		return nil, fmt.Errorf("reading the truth: %w", err)
	}
	if t.Format != TruthFormat {
		return nil, fmt.Errorf("reading the truth: format %q, want %q", t.Format, TruthFormat)
	}
	if err := t.validate(); err != nil {
		return nil, fmt.Errorf("reading the truth: %w", err)
	}
	return &t, nil
}

func (t *Truth) validate() error {
	if t.Steps < 1 || t.StepSeconds <= 0 {
		return fmt.Errorf("%d steps of %gs", t.Steps, t.StepSeconds)
	}
	if len(t.Pods) == 0 {
		return errors.New("no pod")
	}
	if len(t.RequestRate) != t.Steps {
		return fmt.Errorf("request_rate has %d values, want %d", len(t.RequestRate), t.Steps)
	}
	for _, p := range t.Pods {
		for _, c := range []struct {
			name string
			col  []float64
		}{
			{"request_rate", p.RequestRate}, {"cpu_demand_cores", p.CPUDemandCores}, {"gc_cpu_cores", p.GCCPUCores},
			{"memory_need_bytes", p.MemoryNeedBytes}, {"peak_working_set_bytes", p.PeakWorkingSetBytes},
			{"live_heap_bytes", p.LiveHeapBytes}, {"non_heap_bytes", p.NonHeapBytes}, {"heap_goal_bytes", p.HeapGoalBytes},
			{"alloc_bytes_per_second", p.AllocBytesPerSecond}, {"goroutines", p.Goroutines},
		} {
			if len(c.col) != t.Steps {
				return fmt.Errorf("pod %s: %s has %d values, want %d", p.Pod, c.name, len(c.col), t.Steps)
			}
		}
	}
	return nil
}

// At returns the instant of step k.
func (t *Truth) At(k int) time.Time {
	return t.Start.Add(time.Duration(float64(k) * t.StepSeconds * float64(time.Second)))
}
