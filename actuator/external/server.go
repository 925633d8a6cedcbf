package external

import (
	"context"
	"errors"
	"fmt"
	"net"

	apidiscoveryv2 "k8s.io/api/apidiscovery/v2"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	openapinamer "k8s.io/apiserver/pkg/endpoints/openapi"
	genericapiserver "k8s.io/apiserver/pkg/server"
	genericoptions "k8s.io/apiserver/pkg/server/options"
	"k8s.io/client-go/kubernetes"
	openapicommon "k8s.io/kube-openapi/pkg/common"
	"k8s.io/metrics/pkg/apis/external_metrics"
	cmapiserver "sigs.k8s.io/custom-metrics-apiserver/pkg/apiserver"
	generatedcore "sigs.k8s.io/custom-metrics-apiserver/pkg/generated/openapi/core"
	generatedexternal "sigs.k8s.io/custom-metrics-apiserver/pkg/generated/openapi/externalmetrics"
)

// ServerOptions configure the aggregated API server.
type ServerOptions struct {
	// Listener is the TCP listener to serve TLS on; required.
	Listener net.Listener
	// CertDir holds the serving certificate as tls.crt and tls.key, reloaded
	// when they change. When they are missing, a self-signed pair is made
	// and written there; with no CertDir it is kept in memory.
	CertDir string
	// CertNames are DNS names the self-signed certificate is valid for
	// besides localhost, e.g. pacer.pacer-system.svc: the name the
	// kube-apiserver checks when the APIService has a caBundle.
	CertNames []string
	// Client reaches the kube-apiserver that authentication and
	// authorization are delegated to; required.
	Client kubernetes.Interface
	// ReviewClient sends the TokenReviews and SubjectAccessReviews
	// (default: Client). Give it a rate limit of its own: when the cache of
	// review answers expires, every request in flight sends a review, and
	// behind client-go's default of 5 a second they queue for seconds.
	ReviewClient kubernetes.Interface
}

// Server is the external.metrics.k8s.io/v1beta1 aggregated API server.
type Server struct {
	generic *genericapiserver.GenericAPIServer
}

// NewServer builds the server over the store. It reads the front proxy's
// settings from the cluster, so it fails when pacer may not read them.
func NewServer(ctx context.Context, store *Store, o ServerOptions) (*Server, error) {
	if o.Listener == nil || o.Client == nil {
		return nil, errors.New("the external metrics server needs a listener and a Kubernetes client")
	}
	tcp, ok := o.Listener.Addr().(*net.TCPAddr)
	if !ok {
		return nil, fmt.Errorf("the external metrics server needs a TCP listener, not %s", o.Listener.Addr().Network())
	}
	cfg := genericapiserver.NewRecommendedConfig(cmapiserver.Codecs)
	secure := genericoptions.NewSecureServingOptions().WithLoopback()
	secure.Listener, secure.BindAddress, secure.BindPort = o.Listener, tcp.IP, tcp.Port
	secure.ServerCert.CertDirectory, secure.ServerCert.PairName = o.CertDir, "tls"
	if err := secure.MaybeDefaultWithSelfSignedCerts("localhost", o.CertNames, []net.IP{net.IPv4(127, 0, 0, 1)}); err != nil {
		return nil, fmt.Errorf("making a self-signed serving certificate: %w", err)
	}
	if err := secure.ApplyTo(&cfg.SecureServing, &cfg.LoopbackClientConfig); err != nil {
		return nil, fmt.Errorf("secure serving: %w", err)
	}
	reviews := o.ReviewClient
	if reviews == nil {
		reviews = o.Client
	}
	if err := delegateAuth(ctx, &cfg.Config, o.Client, reviews); err != nil {
		return nil, err
	}
	cfg.EnableProfiling = false
	definitions := openAPIDefinitions(generatedcore.GetOpenAPIDefinitions, generatedexternal.GetOpenAPIDefinitions)
	namer := openapinamer.NewDefinitionNamer(cmapiserver.Scheme)
	cfg.OpenAPIConfig = genericapiserver.DefaultOpenAPIConfig(definitions, namer)
	cfg.OpenAPIConfig.Info.Title, cfg.OpenAPIConfig.Info.Version = "pacer external metrics", "v1beta1"
	cfg.OpenAPIV3Config = genericapiserver.DefaultOpenAPIV3Config(definitions, namer)
	cfg.OpenAPIV3Config.Info.Title, cfg.OpenAPIV3Config.Info.Version = "pacer external metrics", "v1beta1"

	server, err := (&cmapiserver.Config{GenericConfig: &cfg.Config}).Complete(nil).New("pacer", nil, provider{store})
	if err != nil {
		return nil, fmt.Errorf("building the external metrics server: %w", err)
	}
	addAggregatedDiscovery(server.GenericAPIServer)
	return &Server{generic: server.GenericAPIServer}, nil
}

// Run serves until ctx ends, then shuts down gracefully.
func (s *Server) Run(ctx context.Context) error {
	return s.generic.PrepareRun().RunWithContext(ctx)
}

// addAggregatedDiscovery lists the metrics in the aggregated discovery
// document (/apis, apidiscovery.k8s.io/v2), which custom-metrics-apiserver
// leaves empty: the kube-apiserver asks for that format first, and would
// otherwise merge an external.metrics.k8s.io without resources.
func addAggregatedDiscovery(s *genericapiserver.GenericAPIServer) {
	if s.AggregatedDiscoveryGroupManager == nil {
		return
	}
	resources := make([]apidiscoveryv2.APIResourceDiscovery, 0, len(metricOrder))
	for _, m := range metricOrder {
		resources = append(resources, apidiscoveryv2.APIResourceDiscovery{
			Resource: string(m),
			ResponseKind: &metav1.GroupVersionKind{
				Group: external_metrics.GroupName, Version: "v1beta1", Kind: "ExternalMetricValueList",
			},
			Scope: apidiscoveryv2.ScopeNamespace,
			Verbs: []string{"get"},
		})
	}
	s.AggregatedDiscoveryGroupManager.AddGroupVersion(external_metrics.GroupName, apidiscoveryv2.APIVersionDiscovery{
		Version: "v1beta1", Resources: resources, Freshness: apidiscoveryv2.DiscoveryFreshnessCurrent,
	})
}

func openAPIDefinitions(getters ...openapicommon.GetOpenAPIDefinitions) openapicommon.GetOpenAPIDefinitions {
	return func(ref openapicommon.ReferenceCallback) map[string]openapicommon.OpenAPIDefinition {
		out := map[string]openapicommon.OpenAPIDefinition{}
		for _, get := range getters {
			for name, def := range get(ref) {
				out[name] = def
			}
		}
		return out
	}
}
