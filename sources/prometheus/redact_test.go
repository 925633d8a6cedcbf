package prometheus

import (
	"errors"
	"strings"
	"testing"
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
