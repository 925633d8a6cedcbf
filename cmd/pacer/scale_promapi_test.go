package main

import (
	"bytes"
	"compress/gzip"
	"errors"
	"fmt"
	"io"
	"math"
	"net"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"golang.org/x/sync/errgroup"

	"github.com/pacerdev/pacer/recommender"
)

// The synthetic cluster of the scale benchmarks: pods of one container,
// five pods to a Deployment, twenty Deployments to a namespace.
const (
	podsPerWorkload       = 5
	workloadsPerNamespace = 20
)

// scaleCluster is every pod of the synthetic cluster with what its
// series need: the labels as Prometheus writes them, and a size and phase
// of its own so that no two pods report the same values.
type scaleCluster struct {
	pods      []scalePod
	workloads int
}

type scalePod struct {
	// metric is {"container":"app","namespace":"…","pod":"…"}: the default
	// queries aggregate by these labels, so Prometheus answers with them
	// and no others.
	metric []byte
	size   float64
	phase  float64
}

func newScaleCluster(pods int) *scaleCluster {
	c := &scaleCluster{pods: make([]scalePod, pods), workloads: (pods + podsPerWorkload - 1) / podsPerWorkload}
	for i := range c.pods {
		w := i / podsPerWorkload
		// A Deployment's pod name: workload, ReplicaSet hash, pod suffix,
		// from the alphabet Kubernetes generates them from, so that
		// recommender.GuessWorkload groups the five pods; the suffix starts
		// with the pod's place in its workload, so no two collide.
		suffix := nameAlphabet[i%podsPerWorkload:i%podsPerWorkload+1] + generatedName(uint64(i)<<20|0xbeef, 4)
		name := fmt.Sprintf("svc-%05d-%s-%s", w, generatedName(uint64(w), 10), suffix)
		ns := fmt.Sprintf("team-%03d", w/workloadsPerNamespace)
		c.pods[i] = scalePod{
			metric: fmt.Appendf(nil, `{"container":"app","namespace":%q,"pod":%q}`, ns, name),
			size:   0.5 + 1.5*unitHash(uint64(i), 1),
			phase:  2 * math.Pi * unitHash(uint64(i), 2),
		}
	}
	return c
}

// nameAlphabet is what Kubernetes builds generated name suffixes from.
const nameAlphabet = "bcdfghjklmnpqrstvwxz2456789"

// generatedName returns n (at most 13) characters of Kubernetes' name
// alphabet drawn from seed.
func generatedName(seed uint64, n int) string {
	b := make([]byte, n)
	x := splitmix(seed)
	for i := range b {
		b[i] = nameAlphabet[x%uint64(len(nameAlphabet))]
		x /= uint64(len(nameAlphabet))
	}
	return string(b)
}

func splitmix(x uint64) uint64 {
	x += 0x9e3779b97f4a7c15
	x = (x ^ x>>30) * 0xbf58476d1ce4e5b9
	x = (x ^ x>>27) * 0x94d049bb133111eb
	return x ^ x>>31
}

// unitHash is a value in [0, 1) fixed by its arguments.
func unitHash(a, b uint64) float64 {
	return float64(splitmix(a*0x100000001b3^b)>>11) / (1 << 53)
}

// value is a pod's signal at a time: a Go service with a daily load curve
// and per-minute noise, whose runtime signals agree with each other.
func (p *scalePod) value(sig recommender.Signal, ms int64, index int) float64 {
	const mib = 1 << 20
	minute := float64(ms) / 60e3
	load := 1 + 0.3*math.Sin(2*math.Pi*minute/1440+p.phase) + 0.1*(unitHash(uint64(index), uint64(ms))-0.5)
	requestRate := 200 * p.size * load
	cpu := 0.02 + 0.002*requestRate
	allocRate := 20 * 1024 * requestRate
	liveHeap := math.Round(30 * mib * p.size * (1 + 0.1*math.Sin(2*math.Pi*minute/360+p.phase)))
	switch sig {
	case recommender.Goroutines:
		return math.Round(50 + 0.5*requestRate)
	case recommender.AllocRate:
		return allocRate
	case recommender.LiveHeap:
		return liveHeap
	case recommender.HeapGoal:
		return 2 * liveHeap
	case recommender.GOGC:
		return 100
	case recommender.GOMEMLIMIT:
		return math.MaxInt64
	case recommender.GOMAXPROCS:
		return 2
	case recommender.GCRate:
		return allocRate / liveHeap
	case recommender.GCCPU:
		return 0.05 * cpu
	case recommender.RequestRate:
		return requestRate
	case recommender.CPU:
		return cpu
	case recommender.Memory:
		return math.Round(2.3*liveHeap + 20*mib)
	case recommender.CPUThrottled:
		return 0.05 * unitHash(uint64(index), uint64(ms)+1)
	}
	return 0
}

