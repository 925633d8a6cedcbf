package scrape

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"math"
	"net/http"
	"strconv"

	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
)

// acceptHeader asks for OpenMetrics first, then the Prometheus text format.
const acceptHeader = `application/openmetrics-text;version=1.0.0;q=0.6,text/plain;version=0.0.4;q=0.5,*/*;q=0.1`

// decodeBody parses a scrape response of any format Prometheus serves.
func decodeBody(header http.Header, body []byte, source string) ([]omSample, error) {
	format := expfmt.ResponseFormat(header)
	var out []omSample
	if format.FormatType() == expfmt.TypeOpenMetrics {
		err := parseOpenMetrics(bytes.NewReader(body), source, func(_ int, s omSample) error {
			s.labels = append(labels(nil), s.labels...)
			out = append(out, s)
			return nil
		})
		return out, err
	}
	dec := expfmt.NewDecoder(bytes.NewReader(body), format)
	for {
		var mf dto.MetricFamily
		err := dec.Decode(&mf)
		if errors.Is(err, io.EOF) {
			return out, nil
		}
		if err != nil {
			return nil, fmt.Errorf("%s: %w", source, err)
		}
		out = appendFamily(out, &mf)
	}
}

// appendFamily flattens a decoded family into samples named as Prometheus
// stores them (name_count, name_sum, name_bucket{le=…}, name{quantile=…}).
func appendFamily(out []omSample, mf *dto.MetricFamily) []omSample {
	family := mf.GetName()
	typ := map[dto.MetricType]metricType{
		dto.MetricType_COUNTER: typeCounter, dto.MetricType_GAUGE: typeGauge,
		dto.MetricType_SUMMARY: typeSummary, dto.MetricType_HISTOGRAM: typeHistogram,
	}[mf.GetType()]
	if typ == "" {
		typ = typeUnknown
	}
	for _, m := range mf.GetMetric() {
		base := make(labels, 0, len(m.GetLabel())+1)
		for _, lp := range m.GetLabel() {
			base = append(base, label{lp.GetName(), lp.GetValue()})
		}
		base.sort()
		add := func(name string, v float64, extra ...label) {
			ls := base
			if len(extra) > 0 {
				ls = append(append(labels(nil), base...), extra...)
				ls.sort()
			}
			out = append(out, omSample{name: name, family: family, typ: typ, labels: ls, value: v,
				timestampMs: m.GetTimestampMs(), hasTimestamp: m.TimestampMs != nil})
		}
		switch {
		case m.Counter != nil:
			add(family, m.Counter.GetValue())
		case m.Gauge != nil:
			add(family, m.Gauge.GetValue())
		case m.Untyped != nil:
			add(family, m.Untyped.GetValue())
		case m.Summary != nil:
			add(family+"_count", float64(m.Summary.GetSampleCount()))
			add(family+"_sum", m.Summary.GetSampleSum())
			for _, q := range m.Summary.GetQuantile() {
				add(family, q.GetValue(), label{"quantile", formatFloat(q.GetQuantile())})
			}
		case m.Histogram != nil:
			add(family+"_count", float64(m.Histogram.GetSampleCount()))
			add(family+"_sum", m.Histogram.GetSampleSum())
			for _, b := range m.Histogram.GetBucket() {
				add(family+"_bucket", float64(b.GetCumulativeCount()), label{"le", formatFloat(b.GetUpperBound())})
			}
			if bs := m.Histogram.GetBucket(); len(bs) > 0 && !math.IsInf(bs[len(bs)-1].GetUpperBound(), 1) {
				add(family+"_bucket", float64(m.Histogram.GetSampleCount()), label{"le", "+Inf"})
			}
		}
	}
	return out
}

func formatFloat(f float64) string {
	if math.IsInf(f, 1) {
		return "+Inf"
	}
	return strconv.FormatFloat(f, 'g', -1, 64)
}
