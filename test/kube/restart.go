package kube

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
)

// RestartAPIServer stops kube-apiserver (SIGTERM, as a rolling control
// plane upgrade does), starts it again with the same flags on the same
// port over the same etcd, and waits until /readyz passes. Clients keep
// their configuration: only the server went away for a while. down, when
// not nil, runs while no apiserver is up, so a test can act during the
// outage.
//
// On SIGTERM, kube-apiserver keeps its listener until open connections go
// idle or its request timeout (60s) passes, and a watch never goes idle:
// a test that restarts it under watching clients starts the cluster with
// APIServerFlags --shutdown-send-retry-after=true, as production control
// planes do, so that it answers 429 with Retry-After while it drains and
// closes the rest 2s later.
func (c *Cluster) RestartAPIServer(ctx context.Context, down func()) error {
	i := c.procIndex("kube-apiserver")
	if i < 0 {
		return fmt.Errorf("restarting kube-apiserver: it is not running")
	}
	old := c.procs[i]
	if err := old.stop(); err != nil {
		return fmt.Errorf("restarting kube-apiserver: %w", err)
	}
	if down != nil {
		down()
	}
	p, err := startProcess(ctx, c.Dir, old.name, old.cmd.Path, old.cmd.Args[1:]...)
	if err != nil {
		return fmt.Errorf("restarting kube-apiserver: %w", err)
	}
	c.procs[i] = p
	return waitFor(ctx, c.opts.StartTimeout, "kube-apiserver /readyz after a restart", p, c.procs, func(ctx context.Context) error {
		body, err := c.client.Discovery().RESTClient().Get().AbsPath("/readyz").Param("verbose", "true").Do(ctx).Raw()
		if failed := failingChecks(body); failed != "" {
			return fmt.Errorf("failing checks: %s", failed)
		}
		return err
	})
}

func (c *Cluster) procIndex(name string) int {
	for i, p := range c.procs {
		if p.name == name {
			return i
		}
	}
	return -1
}

// EtcdVersion returns how many times the object stored under key (e.g.
// /registry/horizontalpodautoscalers/demo/web) was written since it was
// created, as etcd counts them: 1 after the create, one more per write
// that reached storage. The API server skips writes that change nothing,
// so the count is the writes that changed the object; a test compares it
// with the writes a client says it made. 0 means there is no such key.
func (c *Cluster) EtcdVersion(ctx context.Context, key string) (int64, error) {
	if c.etcdURL == "" {
		return 0, fmt.Errorf("reading %s from etcd: etcd is not running", key)
	}
	req, err := json.Marshal(map[string]string{"key": base64.StdEncoding.EncodeToString([]byte(key))})
	if err != nil {
		return 0, err
	}
	// etcd's gRPC gateway, so the harness needs no etcd client module.
	r, err := http.NewRequestWithContext(ctx, http.MethodPost, c.etcdURL+"/v3/kv/range", bytes.NewReader(req))
	if err != nil {
		return 0, err
	}
	resp, err := http.DefaultClient.Do(r)
	if err != nil {
		return 0, fmt.Errorf("reading %s from etcd: %w", key, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, 4<<20))
	if err != nil {
		return 0, fmt.Errorf("reading %s from etcd: %w", key, err)
	}
	if resp.StatusCode != http.StatusOK {
		return 0, fmt.Errorf("reading %s from etcd: %s: %s", key, resp.Status, strings.TrimSpace(string(body)))
	}
	var answer struct {
		KVs []struct {
			Version string `json:"version"` // int64 as a string, as the gateway encodes them
		} `json:"kvs"`
	}
	if err := json.Unmarshal(body, &answer); err != nil {
		return 0, fmt.Errorf("reading %s from etcd: %w", key, err)
	}
	if len(answer.KVs) == 0 {
		return 0, nil
	}
	v, err := strconv.ParseInt(answer.KVs[0].Version, 10, 64)
	if err != nil {
		return 0, fmt.Errorf("reading %s from etcd: version %q: %w", key, answer.KVs[0].Version, err)
	}
	return v, nil
}
