//go:build integration

package integration

import (
	"bufio"
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"text/tabwriter"
	"time"

	authenticationv1 "k8s.io/api/authentication/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/pacerdev/pacer/test/kube"
)

// The benchmark is a test that runs only when asked, with `make bench-external`:
// it takes about 15 minutes for 5 rounds (and up to 2 minutes a round more
// while it waits for a quiet machine) and loads both cores. Without
// -external-bench the test skips at once, so make test does not pay for it.
var (
	externalBench         = flag.Bool("external-bench", false, "run TestExternalMetricsLoad, the external metrics API benchmark")
	externalBenchRounds   = flag.Int("external-bench-rounds", 5, "TestExternalMetricsLoad: rounds of every scenario; the summary quotes medians")
	externalBenchDuration = flag.Duration("external-bench-duration", 15*time.Second, "TestExternalMetricsLoad: length of each open-loop scenario; closed loops run 2/3 of it")
	externalBenchMaxLoad  = flag.Float64("external-bench-max-load", 1.0, "TestExternalMetricsLoad: start a round only when the 1-minute load average is below this, waiting up to -external-bench-idle-wait")
	externalBenchIdleWait = flag.Duration("external-bench-idle-wait", 2*time.Minute, "TestExternalMetricsLoad: how long a round waits for the load average to fall below -external-bench-max-load before it measures anyway")
	externalBenchProcs    = flag.Int("external-bench-procs", 0, "TestExternalMetricsLoad: GOMAXPROCS of the load generator (the test process); 0 leaves it alone")
)

// hpaUser is who the HPA controller reads metrics as: its bootstrapped
// ClusterRole may get external metrics.
const (
	hpaNamespace      = "kube-system"
	hpaServiceAccount = "horizontal-pod-autoscaler"
	hpaUser           = "system:serviceaccount:" + hpaNamespace + ":" + hpaServiceAccount
)

