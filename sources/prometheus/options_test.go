package prometheus

import (
	"errors"
	"strings"
	"testing"

	"github.com/pacerdev/pacer/recommender"
)

// TestURLPasswordNeverShown: a password in --prometheus-url appears in no
// description and no validation error.
func TestURLPasswordNeverShown(t *testing.T) {
	const secret = "s3cr3t-pw"
	if got := (Options{URL: "https://pacer:" + secret + "@prom.example:9090/"}).RedactedURL(); strings.Contains(got, secret) || !strings.Contains(got, "prom.example:9090") {
		t.Errorf("RedactedURL = %q, want the host without the password", got)
	}
	for _, raw := range []string{
		"ftp://pacer:" + secret + "@prom.example/",  // wrong scheme
		"http://pacer:" + secret + "@prom example/", // unparsable host
	} {
		err := errors.Join((Options{URL: raw}).Validate()...)
		if err == nil || strings.Contains(err.Error(), secret) {
			t.Errorf("Validate(%q) = %v, want an error without the password", raw, err)
		}
	}
}

// TestEmptySelectorNameRefused: namespace="" would select every series
// without the label, so an empty name is an error, not a query.
func TestEmptySelectorNameRefused(t *testing.T) {
	s, err := New(Options{URL: "http://127.0.0.1:1"})
	if err != nil {
		t.Fatal(err)
	}
	if q, err := s.Render(recommender.Goroutines, recommender.Selector{Namespaces: []string{"shop", ""}}); err == nil {
		t.Errorf("rendered %q for an empty namespace", q)
	}
}
