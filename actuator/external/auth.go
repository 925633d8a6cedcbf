package external

import (
	"context"
	"fmt"
	"time"

	"k8s.io/apiserver/pkg/apis/apiserver"
	"k8s.io/apiserver/pkg/authentication/authenticatorfactory"
	"k8s.io/apiserver/pkg/authentication/request/headerrequest"
	"k8s.io/apiserver/pkg/authorization/authorizerfactory"
	"k8s.io/apiserver/pkg/authorization/path"
	"k8s.io/apiserver/pkg/authorization/union"
	genericapiserver "k8s.io/apiserver/pkg/server"
	"k8s.io/apiserver/pkg/server/dynamiccertificates"
	genericoptions "k8s.io/apiserver/pkg/server/options"
	"k8s.io/client-go/kubernetes"
)

// The ConfigMap in which the kube-apiserver publishes its client CA and
// its front proxy's (the aggregator's) CA and headers.
const (
	authConfigMapNamespace = "kube-system"
	authConfigMapName      = "extension-apiserver-authentication"
)

// authCacheTTL is how long a TokenReview or SubjectAccessReview answer is
// reused: short, so a revoked permission ends quickly.
const authCacheTTL = 10 * time.Second

// delegateAuth makes the server trust what the kube-apiserver trusts, as
// every aggregated API server does: requests the aggregator proxies, by
// the front-proxy headers under its client certificate; client
// certificates of the cluster CA; bearer tokens, by a TokenReview. It
// authorizes with a SubjectAccessReview, except for system:masters and the
// health checks. It uses client (reviews for the reviews) rather than a
// kubeconfig path, so pacer's --kubeconfig and --context apply.
func delegateAuth(ctx context.Context, cfg *genericapiserver.Config, client, reviews kubernetes.Interface) error {
	clientCA, err := dynamiccertificates.NewDynamicCAFromConfigMapController("client-ca",
		authConfigMapNamespace, authConfigMapName, "client-ca-file", client)
	if err != nil {
		return fmt.Errorf("watching the cluster's client CA: %w", err)
	}
	front, err := newFrontProxy(client)
	if err != nil {
		return err
	}
	if err := front.RunOnce(ctx); err != nil {
		return fmt.Errorf("reading the front proxy's CA and headers from %s/%s (pacer needs the extension-apiserver-authentication-reader Role there): %w",
			authConfigMapNamespace, authConfigMapName, err)
	}
	for _, ca := range []dynamiccertificates.CAContentProvider{clientCA, front} {
		if err := cfg.Authentication.ApplyClientCert(ca, cfg.SecureServing); err != nil {
			return fmt.Errorf("trusting %s: %w", ca.Name(), err)
		}
	}
	requestHeader := &authenticatorfactory.RequestHeaderConfig{
		CAContentProvider:   front,
		UsernameHeaders:     headerrequest.StringSliceProviderFunc(front.UsernameHeaders),
		UIDHeaders:          headerrequest.StringSliceProviderFunc(front.UIDHeaders),
		GroupHeaders:        headerrequest.StringSliceProviderFunc(front.GroupHeaders),
		ExtraHeaderPrefixes: headerrequest.StringSliceProviderFunc(front.ExtraHeaderPrefixes),
		AllowedClientNames:  headerrequest.StringSliceProviderFunc(front.AllowedClientNames),
	}
	cfg.Authentication.RequestHeaderConfig = requestHeader
	backoff := genericoptions.DefaultAuthWebhookRetryBackoff()
	authn, _, err := authenticatorfactory.DelegatingAuthenticatorConfig{
		Anonymous:                          &apiserver.AnonymousAuthConfig{Enabled: true},
		TokenAccessReviewClient:            reviews.AuthenticationV1(),
		TokenAccessReviewTimeout:           10 * time.Second,
		WebhookRetryBackoff:                backoff,
		CacheTTL:                           authCacheTTL,
		ClientCertificateCAContentProvider: clientCA,
		RequestHeaderConfig:                requestHeader,
	}.New()
	if err != nil {
		return fmt.Errorf("delegated authentication: %w", err)
	}
	cfg.Authentication.Authenticator = authn

	health, err := path.NewAuthorizer([]string{"/healthz", "/readyz", "/livez"})
	if err != nil {
		return fmt.Errorf("health check authorization: %w", err)
	}
	sar, err := authorizerfactory.DelegatingAuthorizerConfig{
		SubjectAccessReviewClient: reviews.AuthorizationV1(),
		AllowCacheTTL:             authCacheTTL,
		DenyCacheTTL:              authCacheTTL,
		WebhookRetryBackoff:       backoff,
	}.New()
	if err != nil {
		return fmt.Errorf("delegated authorization: %w", err)
	}
	cfg.Authorization.Authorizer, err = union.New(
		union.NamedAuthorizer{AuthorizerName: "kubernetes.io/always-allow-groups", Authorizer: authorizerfactory.NewPrivilegedGroups("system:masters")},
		union.NamedAuthorizer{AuthorizerName: "kubernetes.io/always-allow-paths", Authorizer: health},
		union.NamedAuthorizer{AuthorizerName: "kubernetes.io/webhook", Authorizer: sar},
	)
	if err != nil {
		return fmt.Errorf("delegated authorization: %w", err)
	}
	return nil
}

// frontProxy follows the front proxy's CA and request headers in the
// ConfigMap: the CA that signs the aggregator's client certificate, and
// the headers that carry the user it proxies for.
type frontProxy struct {
	*dynamiccertificates.ConfigMapCAController
	*headerrequest.RequestHeaderAuthRequestController
}

var (
	_ dynamiccertificates.ControllerRunner           = (*frontProxy)(nil)
	_ dynamiccertificates.CAContentProvider          = (*frontProxy)(nil)
	_ headerrequest.RequestHeaderAuthRequestProvider = (*frontProxy)(nil)
)

func newFrontProxy(client kubernetes.Interface) (*frontProxy, error) {
	ca, err := dynamiccertificates.NewDynamicCAFromConfigMapController("front-proxy-ca",
		authConfigMapNamespace, authConfigMapName, "requestheader-client-ca-file", client)
	if err != nil {
		return nil, fmt.Errorf("watching the front proxy's CA: %w", err)
	}
	headers := headerrequest.NewRequestHeaderAuthRequestController(authConfigMapName, authConfigMapNamespace, client,
		"requestheader-username-headers", "requestheader-uid-headers", "requestheader-group-headers",
		"requestheader-extra-headers-prefix", "requestheader-allowed-names")
	return &frontProxy{ConfigMapCAController: ca, RequestHeaderAuthRequestController: headers}, nil
}

// RunOnce reads the ConfigMap once.
func (f *frontProxy) RunOnce(ctx context.Context) error {
	if err := f.ConfigMapCAController.RunOnce(ctx); err != nil {
		return err
	}
	return f.RequestHeaderAuthRequestController.RunOnce(ctx)
}

// Run follows the ConfigMap until ctx ends.
func (f *frontProxy) Run(ctx context.Context, workers int) {
	go f.ConfigMapCAController.Run(ctx, workers)
	go f.RequestHeaderAuthRequestController.Run(ctx, workers)
	<-ctx.Done()
}
