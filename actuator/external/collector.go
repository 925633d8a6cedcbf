package external

import (
	"strings"

	"github.com/prometheus/client_golang/prometheus"
)

// Collector exposes the store's fresh values as Prometheus gauges, named
// as the metrics and labeled namespace, kind (lower case) and workload, for
// prometheus-adapter. Stale values are left out, and so is the fallback:
// the adapter applies its own.
type Collector struct {
	store *Store
	descs map[Metric]*prometheus.Desc
}

var _ prometheus.Collector = (*Collector)(nil)

// NewCollector exposes the given metrics of the store (all when none are
// given). Leave out those another collector of the registry already
// exports, such as pacer_recommended_replicas.
func NewCollector(s *Store, metrics ...Metric) *Collector {
	if len(metrics) == 0 {
		metrics = metricOrder
	}
	c := &Collector{store: s, descs: map[Metric]*prometheus.Desc{}}
	for _, m := range metrics {
		c.descs[m] = prometheus.NewDesc(string(m), m.Help(), []string{"namespace", "kind", "workload"}, nil)
	}
	return c
}

// Describe sends the gauges' descriptions.
func (c *Collector) Describe(ch chan<- *prometheus.Desc) {
	for _, m := range metricOrder {
		if d, ok := c.descs[m]; ok {
			ch <- d
		}
	}
}

// Collect sends one gauge per fresh value.
func (c *Collector) Collect(ch chan<- prometheus.Metric) {
	for _, v := range c.store.Snapshot() {
		d, ok := c.descs[v.Metric]
		if !ok {
			continue
		}
		ch <- prometheus.MustNewConstMetric(d, prometheus.GaugeValue, v.Value,
			v.Workload.Namespace, strings.ToLower(string(v.Workload.Kind)), v.Workload.Name)
	}
}