// TestExternalMetricsLoad measures external metric requests for one
// workload under load, in the same run, against three servers:
//
//   - direct: pacer serve's external metrics API over TLS, called as the
//     aggregator calls it, with the front proxy's client certificate and
//     the HPA controller's identity in headers (authorized by a
//     SubjectAccessReview, cached for 10s);
//   - aggregator: the same API through the real kube-apiserver's
//     aggregation layer, with the HPA controller's service account token;
//   - query: hack/queryperrequest, which runs one PromQL query against the
//     suite's Prometheus per request, as prometheus-adapter does.
//
// Each gets an open loop of 1,000 requests/s (sent at fixed times whether
// or not earlier ones were answered, each timed from when it was due, so
// a stall counts against every request it delays) and closed loops of 8
// and 32 requests in flight. The load generator is this process, on the
// same cores as the servers, the demo workloads and Prometheus.
func TestExternalMetricsLoad(t *testing.T) {
	if !*externalBench {
		t.Skip("a benchmark: run with -external-bench (make bench-external)")
	}
	f := setUp(t)
	f.stopScrape() // the suite's in-process scraper would load the generator's process
	c := kube.Start(t, kube.Options{APIServerFlags: []string{"--enable-aggregator-routing=false"}})
	e, certDir := startExternalServe(t, f, c)
	e.registerAPIService(certDir)

	path := metricURL("pacer_recommended_replicas", "deployment=steady")
	targets := []loadTarget{
		directTarget(t, c, "https://"+e.addr+path, filepath.Join(certDir, "tls.crt")),
		mastersTarget(t, c, "https://"+e.addr+path, filepath.Join(certDir, "tls.crt")),
		aggregatorTarget(t, c, c.Server+path),
		queryTarget(t, f.promURL, path),
	}
	for _, target := range targets {
		waitFor(t, 60*time.Second, target.name+" to answer", func() (bool, error) {
			body, err := target.body(t.Context())
			if err != nil {
				return false, nil // no ready recommendation yet
			}
			value, err := itemValue(body)
			t.Logf("%s: %g", target.name, value)
			return err == nil, err
		})
		openLoop(t.Context(), target.get, 1000, 3*time.Second) // warms connections and caches
	}
	if *externalBenchProcs > 0 {
		defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(*externalBenchProcs))
	}

	d := *externalBenchDuration
	scenarios := []struct {
		name string
		run  func(get func(context.Context) error) loadResult
	}{
		{"open1000", func(get func(context.Context) error) loadResult { return openLoop(t.Context(), get, 1000, d) }},
		{"closed8", func(get func(context.Context) error) loadResult { return closedLoop(t.Context(), get, 8, d*2/3) }},
		{"closed32", func(get func(context.Context) error) loadResult { return closedLoop(t.Context(), get, 32, d*2/3) }},
	}
	fmt.Printf("goos: %s\ngoarch: %s\npkg: github.com/pacerdev/pacer/test/integration\ncpu: %s\n", runtime.GOOS, runtime.GOARCH, cpuModel())
	fmt.Printf("# load average (1m 5m 15m) before: %s\n", loadAverages(t))
	defer func() { fmt.Printf("# load average (1m 5m 15m) after: %s\n", loadAverages(t)) }()
	idle := idleCPU(t, 10*time.Second)
	summary := &loadSummary{}
	for round := range *externalBenchRounds {
		waitForIdle(t, *externalBenchMaxLoad, *externalBenchIdleWait)
		t.Logf("round %d of %d; load average %.2f; generator GOMAXPROCS %d", round+1, *externalBenchRounds, loadAverage(t), runtime.GOMAXPROCS(0))
		// Each round starts with another target, so that none is always
		// the first after the wait.
		for i := range targets {
			target := targets[(round+i)%len(targets)]
			for _, sc := range scenarios {
				// A second at the scenario's start fills connection pools and
				// pacer's authorization cache, as a steady caller keeps them.
				openLoop(t.Context(), target.get, 1000, time.Second)
				sars, cpu := subjectAccessReviews(t, c), cpuByCommand(t)
				r := sc.run(target.get)
				r.sars = subjectAccessReviews(t, c) - sars
				r.serverCPU, r.loadgenCPU = idle.perRequest(cpu, cpuByCommand(t), r)
				name := target.name + "/" + sc.name
				fmt.Printf("BenchmarkExternalMetrics/%s\t%s\n", name, r)
				if r.firstErr != nil {
					t.Logf("%s: %d errors, the first: %v", name, r.errors, r.firstErr)
				}
				summary.add(name, r)
				time.Sleep(2 * time.Second) // lets a backlog drain before the next scenario; not synchronization
			}
		}
	}
	t.Log("medians of " + fmt.Sprint(*externalBenchRounds) + " rounds:\n" + summary.String())
}

// loadTarget is a server to send one external metric request to.
type loadTarget struct {
	name   string
	url    string
	header http.Header
	client *http.Client
}

// body sends the request and returns the answer, an error unless 200.
func (lt loadTarget) body(ctx context.Context) (string, error) {
	resp, err := lt.do(ctx)
	if err != nil {
		return "", err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err == nil && resp.StatusCode != http.StatusOK {
		err = fmt.Errorf("%s: %s", resp.Status, b)
	}
	return string(b), err
}

// get sends the request under load: it reads the answer but keeps only
// whether it was a 200.
func (lt loadTarget) get(ctx context.Context) error {
	resp, err := lt.do(ctx)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		b, _ := io.ReadAll(io.LimitReader(resp.Body, 512))
		return fmt.Errorf("%s: %s", resp.Status, b)
	}
	_, err = io.Copy(io.Discard, resp.Body)
	return err
}

func (lt loadTarget) do(ctx context.Context) (*http.Response, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, lt.url, http.NoBody)
	if err != nil {
		return nil, err
	}
	req.Header = lt.header.Clone() // a request's header is its own: the transport may add to it
	return lt.client.Do(req)
}

// loadClient speaks HTTP/2 over TLS, as client-go and the aggregator's
// proxy do.
func loadClient(config *tls.Config) *http.Client {
	config.MinVersion = tls.VersionTLS12
	return &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{
		TLSClientConfig: config, ForceAttemptHTTP2: true, MaxIdleConnsPerHost: 64,
	}}
}

