package scrape

import (
	"fmt"
	"net/url"
	"strings"

	"github.com/pacerdev/pacer/recommender"
)

// Target is one scrape URL and the container its samples belong to.
type Target struct {
	URL string
	Ref recommender.ContainerRef
}

// ParseTarget reads a target from its command-line form: a URL whose fragment
// (never sent to the server) may name the container,
//
//	http://127.0.0.1:8080/metrics#namespace=shop&pod=checkout-7d9f8b6c5d-x2x4z&container=app
//
// Without a fragment the namespace is "default", the pod is the host and port,
// and the container is "app".
func ParseTarget(s string) (Target, error) {
	u, err := url.Parse(s)
	if err != nil {
		return Target{}, fmt.Errorf("scrape target %q: %w", s, err)
	}
	if u.Scheme != "http" && u.Scheme != "https" || u.Host == "" {
		return Target{}, fmt.Errorf("scrape target %q: want an http:// or https:// URL with a host", s)
	}
	if u.Path == "" {
		u.Path = "/metrics"
	}
	ref := recommender.ContainerRef{
		Namespace: "default",
		Pod:       strings.NewReplacer(":", "-", "[", "", "]", "").Replace(u.Host),
		Container: "app",
	}
	if u.Fragment != "" {
		values, err := url.ParseQuery(u.EscapedFragment())
		if err != nil {
			return Target{}, fmt.Errorf("scrape target %q: fragment: %w", s, err)
		}
		for key, vals := range values {
			if len(vals) != 1 || vals[0] == "" {
				return Target{}, fmt.Errorf("scrape target %q: %s needs exactly one non-empty value", s, key)
			}
			switch key {
			case "namespace":
				ref.Namespace = vals[0]
			case "pod":
				ref.Pod = vals[0]
			case "container":
				ref.Container = vals[0]
			default:
				return Target{}, fmt.Errorf("scrape target %q: unknown fragment key %q (want namespace, pod, container)", s, key)
			}
		}
	}
	if ref.Pod == "" {
		// A host of only brackets, such as http://], leaves no pod name.
		return Target{}, fmt.Errorf("scrape target %q: the host names no pod; name one with #pod=NAME", s)
	}
	u.Fragment = ""
	return Target{URL: u.String(), Ref: ref}, nil
}

// String renders the target in the form ParseTarget reads.
func (t Target) String() string {
	v := url.Values{"namespace": {t.Ref.Namespace}, "pod": {t.Ref.Pod}, "container": {t.Ref.Container}}
	return t.URL + "#" + v.Encode()
}
