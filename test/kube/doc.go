// Package kube runs a real Kubernetes control plane on loopback for
// pacer's integration suite: Debian's etcd, and kube-apiserver,
// kube-controller-manager and kubectl built from the k8s.io/kubernetes
// module by hack/kube-binaries.sh (`make kube-binaries`, which make test
// runs). Start generates the cluster's certificates, starts the components
// in their own process groups with their logs under the test's temporary
// directory, waits until they are ready, and stops them when the test
// ends; the logs are shown when the test fails.
//
// There is no kubelet and no scheduler: pods stay Pending, while the
// controllers (deployments, replica sets, HPAs, garbage collection, service
// accounts) and the aggregation layer work as in a real cluster.
package kube