// directTarget calls pacer as the aggregator does: with the front proxy's
// client certificate and the HPA controller's identity in the headers the
// cluster's extension-apiserver-authentication ConfigMap names.
func directTarget(t *testing.T, c *kube.Cluster, url, servingCA string) loadTarget {
	t.Helper()
	front, err := tls.LoadX509KeyPair(c.PKI.FrontProxyClientCert, c.PKI.FrontProxyClientKey)
	if err != nil {
		t.Fatal(err)
	}
	header := http.Header{"X-Remote-User": {hpaUser},
		"X-Remote-Group": {"system:serviceaccounts", "system:serviceaccounts:" + hpaNamespace, "system:authenticated"}}
	client := loadClient(&tls.Config{RootCAs: certPool(t, servingCA), ServerName: "localhost", Certificates: []tls.Certificate{front}})
	return loadTarget{name: "direct", url: url, header: header, client: client}
}

// mastersTarget is directTarget for a user in system:masters, whom pacer
// authorizes without a SubjectAccessReview: the serving path alone.
func mastersTarget(t *testing.T, c *kube.Cluster, url, servingCA string) loadTarget {
	t.Helper()
	lt := directTarget(t, c, url, servingCA)
	lt.name = "direct-masters"
	lt.header = http.Header{"X-Remote-User": {"admin"}, "X-Remote-Group": {"system:masters", "system:authenticated"}}
	return lt
}

// aggregatorTarget calls the kube-apiserver with a token of the HPA
// controller's service account, whose bootstrapped RBAC lets it read
// external metrics.
func aggregatorTarget(t *testing.T, c *kube.Cluster, url string) loadTarget {
	t.Helper()
	ctx, client := t.Context(), c.Client()
	sa := &corev1.ServiceAccount{ObjectMeta: metav1.ObjectMeta{Name: hpaServiceAccount}}
	if _, err := client.CoreV1().ServiceAccounts(hpaNamespace).Create(ctx, sa, metav1.CreateOptions{}); err != nil && !apierrors.IsAlreadyExists(err) {
		t.Fatal(err)
	}
	tr, err := client.CoreV1().ServiceAccounts(hpaNamespace).CreateToken(ctx, hpaServiceAccount, &authenticationv1.TokenRequest{}, metav1.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	header := http.Header{"Authorization": {"Bearer " + tr.Status.Token}}
	return loadTarget{name: "aggregator", url: url, header: header, client: loadClient(&tls.Config{RootCAs: certPool(t, c.PKI.CACert)})}
}

// queryTarget builds and starts hack/queryperrequest over the suite's
// Prometheus and stops it when the test ends.
func queryTarget(t *testing.T, promURL, path string) loadTarget {
	t.Helper()
	dir := t.TempDir()
	build := exec.Command("go", "build", "-o", dir+"/", "github.com/pacerdev/pacer/hack/queryperrequest")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("building hack/queryperrequest: %v\n%s", err, out)
	}
	cmd := exec.Command(filepath.Join(dir, "queryperrequest"), "--prometheus-url", promURL)
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	// The reader logs the server's lines until it exits; the cleanup waits
	// for it before Wait, which closes the pipe, and before the test ends,
	// after which it may not log.
	addr, logged := make(chan string, 1), make(chan struct{})
	go func() {
		defer close(logged)
		sc := bufio.NewScanner(stderr)
		for sc.Scan() {
			var entry struct{ Addr string }
			if json.Unmarshal(sc.Bytes(), &entry) == nil && entry.Addr != "" {
				select {
				case addr <- entry.Addr:
				default:
				}
			}
			t.Logf("queryperrequest: %s", sc.Text())
		}
	}()
	t.Cleanup(func() {
		_ = cmd.Process.Signal(syscall.SIGTERM)
		<-logged
		if err := cmd.Wait(); err != nil {
			t.Errorf("queryperrequest: %v", err)
		}
	})
	select {
	case a := <-addr:
		client := loadClient(&tls.Config{InsecureSkipVerify: true}) // its certificate is made in memory at start
		return loadTarget{name: "query", url: "https://" + a + path, client: client}
	case <-logged:
		t.Fatal("queryperrequest exited before serving")
	case <-time.After(30 * time.Second):
		t.Fatal("queryperrequest printed no address in 30s")
	}
	return loadTarget{}
}

