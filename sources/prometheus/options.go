package prometheus

import (
	"errors"
	"fmt"
	"net/url"
	"strings"
	"text/template"
	"time"

	"github.com/pacerdev/pacer/recommender"
)

// Labels names the labels that identify a container in Prometheus.
type Labels struct {
	Namespace string
	Pod       string
	Container string
}

// Options configures a Source. The zero value of every field but URL means
// "use the default"; New fills defaults, Validate says what is wrong.
type Options struct {
	// URL is the base URL of the Prometheus HTTP API, e.g.
	// http://prometheus.monitoring:9090 or a Thanos/Mimir query frontend.
	URL string
	// Timeout bounds each query (default 30s).
	Timeout time.Duration
	// RateRange is the range of rate() in the default queries (default 1m).
	RateRange time.Duration
	// Labels identify containers (default namespace, pod, container).
	Labels Labels
	// Queries replaces the default query template of some signals. See
	// TemplateData for what a template may use.
	Queries map[recommender.Signal]string
	// Parallelism is how many queries run at once (default 4).
	Parallelism int
	// Client: authentication, TLS and extra headers.
	Client ClientOptions
}

// TemplateData is what a query template is executed with.
type TemplateData struct {
	// Selector is a complete label selector, e.g. {namespace="shop"} or {}.
	Selector string
	// Matchers is the same matchers with a leading comma, or empty, for
	// appending to a selector the template writes itself:
	// container_memory_working_set_bytes{container!=""{{.Matchers}}}.
	Matchers string
	// Range is RateRange in PromQL duration syntax, e.g. 1m.
	Range string
	// By is the grouping label list, e.g. "namespace, pod, container".
	By string
}

const (
	defaultTimeout     = 30 * time.Second
	defaultRateRange   = time.Minute
	defaultParallelism = 4
)

func (o *Options) applyDefaults() {
	if o.Timeout == 0 {
		o.Timeout = defaultTimeout
	}
	if o.RateRange == 0 {
		o.RateRange = defaultRateRange
	}
	if o.Parallelism == 0 {
		o.Parallelism = defaultParallelism
	}
	if o.Labels.Namespace == "" {
		o.Labels.Namespace = "namespace"
	}
	if o.Labels.Pod == "" {
		o.Labels.Pod = "pod"
	}
	if o.Labels.Container == "" {
		o.Labels.Container = "container"
	}
}

// RedactedURL is URL with any password in it replaced by "xxxxx", for logs,
// errors and pages: credentials belong in the files the client options
// name, but a URL with user:password@ must not spread them.
func (o Options) RedactedURL() string {
	return redactURL(o.URL)
}

func redactURL(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return "(an unparsable URL)"
	}
	return u.Redacted()
}

// Validate reports every problem with the options, each naming its field.
func (o Options) Validate() []error {
	o.applyDefaults()
	var errs []error
	if o.URL == "" {
		errs = append(errs, errors.New("prometheus URL is empty"))
	} else if u, err := url.Parse(o.URL); err != nil {
		// url.Parse's error quotes the whole URL, password and all.
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err
		}
		errs = append(errs, fmt.Errorf("prometheus URL: %w", err))
	} else if u.Scheme != "http" && u.Scheme != "https" || u.Host == "" {
		errs = append(errs, fmt.Errorf("prometheus URL %q: want http:// or https:// and a host", u.Redacted()))
	}
	if o.Timeout < 0 {
		errs = append(errs, fmt.Errorf("timeout %s is negative", o.Timeout))
	}
	if o.RateRange < time.Second {
		errs = append(errs, fmt.Errorf("rate range %s is shorter than 1s", o.RateRange))
	}
	if o.Parallelism < 1 {
		errs = append(errs, fmt.Errorf("parallelism %d is less than 1", o.Parallelism))
	}
	for field, name := range map[string]string{
		"namespace label": o.Labels.Namespace,
		"pod label":       o.Labels.Pod,
		"container label": o.Labels.Container,
	} {
		if err := validLabelName(name); err != nil {
			errs = append(errs, fmt.Errorf("%s: %w", field, err))
		}
	}
	for sig, text := range o.Queries {
		if _, err := recommender.ParseSignal(string(sig)); err != nil {
			errs = append(errs, fmt.Errorf("query override: %w", err))
			continue
		}
		if _, err := parseQueryTemplate(sig, text); err != nil {
			errs = append(errs, err)
		}
	}
	errs = append(errs, o.Client.validate()...)
	return errs
}

func parseQueryTemplate(sig recommender.Signal, text string) (*template.Template, error) {
	if strings.TrimSpace(text) == "" {
		return nil, fmt.Errorf("query template for signal %s is empty", sig)
	}
	t, err := template.New(string(sig)).Option("missingkey=error").Parse(text)
	if err != nil {
		return nil, fmt.Errorf("query template for signal %s: %w", sig, err)
	}
	// Execute once with sample data so a bad field reference fails now, not
	// in the middle of a cycle.
	if err := t.Execute(&strings.Builder{}, TemplateData{Selector: "{}", Range: "1m", By: "pod"}); err != nil {
		return nil, fmt.Errorf("query template for signal %s: %w", sig, err)
	}
	return t, nil
}
