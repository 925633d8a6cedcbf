// Package vpatest gives tests the VerticalPodAutoscaler CRDs of the VPA Go
// module pacer builds against, read from the module cache, so a test
// control plane serves exactly the API the vpa package was written for.
// It runs the go command: it is for tests, not for pacer itself.
package vpatest

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
)

// Module is the VPA Go module whose types and CRDs pacer uses.
const Module = "k8s.io/autoscaler/vertical-pod-autoscaler"

// CRDFile is the CRD manifest inside the module: the
// VerticalPodAutoscaler and VerticalPodAutoscalerCheckpoint CRDs, with
// the status subresource pacer writes through.
const CRDFile = "deploy/vpa-v1-crd-gen.yaml"

// CRDPath returns where the module's CRD manifest is in the module cache,
// for the version the go.mod of the current directory's module requires.
// The file is read-only; apply it, do not copy it into the repository.
func CRDPath(ctx context.Context) (string, error) {
	cmd := exec.CommandContext(ctx, "go", "list", "-m", "-f", "{{.Dir}}", Module)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		return "", fmt.Errorf("finding module %s with go list: %w: %s", Module, err, strings.TrimSpace(stderr.String()))
	}
	dir := strings.TrimSpace(string(out))
	if dir == "" {
		return "", fmt.Errorf("module %s is not in the module cache: run go mod download %s", Module, Module)
	}
	return filepath.Join(dir, filepath.FromSlash(CRDFile)), nil
}

// CRDYAML returns the module's CRD manifest: YAML documents separated by ---.
func CRDYAML(ctx context.Context) ([]byte, error) {
	path, err := CRDPath(ctx)
	if err != nil {
		return nil, err
	}
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("reading the VPA CRDs: %w", err)
	}
	return data, nil
}