func certPool(t *testing.T, file string) *x509.CertPool {
	t.Helper()
	pem, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(pem) {
		t.Fatalf("no certificate in %s", file)
	}
	return pool
}

// loadResult is what one scenario measured.
type loadResult struct {
	requests            int
	p50, p99, p999, max time.Duration
	perSecond           float64       // answered requests a second, from the first due to the last answer
	lateP99             time.Duration // open loop: how late the generator sent its requests
	errors              int
	firstErr            error
	sars                int // SubjectAccessReviews pacer sent meanwhile
	elapsed             time.Duration
	// serverCPU is the CPU time a request cost the servers (pacer, the
	// control plane, the query server, Prometheus) above their idle use;
	// loadgenCPU, the load generator's.
	serverCPU, loadgenCPU time.Duration
}

func newLoadResult(latencies, late []time.Duration, errs []error, elapsed time.Duration) loadResult {
	slices.Sort(latencies)
	slices.Sort(late)
	r := loadResult{
		requests: len(latencies),
		p50:      quantile(latencies, 0.50), p99: quantile(latencies, 0.99), p999: quantile(latencies, 0.999), max: quantile(latencies, 1),
		perSecond: float64(len(latencies)) / elapsed.Seconds(), elapsed: elapsed,
		lateP99: quantile(late, 0.99),
	}
	for _, err := range errs {
		if err != nil {
			if r.errors == 0 {
				r.firstErr = err
			}
			r.errors++
		}
	}
	return r
}

func quantile(sorted []time.Duration, q float64) time.Duration {
	if len(sorted) == 0 {
		return 0
	}
	return sorted[int(q*float64(len(sorted)-1))]
}

func micros(d time.Duration) float64 { return float64(d) / float64(time.Microsecond) }

// String is the result as the rest of a Go benchmark line, for benchstat.
func (r loadResult) String() string {
	return fmt.Sprintf("%d\t%.0f p50-µs\t%.0f p99-µs\t%.0f p99.9-µs\t%.0f max-µs\t%.1f req/s\t%.0f sent-late-p99-µs\t%d errors\t%d SARs\t%.0f server-cpu-µs/op\t%.0f loadgen-cpu-µs/op",
		r.requests, micros(r.p50), micros(r.p99), micros(r.p999), micros(r.max), r.perSecond, micros(r.lateP99), r.errors, r.sars,
		micros(r.serverCPU), micros(r.loadgenCPU))
}

// openLoop sends perSecond requests a second for d, each at its due time
// whether or not earlier ones have been answered, and times each from
// when it was due: a stall of the server, or of the generator, counts
// against every request it delays (no coordinated omission).
func openLoop(ctx context.Context, get func(context.Context) error, perSecond int, d time.Duration) loadResult {
	interval := time.Second / time.Duration(perSecond)
	n := int(d / interval)
	latencies, late, errs := make([]time.Duration, n), make([]time.Duration, n), make([]error, n)
	var wg sync.WaitGroup
	start := time.Now()
	for i := range n {
		due := start.Add(time.Duration(i) * interval)
		sleepUntil(due)
		late[i] = time.Since(due)
		wg.Go(func() {
			errs[i] = get(ctx)
			latencies[i] = time.Since(due)
		})
	}
	wg.Wait()
	return newLoadResult(latencies, late, errs, time.Since(start))
}

