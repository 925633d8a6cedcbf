//go:build integration

package integration

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"
)

// promProcess is a real Prometheus the test can kill and start again on
// the same address and data directory, as a pod restarted in place would be.
type promProcess struct {
	t                     *testing.T // the test that started it, for its output
	bin, cfgPath, dataDir string
	addr                  string
	cmd                   *exec.Cmd
	exited                chan error
}

// startKillablePrometheus runs Debian's prometheus with config on a free
// loopback port and stops it when the test ends.
func startKillablePrometheus(t *testing.T, config string) *promProcess {
	t.Helper()
	p := &promProcess{t: t, bin: tool(t, "prometheus"), dataDir: t.TempDir(), addr: freeAddr(t)}
	p.cfgPath = filepath.Join(t.TempDir(), "prometheus.yml")
	if err := os.WriteFile(p.cfgPath, []byte(config), 0o600); err != nil {
		t.Fatal(err)
	}
	p.start(t)
	t.Cleanup(p.stop)
	return p
}

func (p *promProcess) url() string { return "http://" + p.addr }

// start runs the process and waits until it answers /-/ready.
func (p *promProcess) start(t *testing.T) {
	t.Helper()
	p.cmd = exec.Command(p.bin,
		"--config.file="+p.cfgPath,
		"--storage.tsdb.path="+p.dataDir,
		"--storage.tsdb.retention.time=100y",
		"--web.listen-address="+p.addr,
		"--log.level=warn",
	)
	p.cmd.Stdout, p.cmd.Stderr = testWriter{p.t, "prometheus"}, testWriter{p.t, "prometheus"}
	p.cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	if err := p.cmd.Start(); err != nil {
		t.Fatalf("starting prometheus: %v", err)
	}
	exited := make(chan error, 1)
	p.exited = exited
	go func(cmd *exec.Cmd) { exited <- cmd.Wait() }(p.cmd)
	waitFor(t, 60*time.Second, "prometheus to become ready", func() (bool, error) {
		select {
		case err := <-exited:
			exited <- err
			return false, fmt.Errorf("prometheus exited: %w", err)
		default:
		}
		resp, err := http.Get(p.url() + "/-/ready")
		if err != nil {
			return false, nil
		}
		_ = resp.Body.Close()
		return resp.StatusCode == http.StatusOK, nil
	})
}

// waitScraped waits until Prometheus holds a sample of go_goroutines newer
// than since from each of n targets. After a restart, /-/ready comes
// seconds before the first scrape, and until then queries answer with the
// samples from before the restart: rate() extrapolates them for its range,
// and gauges repeat their last value for the five-minute lookback.
func (p *promProcess) waitScraped(t *testing.T, since time.Time, n int) {
	t.Helper()
	query := fmt.Sprintf("count(timestamp(go_goroutines) > %d)", since.Unix())
	waitFor(t, 60*time.Second, "prometheus to scrape every target again", func() (bool, error) {
		resp, err := http.PostForm(p.url()+"/api/v1/query", url.Values{"query": {query}})
		if err != nil {
			return false, nil
		}
		defer func() { _ = resp.Body.Close() }()
		var answer struct {
			Data struct {
				Result []struct {
					Value [2]any `json:"value"`
				} `json:"result"`
			} `json:"data"`
		}
		if err := json.NewDecoder(resp.Body).Decode(&answer); err != nil || len(answer.Data.Result) == 0 {
			return false, nil
		}
		count, _ := answer.Data.Result[0].Value[1].(string)
		return count == strconv.Itoa(n), nil
	})
}

// kill ends the process with SIGKILL, as the OOM killer or a node loss
// would: no shutdown, no flushed head block.
func (p *promProcess) kill(t *testing.T) {
	t.Helper()
	_ = p.cmd.Process.Kill()
	err := <-p.exited
	p.exited <- err
	t.Logf("prometheus killed: %v", err)
}

// running reports whether the process has not exited.
func (p *promProcess) running() bool {
	select {
	case err := <-p.exited:
		p.exited <- err
		return false
	default:
		return true
	}
}

// stop ends a running process with SIGTERM, then SIGKILL after 20 s.
func (p *promProcess) stop() {
	if !p.running() {
		return
	}
	_ = p.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case err := <-p.exited:
		p.exited <- err
	case <-time.After(20 * time.Second):
		_ = p.cmd.Process.Kill()
		p.t.Logf("prometheus killed after 20 s: %v", <-p.exited)
	}
}

// fault is what the faultProxy does to the Prometheus API.
type fault int32

const (
	// passThrough forwards every request unchanged.
	passThrough fault = iota
	// slowAnswers holds every API request for a minute before forwarding it.
	slowAnswers
	// garbageAnswers answers 200 with an HTML page, as a misrouted ingress might.
	garbageAnswers
	// truncatedAnswers forwards the real answer cut in half.
	truncatedAnswers
	// partialAnswers forwards the real answer with the warning a Thanos
	// querier adds when a store did not answer.
	partialAnswers
	// oneSignalGarbage garbles only the answers to queries of go_goroutines.
	oneSignalGarbage
)

