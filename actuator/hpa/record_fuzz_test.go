package hpa

import (
	"strconv"
	"strings"
	"testing"
)

// FuzzReadRecord: whatever a person writes into the applied-metrics
// annotation is either refused with an error that names the annotation and
// quotes its value, or read as a record that pacer writes back to the same
// text it reads again; nothing panics.
func FuzzReadRecord(f *testing.F) {
	for _, seed := range []string{
		`{"metrics":"sha256:0123456789abcdef","targets":{"850500m":"35%"},"scaleAtCores":{"cpu":0.25}}`,
		`{"metrics":"x","scaleAtCores":{"cpu":1e308}}`, `{"metrics":"x","scaleAtCores":{"cpu":1e400}}`,
		`{"metrics":""}`, `{}`, `null`, `[]`, ``, `{"metrics":1}`, `{"metrics":"\u0000"}`,
	} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, v string) {
		r, ok, err := readRecord(map[string]string{AppliedMetricsAnnotation: v})
		if !ok {
			t.Fatalf("an annotation that is there reads as absent")
		}
		if err != nil {
			if !strings.Contains(err.Error(), AppliedMetricsAnnotation) || !strings.Contains(err.Error(), strconv.Quote(v)) {
				t.Fatalf("error %q names neither the annotation nor its value", err)
			}
			return
		}
		text := r.String()
		back, _, err := readRecord(map[string]string{AppliedMetricsAnnotation: text})
		if err != nil {
			t.Fatalf("%q read as %s, which does not read back: %v", v, text, err)
		}
		if back.String() != text {
			t.Fatalf("%q read as %s, then as %s", v, text, back.String())
		}
	})
}
