//go:build integration

package integration

import (
	"fmt"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/pacerdev/pacer/test/kube"
)

// TestKubeControlPlane runs the real control plane the suite's Kubernetes
// tests use and checks that it is one: the apiserver reports the built
// version, the controller manager turns a Deployment into a ReplicaSet and
// pods (which stay Pending: there is no scheduler or kubelet), kubectl
// talks to it, and stopping it leaves no process behind.
func TestKubeControlPlane(t *testing.T) {
	c := kube.Start(t, kube.Options{ControllerManager: true})
	client := c.Client()

	version, err := client.Discovery().ServerVersion()
	if err != nil {
		t.Fatal(err)
	}
	if version.GitVersion != kube.Version {
		t.Errorf("the apiserver reports %s, want %s", version.GitVersion, kube.Version)
	}

	ns, err := client.CoreV1().Namespaces().Create(t.Context(),
		&corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: "pacer-kube-test"}}, metav1.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}

	t.Run("deployment rolls out a ReplicaSet", func(t *testing.T) {
		const replicas = 2
		d, err := client.AppsV1().Deployments(ns.Name).Create(t.Context(), deployment("web", replicas), metav1.CreateOptions{})
		if err != nil {
			t.Fatal(err)
		}
		var rs *appsv1.ReplicaSet
		waitFor(t, time.Minute, "the deployment controller to create a ReplicaSet", func() (bool, error) {
			list, err := client.AppsV1().ReplicaSets(ns.Name).List(t.Context(), metav1.ListOptions{})
			if err != nil {
				return false, err
			}
			for i := range list.Items {
				if metav1.IsControlledBy(&list.Items[i], d) {
					rs = &list.Items[i]
					return true, nil
				}
			}
			return false, nil
		})
		if rs.Spec.Replicas == nil || *rs.Spec.Replicas != replicas {
			t.Errorf("ReplicaSet %s wants %v replicas, the deployment %d", rs.Name, rs.Spec.Replicas, replicas)
		}
		waitFor(t, time.Minute, "the ReplicaSet controller to create the pods", func() (bool, error) {
			pods, err := client.CoreV1().Pods(ns.Name).List(t.Context(), metav1.ListOptions{})
			if err != nil {
				return false, err
			}
			owned := 0
			for i := range pods.Items {
				p := &pods.Items[i]
				if !metav1.IsControlledBy(p, rs) {
					continue
				}
				owned++
				if p.Status.Phase != corev1.PodPending {
					return false, fmt.Errorf("pod %s is %s with no kubelet to run it", p.Name, p.Status.Phase)
				}
			}
			return owned == replicas, nil
		})
	})

	t.Run("kubectl server-side dry run", func(t *testing.T) {
		const manifest = `apiVersion: apps/v1
kind: Deployment
metadata:
  name: dry-run
spec:
  replicas: 1
  selector:
    matchLabels: {app: dry-run}
  template:
    metadata:
      labels: {app: dry-run}
    spec:
      containers:
        - name: app
          image: pacer-test.invalid/app:1
`
		stdout, _, err := c.KubectlWithInput(t.Context(), strings.NewReader(manifest),
			"apply", "--dry-run=server", "-n", ns.Name, "-f", "-")
		if err != nil {
			t.Fatal(err)
		}
		if want := "deployment.apps/dry-run created (server dry run)"; strings.TrimSpace(stdout) != want {
			t.Errorf("kubectl apply said %q, want %q", stdout, want)
		}
		_, err = client.AppsV1().Deployments(ns.Name).Get(t.Context(), "dry-run", metav1.GetOptions{})
		if !apierrors.IsNotFound(err) {
			t.Errorf("after a dry run, getting the deployment gave %v, want not found", err)
		}
	})

	pids := c.Processes()
	c.Stop()
	for name, pid := range pids {
		if _, err := os.Stat("/proc/" + strconv.Itoa(pid)); err == nil {
			t.Errorf("%s (pid %d) is still running after Stop", name, pid)
		}
	}
	// Only this cluster's processes are checked: another suite on the same
	// machine may run a control plane of its own from the same binaries.
}

// deployment is a Deployment of one container whose image no kubelet pulls.
func deployment(name string, replicas int32) *appsv1.Deployment {
	labels := map[string]string{"app": name}
	return &appsv1.Deployment{
		ObjectMeta: metav1.ObjectMeta{Name: name},
		Spec: appsv1.DeploymentSpec{
			Replicas: &replicas,
			Selector: &metav1.LabelSelector{MatchLabels: labels},
			Template: corev1.PodTemplateSpec{
				ObjectMeta: metav1.ObjectMeta{Labels: labels},
				Spec: corev1.PodSpec{Containers: []corev1.Container{{
					Name:  "app",
					Image: "pacer-test.invalid/app:1",
				}}},
			},
		},
	}
}
