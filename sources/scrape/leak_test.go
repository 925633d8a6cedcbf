package scrape

import (
	"testing"

	"go.uber.org/goleak"
)

// TestMain fails the package's tests when any goroutine outlives them: a
// scrape, a Run loop or a response body left open would.
func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}
