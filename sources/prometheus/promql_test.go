package prometheus

import (
	"encoding/pem"
	"strconv"
	"strings"
	"testing"

	"github.com/pacerdev/pacer/recommender"
)

func pemEncode(der []byte) []byte {
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})
}

// hostile values try to close the string literal or the selector and append
// PromQL of their own.
var hostile = []string{
	`shop"} or vector(1) #`,
	`shop\"} or vector(1)`,
	"shop\"}\nor vector(1)",
	`.*`,
	`a|b`,
	"\x00\xff",
	`'`,
	"`",
}

func TestRenderEscapesSelectorValues(t *testing.T) {
	src, err := newSource(nil, Options{URL: "http://x"})
	if err != nil {
		t.Fatal(err)
	}
	for _, v := range hostile {
		got, err := src.Render(recommender.Goroutines, recommender.Selector{Namespaces: []string{v}})
		if err != nil {
			t.Fatal(err)
		}
		literal := strings.TrimSuffix(strings.TrimPrefix(got, "sum by (namespace, pod, container) (go_goroutines{namespace="), "})")
		if literal == got {
			t.Fatalf("%q: query shape changed: %s", v, got)
		}
		if back, err := strconv.Unquote(literal); err != nil || back != v {
			t.Errorf("%q: literal %s reads back as %q (%v)", v, literal, back, err)
		}
	}
}

func TestRenderRegexpSelectorIsLiteral(t *testing.T) {
	src, err := newSource(nil, Options{URL: "http://x"})
	if err != nil {
		t.Fatal(err)
	}
	got, err := src.Render(recommender.Memory, recommender.Selector{Namespaces: []string{"a"}, Pods: []string{"p.*", "q|r"}})
	if err != nil {
		t.Fatal(err)
	}
	want := `sum by (namespace, pod, container) (container_memory_working_set_bytes{container!="",container!="POD",namespace="a",pod=~"p\\.\\*|q\\|r"})` +
		` or sum by (namespace, pod, container) (process_resident_memory_bytes{namespace="a",pod=~"p\\.\\*|q\\|r"})`
	if got != want {
		t.Errorf("got  %s\nwant %s", got, want)
	}
}

func FuzzQuote(f *testing.F) {
	for _, v := range hostile {
		f.Add(v)
	}
	f.Fuzz(func(t *testing.T, v string) {
		q := quote(v)
		back, err := strconv.Unquote(q)
		if err != nil {
			t.Fatalf("quote(%q) = %s does not read back: %v", v, q, err)
		}
		if back != v {
			t.Fatalf("quote(%q) reads back as %q", v, back)
		}
	})
}
