package generate

import (
	"bytes"
	"reflect"
	"strings"
	"testing"
	"time"
)

func TestTruth(t *testing.T) {
	tr := generate(t, Config{Scenario: "goroutine-storm", Seed: 9, Pods: 3, Duration: 6 * time.Hour, GOMEMLIMITBytes: 400 * MiB})
	truth := tr.Truth()
	var buf bytes.Buffer
	if err := tr.WriteTruth(&buf); err != nil {
		t.Fatal(err)
	}
	back, err := ReadTruth(&buf)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(back, truth) {
		t.Errorf("ReadTruth(WriteTruth(trace)) differs from trace.Truth()")
	}
	if back.Service.GC.MemoryLimitBytes != 400*MiB || back.Workload != (TruthWorkload{"synthetic", "Deployment", "goroutine-storm"}) {
		t.Errorf("truth has GOMEMLIMIT %g and workload %+v", back.Service.GC.MemoryLimitBytes, back.Workload)
	}
	for k := range back.Steps {
		if !back.At(k).Equal(tr.At(k)) {
			t.Fatalf("truth step %d at %s, trace at %s", k, back.At(k), tr.At(k))
		}
		var sum float64
		for i, p := range back.Pods {
			s := tr.Pods[i].Samples[k]
			sum += p.RequestRate[k]
			if p.Pod != tr.Pods[i].Name || p.CPUDemandCores[k] != s.CPUDemandCores ||
				p.MemoryNeedBytes[k] != s.LiveHeapBytes+s.NonHeapBytes || p.PeakWorkingSetBytes[k] != s.PeakHeapBytes+s.NonHeapBytes {
				t.Fatalf("step %d: truth of pod %s does not match the trace's pod %s", k, p.Pod, tr.Pods[i].Name)
			}
		}
		if !near(back.RequestRate[k], sum, 1e-4, 0) {
			t.Fatalf("step %d: workload request rate %g, pods sum to %g", k, back.RequestRate[k], sum)
		}
	}
}

func TestReadTruthRefusesBadFiles(t *testing.T) {
	var good bytes.Buffer
	if err := generate(t, Config{Scenario: "steady", Duration: 5 * time.Minute}).WriteTruth(&good); err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		name, in, want string
	}{
		{"not JSON", "steps: 3", "reading the truth: invalid character"},
		{"another format", strings.Replace(good.String(), TruthFormat, "pacer.synthetic-truth.v0", 1), `format "pacer.synthetic-truth.v0", want "pacer.synthetic-truth.v1"`},
		{"a short column", strings.Replace(good.String(), `"steps":6`, `"steps":7`, 1), "request_rate has 6 values, want 7"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := ReadTruth(strings.NewReader(tt.in)); err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("ReadTruth: %v, want %q", err, tt.want)
			}
		})
	}
}
