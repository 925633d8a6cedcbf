package scrape

import (
	"strconv"
	"strings"
	"testing"
)

// FuzzParseTarget: any string is either refused with an error that quotes
// it, or read as an http(s) target naming a whole container, which
// String writes back in a form ParseTarget reads to the same target.
func FuzzParseTarget(f *testing.F) {
	for _, s := range []string{
		"http://127.0.0.1:8080/metrics#namespace=shop&pod=checkout-7d9f8b6c5d-x2x4z&container=app",
		"http://127.0.0.1:8080", "https://[::1]:9090/m?x=1", "http://h/#pod=a%23b&container=%22%7D",
		"ftp://h/", "http://", "http://h/#pod=", "http://h/#pod=a&pod=b", "http://h/#color=red", "http://h/#%zz",
		"http://h/p%20q#namespace=a+b",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		tg, err := ParseTarget(s)
		if err != nil {
			if !strings.Contains(err.Error(), strconv.Quote(s)) {
				t.Fatalf("ParseTarget(%q): error %q does not quote the target", s, err)
			}
			return
		}
		if !strings.HasPrefix(tg.URL, "http://") && !strings.HasPrefix(tg.URL, "https://") || strings.Contains(tg.URL, "#") {
			t.Fatalf("ParseTarget(%q).URL = %q, want an http(s) URL without a fragment", s, tg.URL)
		}
		if tg.Ref.Namespace == "" || tg.Ref.Pod == "" || tg.Ref.Container == "" {
			t.Fatalf("ParseTarget(%q) names no whole container: %+v", s, tg.Ref)
		}
		back, err := ParseTarget(tg.String())
		if err != nil || back != tg {
			t.Fatalf("ParseTarget(%q) = %+v, written as %q reads back as %+v, %v", s, tg, tg.String(), back, err)
		}
	})
}