// fakePrometheus answers pacer's queries as the Prometheus HTTP API does,
// with one series per pod, from bodies rendered and gzipped before the
// cycle so that its own work stays out of the measurement. It counts the
// requests and the bytes it sends.
type fakePrometheus struct {
	cluster  *scaleCluster
	signalOf map[string]recommender.Signal // rendered PromQL → signal

	mu     sync.Mutex
	answer *preparedAnswer

	requests  atomic.Int64
	wireBytes atomic.Int64 // everything written to the connections: headers, framing, gzip
	jsonBytes atomic.Int64 // the answers before compression
}

// preparedAnswer is every signal's answer to one range query.
type preparedAnswer struct {
	startMS, endMS int64
	step           time.Duration
	bodies         map[recommender.Signal]preparedBody
}

type preparedBody struct {
	gzipped   []byte
	jsonBytes int
}

// answerSize is the heap the prepared answer holds.
func (f *fakePrometheus) answerSize() uint64 {
	f.mu.Lock()
	defer f.mu.Unlock()
	var n uint64
	if f.answer != nil {
		for _, b := range f.answer.bodies {
			n += uint64(cap(b.gzipped))
		}
	}
	return n
}

// drop forgets the prepared answer.
func (f *fakePrometheus) drop() {
	f.mu.Lock()
	f.answer = nil
	f.mu.Unlock()
}

// prepare renders the answers to the range query over w. With sparse set,
// the series hold only the samples every sparse apart (and the last),
// standing in for long history at little cost.
func (f *fakePrometheus) prepare(w recommender.Window, sparse time.Duration) error {
	start, end := w.Start().UnixMilli(), w.End.UnixMilli()
	var times []int64
	for t := start; t <= end; t += w.Step.Milliseconds() {
		if sparse == 0 || (t-start)%sparse.Milliseconds() == 0 || t == end {
			times = append(times, t)
		}
	}
	a := &preparedAnswer{startMS: start, endMS: end, step: w.Step, bodies: map[recommender.Signal]preparedBody{}}
	var mu sync.Mutex
	var g errgroup.Group
	g.SetLimit(2)
	for _, sig := range recommender.Signals() {
		g.Go(func() error {
			body, err := f.cluster.render(sig, times)
			mu.Lock()
			a.bodies[sig] = body
			mu.Unlock()
			return err
		})
	}
	if err := g.Wait(); err != nil {
		return err
	}
	f.mu.Lock()
	f.answer = a
	f.mu.Unlock()
	return nil
}

// render writes a matrix with one series per pod, as Prometheus writes it
// (labels sorted by name, timestamps in seconds, values as strings), gzipped.
func (c *scaleCluster) render(sig recommender.Signal, times []int64) (preparedBody, error) {
	var out bytes.Buffer
	zw, err := gzip.NewWriterLevel(&out, gzip.DefaultCompression)
	if err != nil {
		return preparedBody{}, err
	}
	n := 0
	buf := make([]byte, 0, 64<<10)
	flush := func() error {
		n += len(buf)
		_, err := zw.Write(buf)
		buf = buf[:0]
		return err
	}
	buf = append(buf, `{"status":"success","data":{"resultType":"matrix","result":[`...)
	for i := range c.pods {
		p := &c.pods[i]
		if i > 0 {
			buf = append(buf, ',')
		}
		buf = append(buf, `{"metric":`...)
		buf = append(buf, p.metric...)
		buf = append(buf, `,"values":[`...)
		for j, ms := range times {
			if j > 0 {
				buf = append(buf, ',')
			}
			buf = append(buf, '[')
			buf = appendTimestamp(buf, ms)
			buf = append(buf, ',', '"')
			buf = strconv.AppendFloat(buf, p.value(sig, ms, i), 'f', -1, 64)
			buf = append(buf, '"', ']')
		}
		buf = append(buf, ']', '}')
		if len(buf) > cap(buf)-4096 {
			if err := flush(); err != nil {
				return preparedBody{}, err
			}
		}
	}
	buf = append(buf, `]}}`...)
	if err := flush(); err != nil {
		return preparedBody{}, err
	}
	if err := zw.Close(); err != nil {
		return preparedBody{}, err
	}
	return preparedBody{gzipped: bytes.Clone(out.Bytes()), jsonBytes: n}, nil
}