// closedLoop keeps inFlight requests in flight for d, each sent when the
// one before it is answered, and times each from when it was sent.
func closedLoop(ctx context.Context, get func(context.Context) error, inFlight int, d time.Duration) loadResult {
	latencies, errs := make([][]time.Duration, inFlight), make([][]error, inFlight)
	var wg sync.WaitGroup
	start := time.Now()
	end := start.Add(d)
	for w := range inFlight {
		wg.Go(func() {
			for sent := time.Now(); sent.Before(end); sent = time.Now() {
				errs[w] = append(errs[w], get(ctx))
				latencies[w] = append(latencies[w], time.Since(sent))
			}
		})
	}
	wg.Wait()
	return newLoadResult(slices.Concat(latencies...), nil, slices.Concat(errs...), time.Since(start))
}

// sleepUntil sleeps in the kernel rather than on a runtime timer, which
// Linux wakes at millisecond resolution: with it a generator sending every
// millisecond would send about half a millisecond late.
func sleepUntil(t time.Time) {
	d := time.Until(t)
	if d <= 0 {
		return
	}
	ts := syscall.NsecToTimespec(d.Nanoseconds())
	for errors.Is(syscall.Nanosleep(&ts, &ts), syscall.EINTR) {
	}
}

// loadSummary collects the results of every round by scenario.
type loadSummary struct {
	names   []string
	results map[string][]loadResult
}

func (s *loadSummary) add(name string, r loadResult) {
	if s.results == nil {
		s.results = map[string][]loadResult{}
	}
	if _, ok := s.results[name]; !ok {
		s.names = append(s.names, name)
	}
	s.results[name] = append(s.results[name], r)
}

