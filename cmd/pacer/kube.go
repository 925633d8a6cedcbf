package main

import (
	"errors"
	"fmt"

	"github.com/spf13/pflag"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/clientcmd"
)

// kubeOptions are kubectl's flags for reaching a cluster.
type kubeOptions struct {
	kubeconfig string
	context    string
}

func (o *kubeOptions) addFlags(fs *pflag.FlagSet) {
	fs.StringVar(&o.kubeconfig, "kubeconfig", "", "kubeconfig file (default: $KUBECONFIG, else ~/.kube/config, else in-cluster)")
	fs.StringVar(&o.context, "context", "", "kubeconfig context (default: the current context)")
}

// explicit reports whether a flag asked for a cluster.
func (o *kubeOptions) explicit() bool { return o.kubeconfig != "" || o.context != "" }

// errNoKubeconfig means no kubeconfig was found and pacer is not in a cluster.
var errNoKubeconfig = errors.New("no kubeconfig found and not running in a cluster")

// config returns the REST config and a name for the cluster (its context).
func (o *kubeOptions) config() (*rest.Config, string, error) {
	rules := clientcmd.NewDefaultClientConfigLoadingRules()
	if o.kubeconfig != "" {
		rules.ExplicitPath = o.kubeconfig
	}
	cc := clientcmd.NewNonInteractiveDeferredLoadingClientConfig(rules, &clientcmd.ConfigOverrides{CurrentContext: o.context})
	cfg, err := cc.ClientConfig()
	if err != nil {
		if clientcmd.IsEmptyConfig(err) {
			return nil, "", errNoKubeconfig
		}
		return nil, "", fmt.Errorf("loading kubeconfig: %w", err)
	}
	name := o.context
	if raw, err := cc.RawConfig(); err == nil && name == "" {
		name = raw.CurrentContext
	}
	if name == "" {
		name = cfg.Host
	}
	cfg.UserAgent = "pacer"
	return cfg, name, nil
}

// clients returns a typed and a dynamic client for the config.
func clients(cfg *rest.Config) (kubernetes.Interface, dynamic.Interface, error) {
	typed, err := kubernetes.NewForConfig(cfg)
	if err != nil {
		return nil, nil, fmt.Errorf("kubernetes client: %w", err)
	}
	dyn, err := dynamic.NewForConfig(cfg)
	if err != nil {
		return nil, nil, fmt.Errorf("kubernetes dynamic client: %w", err)
	}
	return typed, dyn, nil
}