// holdFor is how long slowAnswers holds a request: longer than any test waits.
const holdFor = time.Minute

// faultProxy is a loopback reverse proxy in front of a real Prometheus that
// misbehaves on demand, so the suite can make Prometheus slow or make its
// answers garbage without touching Prometheus itself.
type faultProxy struct {
	mode      atomic.Int32
	held      atomic.Int64 // API requests slowAnswers started holding
	abandoned atomic.Int64 // of those, the ones the client gave up on
	proxy     *httputil.ReverseProxy
	srv       *httptest.Server
}

// startFaultProxy serves a proxy to target on 127.0.0.1 until the test ends.
func startFaultProxy(t *testing.T, target string) *faultProxy {
	t.Helper()
	u, err := url.Parse(target)
	if err != nil {
		t.Fatal(err)
	}
	p := &faultProxy{proxy: httputil.NewSingleHostReverseProxy(u)}
	p.srv = httptest.NewUnstartedServer(p)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p.srv.Listener = ln
	p.srv.Start()
	t.Cleanup(p.srv.Close)
	return p
}

func (p *faultProxy) url() string { return p.srv.URL }

func (p *faultProxy) set(f fault) { p.mode.Store(int32(f)) }

func (p *faultProxy) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	f := fault(p.mode.Load())
	if f == passThrough || !strings.HasPrefix(r.URL.Path, "/api/") {
		p.proxy.ServeHTTP(w, r)
		return
	}
	switch f {
	case slowAnswers:
		// Read the request first: only then does the server watch the
		// connection, and see the client hang up.
		if _, err := io.Copy(io.Discard, r.Body); err != nil {
			return
		}
		p.held.Add(1)
		timer := time.NewTimer(holdFor)
		defer timer.Stop()
		select {
		case <-r.Context().Done():
			p.abandoned.Add(1)
			return
		case <-timer.C:
			p.proxy.ServeHTTP(w, r)
		}
	case garbageAnswers:
		writeGarbage(w)
	case truncatedAnswers:
		body, status := p.forward(r)
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(status)
		_, _ = w.Write(body[:len(body)/2])
	case partialAnswers:
		body, status := p.forward(r)
		var answer map[string]any
		if err := json.Unmarshal(body, &answer); err != nil {
			http.Error(w, "fault proxy: "+err.Error(), http.StatusBadGateway)
			return
		}
		answer["warnings"] = []string{"No StoreAPIs matched for this query: store eu-west-1 unavailable"}
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(status)
		_ = json.NewEncoder(w).Encode(answer)
	case oneSignalGarbage:
		query, err := io.ReadAll(r.Body)
		if err != nil {
			http.Error(w, "fault proxy: "+err.Error(), http.StatusBadGateway)
			return
		}
		r.Body = io.NopCloser(bytes.NewReader(query))
		if strings.Contains(r.URL.RawQuery+string(query), "go_goroutines") {
			writeGarbage(w)
			return
		}
		p.proxy.ServeHTTP(w, r)
	}
}

// forward returns Prometheus's real answer.
func (p *faultProxy) forward(r *http.Request) ([]byte, int) {
	r.Header.Del("Accept-Encoding") // an answer to edit, not gzip
	rec := httptest.NewRecorder()
	p.proxy.ServeHTTP(rec, r)
	return rec.Body.Bytes(), rec.Code
}

func writeGarbage(w http.ResponseWriter) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(http.StatusOK)
	_, _ = io.WriteString(w, "<html><body><h1>Welcome to nginx!</h1></body></html>\n")
}

// metricSum adds the values of every sample of metric name in a /metrics
// page whose line contains each of the label matchers given, e.g.
// metricSum(page, "pacer_cycles_total", `result="failed"`).
func metricSum(page, name string, labels ...string) float64 {
	var total float64
lines:
	for _, line := range strings.Split(page, "\n") {
		if strings.HasPrefix(line, "#") {
			continue
		}
		metric, _, _ := strings.Cut(line, " ")
		if base, _, _ := strings.Cut(metric, "{"); base != name {
			continue
		}
		for _, l := range labels {
			if !strings.Contains(metric, l) {
				continue lines
			}
		}
		v, err := strconv.ParseFloat(line[strings.LastIndex(line, " ")+1:], 64)
		if err == nil {
			total += v
		}
	}
	return total
}

// metricsPage reads pacer's /metrics.
func (s *pacerServe) metricsPage(t *testing.T) string {
	t.Helper()
	page, err := httpGet(s.url("/metrics"))
	if err != nil {
		t.Fatalf("GET /metrics: %v", err)
	}
	return page
}

// status returns the HTTP status and body of a GET, without failing on 5xx.
func status(t *testing.T, u string) (int, string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		t.Fatal(err)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("GET %s: %v", u, err)
	}
	defer func() { _ = resp.Body.Close() }()
	body, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(body)
}
