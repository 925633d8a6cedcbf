package kube

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/tools/clientcmd"
	clientcmdapi "k8s.io/client-go/tools/clientcmd/api"
)

// startEtcd runs etcd with its data under the cluster's directory, client
// and peer URLs on loopback, and waits until it is healthy. It returns the
// client URL.
func (c *Cluster) startEtcd(ctx context.Context) (string, error) {
	clientPort, err := freePort(ctx)
	if err != nil {
		return "", err
	}
	peerPort, err := freePort(ctx)
	if err != nil {
		return "", err
	}
	clientURL := "http://127.0.0.1:" + strconv.Itoa(clientPort)
	peerURL := "http://127.0.0.1:" + strconv.Itoa(peerPort)
	p, err := startProcess(ctx, c.Dir, "etcd", c.Binaries.Etcd,
		"--name=pacer-test",
		"--data-dir="+filepath.Join(c.Dir, "etcd"),
		"--listen-client-urls="+clientURL,
		"--advertise-client-urls="+clientURL,
		"--listen-peer-urls="+peerURL,
		"--initial-advertise-peer-urls="+peerURL,
		"--initial-cluster=pacer-test="+peerURL,
		"--initial-cluster-state=new",
		"--logger=zap",
		"--log-outputs=stderr",
		"--log-level=warn",
	)
	if err != nil {
		return "", err
	}
	c.procs = append(c.procs, p)
	httpClient := &http.Client{}
	err = waitFor(ctx, c.opts.StartTimeout, "etcd", p, c.procs, func(ctx context.Context) error {
		var health struct{ Health string }
		if err := getJSON(ctx, httpClient, clientURL+"/health", &health); err != nil {
			return err
		}
		if health.Health != "true" {
			return fmt.Errorf("etcd says health %q", health.Health)
		}
		return nil
	})
	return clientURL, err
}

// startAPIServer runs kube-apiserver on a free loopback port over etcdURL,
// writes the admin kubeconfig and waits until /readyz passes.
func (c *Cluster) startAPIServer(ctx context.Context, etcdURL string) error {
	port, err := freePort(ctx)
	if err != nil {
		return err
	}
	pki := c.PKI
	args := []string{
		"--bind-address=127.0.0.1",
		"--advertise-address=127.0.0.1",
		"--secure-port=" + strconv.Itoa(port),
		// The kubernetes Service cannot have a loopback endpoint.
		"--endpoint-reconciler-type=none",
		"--cert-dir=" + filepath.Join(c.Dir, "apiserver-certs"),
		"--etcd-servers=" + etcdURL,
		"--tls-cert-file=" + pki.ServingCert,
		"--tls-private-key-file=" + pki.ServingKey,
		"--client-ca-file=" + pki.CACert,
		"--authorization-mode=RBAC",
		"--service-cluster-ip-range=" + ServiceCIDR,
		"--service-account-issuer=https://kubernetes.default.svc.cluster.local",
		"--service-account-key-file=" + pki.ServiceAccountPub,
		"--service-account-signing-key-file=" + pki.ServiceAccountKey,
		// What an aggregated API server, pacer's external metrics, needs.
		"--requestheader-client-ca-file=" + pki.FrontProxyCACert,
		"--requestheader-allowed-names=" + FrontProxyClientName,
		"--requestheader-extra-headers-prefix=X-Remote-Extra-",
		"--requestheader-group-headers=X-Remote-Group",
		"--requestheader-username-headers=X-Remote-User",
		"--proxy-client-cert-file=" + pki.FrontProxyClientCert,
		"--proxy-client-key-file=" + pki.FrontProxyClientKey,
		"--enable-aggregator-routing=true",
	}
	p, err := startProcess(ctx, c.Dir, "kube-apiserver", c.Binaries.APIServer, append(args, c.opts.APIServerFlags...)...)
	if err != nil {
		return err
	}
	c.procs = append(c.procs, p)

	c.Server = "https://127.0.0.1:" + strconv.Itoa(port)
	c.Kubeconfig = filepath.Join(c.Dir, "admin.kubeconfig")
	if err := writeKubeconfig(c.Kubeconfig, c.Server, pki.CACert, pki.AdminCert, pki.AdminKey); err != nil {
		return err
	}
	if c.config, err = clientcmd.BuildConfigFromFlags("", c.Kubeconfig); err != nil {
		return fmt.Errorf("loading %s: %w", c.Kubeconfig, err)
	}
	c.config.QPS, c.config.Burst = 50, 100 // tests create and poll quickly
	if c.client, err = kubernetes.NewForConfig(c.config); err != nil {
		return fmt.Errorf("creating the admin client: %w", err)
	}
	return waitFor(ctx, c.opts.StartTimeout, "kube-apiserver /readyz", p, c.procs, func(ctx context.Context) error {
		body, err := c.client.Discovery().RESTClient().Get().AbsPath("/readyz").Param("verbose", "true").Do(ctx).Raw()
		if failed := failingChecks(body); failed != "" {
			return fmt.Errorf("failing checks: %s", failed)
		}
		return err
	})
}