// appendTimestamp writes Unix milliseconds as Prometheus' API does: seconds,
// with the milliseconds as a decimal fraction when there are any.
func appendTimestamp(buf []byte, ms int64) []byte {
	buf = strconv.AppendInt(buf, ms/1000, 10)
	if frac := ms % 1000; frac != 0 {
		buf = append(buf, '.')
		buf = append(buf, strings.TrimRight(fmt.Sprintf("%03d", frac), "0")...)
	}
	return buf
}

func (f *fakePrometheus) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	f.requests.Add(1)
	body, err := f.lookup(r)
	if err != nil {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusBadRequest)
		fmt.Fprintf(w, `{"status":"error","errorType":"bad_data","error":%q}`, err.Error())
		return
	}
	w.Header().Set("Content-Type", "application/json")
	f.jsonBytes.Add(int64(body.jsonBytes))
	if !strings.Contains(r.Header.Get("Accept-Encoding"), "gzip") {
		zr, err := gzip.NewReader(bytes.NewReader(body.gzipped))
		if err == nil {
			_, _ = io.Copy(w, zr)
		}
		return
	}
	w.Header().Set("Content-Encoding", "gzip")
	w.Header().Set("Content-Length", strconv.Itoa(len(body.gzipped)))
	_, _ = w.Write(body.gzipped)
}

// lookup finds the prepared answer to a request, which must be a range
// query for one of the signals over the prepared window.
func (f *fakePrometheus) lookup(r *http.Request) (preparedBody, error) {
	if r.URL.Path != "/api/v1/query_range" {
		return preparedBody{}, fmt.Errorf("the scale benchmark expects only range queries, got %s", r.URL.Path)
	}
	if err := r.ParseForm(); err != nil {
		return preparedBody{}, err
	}
	sig, ok := f.signalOf[r.Form.Get("query")]
	if !ok {
		return preparedBody{}, fmt.Errorf("unknown query %q", r.Form.Get("query"))
	}
	start, err1 := parseSeconds(r.Form.Get("start"))
	end, err2 := parseSeconds(r.Form.Get("end"))
	step, err3 := strconv.ParseFloat(r.Form.Get("step"), 64)
	f.mu.Lock()
	a := f.answer
	f.mu.Unlock()
	switch {
	case err1 != nil || err2 != nil || err3 != nil:
		return preparedBody{}, fmt.Errorf("bad start, end or step: %w", errors.Join(err1, err2, err3))
	case a == nil || start != a.startMS || end != a.endMS || time.Duration(step*float64(time.Second)) != a.step:
		return preparedBody{}, fmt.Errorf("no answer prepared for start %d, end %d, step %gs", start, end, step)
	}
	return a.bodies[sig], nil
}

func parseSeconds(s string) (int64, error) {
	f, err := strconv.ParseFloat(s, 64)
	return int64(math.Round(f * 1000)), err
}

// countingListener counts the bytes written to every connection it accepts.
type countingListener struct {
	net.Listener
	written *atomic.Int64
}

func (l countingListener) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if err != nil {
		return nil, err
	}
	return countingConn{c, l.written}, nil
}

type countingConn struct {
	net.Conn
	written *atomic.Int64
}

func (c countingConn) Write(p []byte) (int, error) {
	n, err := c.Conn.Write(p)
	c.written.Add(int64(n))
	return n, err
}
