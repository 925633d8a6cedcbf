package kube

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
)

// Options says what to run besides etcd and kube-apiserver.
type Options struct {
	// ControllerManager starts kube-controller-manager too.
	ControllerManager bool
	// Controllers are the controllers kube-controller-manager runs;
	// DefaultControllers when empty.
	Controllers []string
	// APIServerFlags and ControllerManagerFlags are appended to the
	// components' command lines, after the harness's own flags.
	APIServerFlags, ControllerManagerFlags []string
	// StartTimeout bounds the wait for each component to become ready; 2m when zero.
	StartTimeout time.Duration
}

// DefaultControllers are the controllers that matter to workloads and
// autoscaling. With no kubelet and no scheduler, pods stay Pending.
var DefaultControllers = []string{
	"serviceaccount-controller", "serviceaccount-token-controller",
	"root-ca-certificate-publisher-controller", "clusterrole-aggregation-controller",
	"namespace-controller", "garbage-collector-controller",
	"deployment-controller", "replicaset-controller", "statefulset-controller", "daemonset-controller",
	"horizontal-pod-autoscaler-controller",
}

// HPASyncPeriod is how often kube-controller-manager's HPA controller
// reconciles, far shorter than the 15s default so tests see it act.
const HPASyncPeriod = 5 * time.Second

// ServiceCIDR is the cluster's service IP range; ServiceIP, its first
// address, is the kubernetes Service's. No traffic goes to them.
const (
	ServiceCIDR = "10.96.0.0/16"
	ServiceIP   = "10.96.0.1"
)

// Cluster is a running control plane on loopback: etcd, kube-apiserver
// and, when asked, kube-controller-manager. Start stops it when the test
// ends; Stop stops it sooner.
type Cluster struct {
	// Kubeconfig is the path of an admin (system:masters) kubeconfig.
	Kubeconfig string
	// Server is the apiserver's URL.
	Server string
	// PKI names the certificates and keys, for tests that add an
	// aggregated API server or clients of their own.
	PKI PKI
	// Binaries are the programs the cluster runs.
	Binaries Binaries
	// Dir holds the cluster's files: pki/, etcd/, the components' logs.
	Dir string

	t        testing.TB
	opts     Options
	config   *rest.Config
	client   kubernetes.Interface
	procs    []*process // in start order
	etcdURL  string     // etcd's client URL, for EtcdVersion
	stopOnce sync.Once
}

// Start runs a control plane for the test and waits until it is ready.
// It fails the test, with the components' logs, when it cannot.
func Start(t testing.TB, o Options) *Cluster {
	t.Helper()
	if o.StartTimeout == 0 {
		o.StartTimeout = 2 * time.Minute
	}
	if len(o.Controllers) == 0 {
		o.Controllers = DefaultControllers
	}
	bins, err := FindBinaries()
	if err != nil {
		t.Fatal(err)
	}
	c := &Cluster{Binaries: bins, Dir: t.TempDir(), t: t, opts: o}
	t.Cleanup(c.dumpLogsIfFailed) // runs after Stop: cleanups run last-in first-out
	t.Cleanup(c.Stop)
	if err := c.start(t.Context()); err != nil {
		t.Fatalf("starting the Kubernetes control plane: %v", err)
	}
	return c
}

func (c *Cluster) start(ctx context.Context) error {
	pkiDir := filepath.Join(c.Dir, "pki")
	if err := os.Mkdir(pkiDir, 0o700); err != nil {
		return err
	}
	pki, err := writePKI(pkiDir, net.ParseIP(ServiceIP))
	if err != nil {
		return err
	}
	c.PKI = pki
	if c.etcdURL, err = c.startEtcd(ctx); err != nil {
		return err
	}
	if err := c.startAPIServer(ctx, c.etcdURL); err != nil {
		return err
	}
	if c.opts.ControllerManager {
		return c.startControllerManager(ctx)
	}
	return nil
}

// RESTConfig returns a copy of the admin client configuration.
func (c *Cluster) RESTConfig() *rest.Config { return rest.CopyConfig(c.config) }