// String is a table of medians across rounds, with the range of the p99.
func (s *loadSummary) String() string {
	var b strings.Builder
	w := tabwriter.NewWriter(&b, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(w, "scenario\tp50 µs\tp99 µs\tp99 range µs\treq/s\tsent late p99 µs\tserver CPU µs/req\terrors\t")
	for _, name := range s.names {
		rs := s.results[name]
		median := func(f func(loadResult) float64) float64 {
			vs := make([]float64, len(rs))
			for i, r := range rs {
				vs[i] = f(r)
			}
			slices.Sort(vs)
			return vs[len(vs)/2]
		}
		p99s := make([]float64, len(rs))
		errs := 0
		for i, r := range rs {
			p99s[i] = micros(r.p99)
			errs += r.errors
		}
		fmt.Fprintf(w, "%s\t%.0f\t%.0f\t%.0f–%.0f\t%.0f\t%.0f\t%.0f\t%d\t\n", name,
			median(func(r loadResult) float64 { return micros(r.p50) }), median(func(r loadResult) float64 { return micros(r.p99) }),
			slices.Min(p99s), slices.Max(p99s), median(func(r loadResult) float64 { return r.perSecond }),
			median(func(r loadResult) float64 { return micros(r.lateP99) }), median(func(r loadResult) float64 { return micros(r.serverCPU) }), errs)
	}
	_ = w.Flush()
	return b.String()
}

// subjectAccessReviews counts the SubjectAccessReviews the kube-apiserver
// has answered: pacer's, which authorizes with them; the aggregator's own
// authorization runs in process.
func subjectAccessReviews(t *testing.T, c *kube.Cluster) int {
	t.Helper()
	metrics, err := c.Client().CoreV1().RESTClient().Get().AbsPath("/metrics").DoRaw(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for line := range strings.Lines(string(metrics)) {
		if strings.HasPrefix(line, "apiserver_request_total{") && strings.Contains(line, `resource="subjectaccessreviews"`) {
			var v float64
			if _, err := fmt.Sscan(line[strings.LastIndex(line, " ")+1:], &v); err == nil {
				n += int(v)
			}
		}
	}
	return n
}

// serverCommands are the processes whose CPU an external metric request
// costs: pacer and the control plane it authorizes with, or the query
// server and Prometheus.
var serverCommands = []string{"pacer", "kube-apiserver", "etcd", "queryperrequest", "prometheus"}

// cpuByCommand is the CPU time this process (as "loadgen") and the
// processes it started have used, by command name.
func cpuByCommand(t *testing.T) map[string]time.Duration {
	t.Helper()
	entries, err := os.ReadDir("/proc")
	if err != nil {
		t.Fatal(err)
	}
	type proc struct {
		ppid    int
		command string
		cpu     time.Duration
	}
	procs := map[int]proc{}
	for _, e := range entries {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		stat, err := os.ReadFile(filepath.Join("/proc", e.Name(), "stat"))
		if err != nil {
			continue // exited
		}
		// pid (command) state ppid ... utime stime: fields 14 and 15, in ticks of 10ms.
		open, end := strings.IndexByte(string(stat), '('), strings.LastIndexByte(string(stat), ')')
		fields := strings.Fields(string(stat[end+1:]))
		ppid, _ := strconv.Atoi(fields[1])
		utime, _ := strconv.Atoi(fields[11])
		stime, _ := strconv.Atoi(fields[12])
		procs[pid] = proc{ppid, string(stat[open+1 : end]), time.Duration(utime+stime) * 10 * time.Millisecond}
	}
	self := os.Getpid()
	out := map[string]time.Duration{"loadgen": procs[self].cpu}
	for _, p := range procs {
		for ancestor := p.ppid; ancestor > 1; ancestor = procs[ancestor].ppid {
			if ancestor == self {
				out[p.command] += p.cpu
				break
			}
		}
	}
	return out
}

// idleRate is how much CPU each server uses without requests, in cores:
// pacer's cycles, Prometheus scraping the demo workloads, the control plane.
type idleRate map[string]float64

// idleCPU measures the servers' CPU use over a window without requests.
func idleCPU(t *testing.T, window time.Duration) idleRate {
	t.Helper()
	before := cpuByCommand(t)
	time.Sleep(window) // a measurement window, not synchronization
	after, rate := cpuByCommand(t), idleRate{}
	for _, command := range serverCommands {
		rate[command] = float64(after[command]-before[command]) / float64(window)
	}
	t.Logf("idle CPU use, cores: %v", rate)
	return rate
}

// perRequest divides the CPU the servers used during r above their idle
// rate, and the load generator's, by the requests r sent.
func (idle idleRate) perRequest(before, after map[string]time.Duration, r loadResult) (server, loadgen time.Duration) {
	if r.requests == 0 {
		return 0, 0
	}
	for _, command := range serverCommands {
		server += after[command] - before[command] - time.Duration(idle[command]*float64(r.elapsed))
	}
	return server / time.Duration(r.requests), (after["loadgen"] - before["loadgen"]) / time.Duration(r.requests)
}

// waitForIdle waits until the machine's 1-minute load average is below
// limit, so that other work on it (and the previous round's load) does not
// count against a round; after timeout it measures anyway, and says so.
func waitForIdle(t *testing.T, limit float64, timeout time.Duration) {
	t.Helper()
	for deadline := time.Now().Add(timeout); loadAverage(t) >= limit; time.Sleep(5 * time.Second) {
		if time.Now().After(deadline) {
			t.Logf("the load average is still %.2f after %s: measuring anyway", loadAverage(t), timeout)
			return
		}
	}
}

// loadAverage is the machine's 1-minute load average.
func loadAverage(t *testing.T) float64 {
	t.Helper()
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		t.Fatal(err)
	}
	var load float64
	if _, err := fmt.Sscan(string(b), &load); err != nil {
		t.Fatalf("/proc/loadavg: %v", err)
	}
	return load
}

// loadAverages is the first three fields of /proc/loadavg, as uptime
// prints them.
func loadAverages(t *testing.T) string {
	t.Helper()
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		t.Fatal(err)
	}
	fields := strings.Fields(string(b))
	return strings.Join(fields[:min(3, len(fields))], " ")
}

// cpuModel names the machine's processor, for the benchmark's header.
func cpuModel() string {
	b, err := os.ReadFile("/proc/cpuinfo")
	if err != nil {
		return "unknown"
	}
	for line := range strings.Lines(string(b)) {
		if name, value, ok := strings.Cut(line, ":"); ok && strings.TrimSpace(name) == "model name" {
			return strings.TrimSpace(value)
		}
	}
	return "unknown"
}
