package scrape

import (
	"strings"
	"testing"

	"github.com/pacerdev/pacer/recommender"
)

func TestParseTarget(t *testing.T) {
	tests := []struct {
		in   string
		want Target
	}{
		{"http://127.0.0.1:8080",
			Target{"http://127.0.0.1:8080/metrics", recommender.ContainerRef{Namespace: "default", Pod: "127.0.0.1-8080", Container: "app"}}},
		{"https://[::1]:9090/debug/metrics",
			Target{"https://[::1]:9090/debug/metrics", recommender.ContainerRef{Namespace: "default", Pod: "--1-9090", Container: "app"}}},
		{"http://127.0.0.1:8080/metrics#namespace=shop&pod=checkout-7d9f8b6c5d-x2x4z&container=server",
			Target{"http://127.0.0.1:8080/metrics", recommender.ContainerRef{Namespace: "shop", Pod: "checkout-7d9f8b6c5d-x2x4z", Container: "server"}}},
		{"http://api.shop.svc:8080/metrics?format=text#pod=api-0",
			Target{"http://api.shop.svc:8080/metrics?format=text", recommender.ContainerRef{Namespace: "default", Pod: "api-0", Container: "app"}}},
	}
	for _, tt := range tests {
		got, err := ParseTarget(tt.in)
		if err != nil {
			t.Errorf("ParseTarget(%q): %v", tt.in, err)
			continue
		}
		if got != tt.want {
			t.Errorf("ParseTarget(%q) = %+v, want %+v", tt.in, got, tt.want)
		}
		if back, err := ParseTarget(got.String()); err != nil || back != got {
			t.Errorf("ParseTarget(%q) = %+v, %v; want the target back", got.String(), back, err)
		}
	}
}

func TestParseTargetErrors(t *testing.T) {
	tests := []struct {
		in   string
		want string
	}{
		{"ftp://127.0.0.1/metrics", "want an http:// or https:// URL with a host"},
		{"http:///metrics", "want an http:// or https:// URL with a host"},
		{"127.0.0.1:8080/metrics", "127.0.0.1:8080/metrics"},
		{"http://h/metrics#node=n1", `unknown fragment key "node" (want namespace, pod, container)`},
		{"http://h/metrics#pod=", "pod needs exactly one non-empty value"},
		{"http://h/metrics#pod=a&pod=b", "pod needs exactly one non-empty value"},
		{"http://h/metrics#pod=a;b", "fragment"},
	}
	for _, tt := range tests {
		_, err := ParseTarget(tt.in)
		if err == nil || !strings.Contains(err.Error(), tt.want) || !strings.HasPrefix(err.Error(), "scrape target ") {
			t.Errorf("ParseTarget(%q) error = %v, want a scrape target error containing %q", tt.in, err, tt.want)
		}
	}
}
