package kube

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
)

// Version is the Kubernetes release that hack/kube-binaries.sh builds.
const Version = "v1.37.2"

// Binaries are the paths of the programs a cluster runs.
type Binaries struct {
	APIServer, ControllerManager, Kubectl string
	// Etcd is Debian's etcd-server.
	Etcd string
}

// FindBinaries locates the Kubernetes binaries in $PACER_KUBE_BIN or else in
// the cache hack/kube-binaries.sh builds into,
// ${PACER_CACHE:-$HOME/.cache/pacer}/kube/<Version>, and etcd on the PATH.
func FindBinaries() (Binaries, error) {
	dir, err := binDir()
	if err != nil {
		return Binaries{}, err
	}
	b := Binaries{
		APIServer:         filepath.Join(dir, "kube-apiserver"),
		ControllerManager: filepath.Join(dir, "kube-controller-manager"),
		Kubectl:           filepath.Join(dir, "kubectl"),
	}
	var missing []error
	for _, path := range []string{b.APIServer, b.ControllerManager, b.Kubectl} {
		if info, err := os.Stat(path); err != nil || info.Mode()&0o111 == 0 {
			missing = append(missing, fmt.Errorf("%s is missing or not executable", path))
		}
	}
	if len(missing) > 0 {
		return Binaries{}, fmt.Errorf("the Kubernetes %s binaries are not built: run `make kube-binaries` (make test does it), or set PACER_KUBE_BIN to a directory holding them: %w",
			Version, errors.Join(missing...))
	}
	b.Etcd, err = exec.LookPath("etcd")
	if err != nil {
		return Binaries{}, fmt.Errorf("etcd is not installed: run `make deps` (make test does it), which installs Debian's etcd-server: %w", err)
	}
	return b, nil
}

func binDir() (string, error) {
	if dir := os.Getenv("PACER_KUBE_BIN"); dir != "" {
		return dir, nil
	}
	cache := os.Getenv("PACER_CACHE")
	if cache == "" {
		home, err := os.UserHomeDir()
		if err != nil {
			return "", fmt.Errorf("finding the Kubernetes binaries: set PACER_KUBE_BIN or PACER_CACHE: %w", err)
		}
		cache = filepath.Join(home, ".cache", "pacer")
	}
	return filepath.Join(cache, "kube", Version), nil
}