// failingChecks picks the failed checks out of a verbose /readyz answer.
func failingChecks(body []byte) string {
	var failed []string
	for line := range strings.Lines(string(body)) {
		if strings.HasPrefix(line, "[-]") {
			failed = append(failed, strings.TrimSpace(line))
		}
	}
	return strings.Join(failed, "; ")
}

// startControllerManager runs kube-controller-manager as
// system:kube-controller-manager, with a service account per controller
// as a real cluster does, and waits until it is healthy and, when it runs
// the service account controller, has made the default service account.
func (c *Cluster) startControllerManager(ctx context.Context) error {
	port, err := freePort(ctx)
	if err != nil {
		return err
	}
	pki := c.PKI
	kubeconfig := filepath.Join(c.Dir, "controller-manager.kubeconfig")
	if err := writeKubeconfig(kubeconfig, c.Server, pki.CACert, pki.ControllerManagerCert, pki.ControllerManagerKey); err != nil {
		return err
	}
	args := []string{
		"--kubeconfig=" + kubeconfig,
		"--authentication-kubeconfig=" + kubeconfig,
		"--authorization-kubeconfig=" + kubeconfig,
		"--bind-address=127.0.0.1",
		"--secure-port=" + strconv.Itoa(port),
		"--tls-cert-file=" + pki.ServingCert,
		"--tls-private-key-file=" + pki.ServingKey,
		"--cert-dir=" + filepath.Join(c.Dir, "controller-manager-certs"),
		"--leader-elect=false",
		"--controllers=" + strings.Join(c.opts.Controllers, ","),
		"--use-service-account-credentials",
		"--service-account-private-key-file=" + pki.ServiceAccountKey,
		"--root-ca-file=" + pki.CACert,
		"--service-cluster-ip-range=" + ServiceCIDR,
		"--horizontal-pod-autoscaler-sync-period=" + HPASyncPeriod.String(),
	}
	p, err := startProcess(ctx, c.Dir, "kube-controller-manager", c.Binaries.ControllerManager, append(args, c.opts.ControllerManagerFlags...)...)
	if err != nil {
		return err
	}
	c.procs = append(c.procs, p)

	httpClient, err := c.httpsClient()
	if err != nil {
		return err
	}
	healthz := "https://127.0.0.1:" + strconv.Itoa(port) + "/healthz"
	err = waitFor(ctx, c.opts.StartTimeout, "kube-controller-manager /healthz", p, c.procs, func(ctx context.Context) error {
		return getJSON(ctx, httpClient, healthz, nil)
	})
	if err != nil || !slices.Contains(c.opts.Controllers, "serviceaccount-controller") {
		return err
	}
	return waitFor(ctx, c.opts.StartTimeout, "the default service account", p, c.procs, func(ctx context.Context) error {
		_, err := c.client.CoreV1().ServiceAccounts(metav1.NamespaceDefault).Get(ctx, "default", metav1.GetOptions{})
		if apierrors.IsNotFound(err) {
			return errors.New("kube-controller-manager has not created default/default yet")
		}
		return err
	})
}

// httpsClient trusts the cluster CA, which signed every component's serving certificate.
func (c *Cluster) httpsClient() (*http.Client, error) {
	caPEM, err := os.ReadFile(c.PKI.CACert)
	if err != nil {
		return nil, err
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(caPEM) {
		return nil, fmt.Errorf("no certificate in %s", c.PKI.CACert)
	}
	return &http.Client{Transport: &http.Transport{
		TLSClientConfig: &tls.Config{RootCAs: pool, MinVersion: tls.VersionTLS12},
	}}, nil
}

// getJSON GETs url and, when v is not nil, decodes the JSON answer into
// it. Any status but 200 is an error.
func getJSON(ctx context.Context, client *http.Client, url string, v any) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, http.NoBody)
	if err != nil {
		return err
	}
	resp, err := client.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if err != nil {
		return err
	}
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("GET %s: %s: %s", url, resp.Status, strings.TrimSpace(string(body)))
	}
	if v == nil {
		return nil
	}
	return json.Unmarshal(body, v)
}

// kubeconfigContext names the cluster, user and context in the kubeconfigs
// the harness writes.
const kubeconfigContext = "pacer-test"

// writeKubeconfig writes a kubeconfig for server that authenticates with
// a client certificate, the certificates embedded.
func writeKubeconfig(path, server, caCert, clientCert, clientKey string) error {
	var data [3][]byte
	for i, p := range []string{caCert, clientCert, clientKey} {
		var err error
		if data[i], err = os.ReadFile(p); err != nil {
			return fmt.Errorf("writing %s: %w", path, err)
		}
	}
	cfg := clientcmdapi.NewConfig()
	cfg.Clusters[kubeconfigContext] = &clientcmdapi.Cluster{Server: server, CertificateAuthorityData: data[0]}
	cfg.AuthInfos[kubeconfigContext] = &clientcmdapi.AuthInfo{ClientCertificateData: data[1], ClientKeyData: data[2]}
	cfg.Contexts[kubeconfigContext] = &clientcmdapi.Context{Cluster: kubeconfigContext, AuthInfo: kubeconfigContext}
	cfg.CurrentContext = kubeconfigContext
	if err := clientcmd.WriteToFile(*cfg, path); err != nil {
		return fmt.Errorf("writing %s: %w", path, err)
	}
	return nil
}
