package direct

import (
	"strconv"
	"strings"
	"testing"
)

// FuzzReadRecord: whatever a person writes into the applied-resources
// annotation is either refused with an error that names the annotation and
// quotes its value, or read as a record that pacer writes back to the same
// text it reads again; nothing panics.
func FuzzReadRecord(f *testing.F) {
	for _, seed := range []string{
		`{"at":"2026-03-01T12:00:00Z","containers":{"app":{"env.GOMAXPROCS":"2","requests.cpu":"250m"}}}`,
		`{"at":"2026-03-01T12:00:00+14:00","containers":{}}`,
		`{"at":"0000-01-01T00:00:00-23:59","containers":null}`,
		`{"at":"9999-12-31T23:59:59Z","containers":{"app":{"limits.memory":"1Gi","requests.nvidia.com/gpu":"1"}}}`,
		`{"containers":{"app":{}}}`, `{}`, `null`, `[]`, `"x"`, ``, `{"at":1}`,
	} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, v string) {
		r, err := readRecord(map[string]string{AppliedResourcesAnnotation: v})
		if err != nil {
			if !strings.Contains(err.Error(), AppliedResourcesAnnotation) || !strings.Contains(err.Error(), strconv.Quote(v)) {
				t.Fatalf("error %q names neither the annotation nor its value", err)
			}
			return
		}
		text := r.String()
		back, err := readRecord(map[string]string{AppliedResourcesAnnotation: text})
		if err != nil {
			t.Fatalf("%q read as %s, which does not read back: %v", v, text, err)
		}
		if back.String() != text {
			t.Fatalf("%q read as %s, then as %s", v, text, back.String())
		}
	})
}
