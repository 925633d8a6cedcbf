package main

import (
	"fmt"
	"io"
	"os"
	"sync"
	"time"

	"golang.org/x/term"
)

// progress shows what a long command is doing on one line of a terminal:
// the stage, its count and the elapsed time, redrawn in place. It draws
// nothing when its writer is not a terminal, and nothing for the first
// second, so short runs and pipes stay clean.
type progress struct {
	w       io.Writer
	started time.Time
	stop    chan struct{}
	done    sync.WaitGroup

	mu     sync.Mutex
	stage  string
	drawn  bool
	active bool
}

// isTerminal reports whether w is a terminal.
func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	return ok && term.IsTerminal(int(f.Fd()))
}

func newProgress(w io.Writer) *progress {
	p := &progress{w: w, started: time.Now(), stop: make(chan struct{}), active: isTerminal(w)}
	if !p.active {
		return p
	}
	p.done.Add(1)
	go func() {
		defer p.done.Done()
		tick := time.NewTicker(200 * time.Millisecond)
		defer tick.Stop()
		for {
			select {
			case <-p.stop:
				return
			case <-tick.C:
				p.draw()
			}
		}
	}()
	return p
}

// Stage names what the command does now.
func (p *progress) Stage(format string, args ...any) {
	p.mu.Lock()
	p.stage = fmt.Sprintf(format, args...)
	p.mu.Unlock()
}

func (p *progress) draw() {
	p.mu.Lock()
	defer p.mu.Unlock()
	elapsed := time.Since(p.started)
	if elapsed < time.Second || p.stage == "" {
		return
	}
	spin := `|/-\`[int(elapsed/(200*time.Millisecond))%4]
	fmt.Fprintf(p.w, "\r\033[K%c %s  %s", spin, p.stage, elapsed.Round(time.Second))
	p.drawn = true
}

// Done stops drawing and clears the line.
func (p *progress) Done() {
	if !p.active {
		return
	}
	close(p.stop)
	p.done.Wait()
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.drawn {
		fmt.Fprint(p.w, "\r\033[K")
	}
	p.active = false
}