// Client returns an admin clientset.
func (c *Cluster) Client() kubernetes.Interface { return c.client }

// Processes maps each running component to its pid, which is also its
// process group id.
func (c *Cluster) Processes() map[string]int {
	pids := make(map[string]int, len(c.procs))
	for _, p := range c.procs {
		pids[p.name] = p.Pid()
	}
	return pids
}

// Kubectl runs the cluster's kubectl with the admin kubeconfig.
func (c *Cluster) Kubectl(ctx context.Context, args ...string) (stdout, stderr string, err error) {
	return c.KubectlWithInput(ctx, nil, args...)
}

// KubectlWithInput runs kubectl with stdin, for `apply -f -` and the like.
func (c *Cluster) KubectlWithInput(ctx context.Context, stdin io.Reader, args ...string) (stdout, stderr string, err error) {
	// The discovery cache goes to the cluster's directory, not $HOME.
	flags := []string{"--kubeconfig=" + c.Kubeconfig, "--cache-dir=" + filepath.Join(c.Dir, "kubectl-cache")}
	cmd := exec.CommandContext(ctx, c.Binaries.Kubectl, append(flags, args...)...)
	var out, errOut bytes.Buffer
	cmd.Stdin, cmd.Stdout, cmd.Stderr = stdin, &out, &errOut
	cmd.WaitDelay = 5 * time.Second
	if err := cmd.Run(); err != nil {
		return out.String(), errOut.String(), fmt.Errorf("kubectl %v: %w: %s", args, err, bytes.TrimSpace(errOut.Bytes()))
	}
	return out.String(), errOut.String(), nil
}

// Stop stops the components in the reverse order of their start: SIGTERM
// to each process group, SIGKILL after a timeout. It fails the test when a
// component had exited before it was stopped. Calling it again does nothing.
func (c *Cluster) Stop() {
	c.stopOnce.Do(func() {
		for i := len(c.procs) - 1; i >= 0; i-- {
			p := c.procs[i]
			exited, _ := p.exitErr()
			err := p.stop()
			switch {
			case exited && !c.t.Failed(): // a failed test has said so already
				c.t.Errorf("%s: %v", p.name, err)
			case err != nil:
				c.t.Log(err)
			}
		}
	})
}

// logTailBytes is how much of each component's log a failure shows.
const logTailBytes = 32 << 10

func (c *Cluster) dumpLogsIfFailed() {
	if !c.t.Failed() {
		return
	}
	for _, p := range c.procs {
		c.t.Logf("--- %s log (end) ---\n%s", p.name, p.logTail(logTailBytes))
	}
}

// freePort returns a loopback port that was free a moment ago.
func freePort(ctx context.Context) (int, error) {
	var lc net.ListenConfig
	ln, err := lc.Listen(ctx, "tcp", "127.0.0.1:0")
	if err != nil {
		return 0, fmt.Errorf("finding a free port: %w", err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port, nil
}

// waitFor polls ready every 250ms until it holds, until timeout, or until
// one of the watched processes exits. On failure the error carries the
// last reason ready gave and the end of the log of proc, the component
// being waited for.
func waitFor(ctx context.Context, timeout time.Duration, what string, proc *process, watched []*process, ready func(context.Context) error) error {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	tick := time.NewTicker(250 * time.Millisecond)
	defer tick.Stop()
	var lastErr error // from the last attempt that the deadline did not cut short
	for {
		for _, p := range watched {
			if exited, err := p.exitErr(); exited {
				return fmt.Errorf("waiting for %s: %w\n--- %s log (end) ---\n%s", what, err, p.name, p.logTail(8<<10))
			}
		}
		attempt, cancelAttempt := context.WithTimeout(ctx, 5*time.Second)
		err := ready(attempt)
		cancelAttempt()
		if err == nil {
			return nil
		}
		if lastErr == nil || ctx.Err() == nil {
			lastErr = err
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("%s not ready after %s: %w\n--- %s log (end) ---\n%s", what, timeout, lastErr, proc.name, proc.logTail(8<<10))
		case <-tick.C:
		}
	}
}
