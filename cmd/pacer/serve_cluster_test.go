package main

import (
	"context"
	"testing"

	"github.com/pacerdev/pacer/recommender"
)

// blockingSink records its calls and, when block is set, waits for its
// context to end, as a write to a slow API server would.
type blockingSink struct {
	block   bool
	calls   int
	entered chan struct{}
}

func (s *blockingSink) Publish(ctx context.Context, _ *recommender.Cycle) error {
	s.calls++
	if s.block {
		close(s.entered)
		<-ctx.Done()
		return ctx.Err()
	}
	return nil
}

func TestTermBoundWritesOnlyWhileLeading(t *testing.T) {
	var changes []bool
	onChange := func(lead bool) { changes = append(changes, lead) }
	lead := &leadership{}
	sink := &blockingSink{}
	b := termBound{sink: sink, lead: lead}
	ctx := context.Background()

	if err := b.Publish(ctx, &recommender.Cycle{}); err != nil || sink.calls != 0 {
		t.Fatalf("before leading: %d writes, %v", sink.calls, err)
	}
	term, end := context.WithCancel(ctx)
	lead.start(term, onChange)
	if err := b.Publish(ctx, &recommender.Cycle{}); err != nil || sink.calls != 1 {
		t.Fatalf("while leading: %d writes, %v", sink.calls, err)
	}
	end()
	if err := b.Publish(ctx, &recommender.Cycle{}); err != nil || sink.calls != 1 {
		t.Fatalf("after the term ended, before OnStoppedLeading: %d writes, %v", sink.calls, err)
	}
	lead.stop(onChange)
	if len(changes) != 2 || !changes[0] || changes[1] {
		t.Errorf("leadership changes %v, want [true false]", changes)
	}
}

func TestTermBoundEndsAWriteInFlight(t *testing.T) {
	lead := &leadership{}
	term, end := context.WithCancel(context.Background())
	lead.start(term, func(bool) {})
	sink := &blockingSink{block: true, entered: make(chan struct{})}
	done := make(chan error, 1)
	go func() { done <- termBound{sink: sink, lead: lead}.Publish(context.Background(), &recommender.Cycle{}) }()
	<-sink.entered
	end() // the lease could not be renewed
	if err := <-done; err == nil {
		t.Error("the write in flight went on after the term ended")
	}
}

// TestLeadershipStartAfterStop: client-go runs OnStartedLeading in a
// goroutine, so it may run after OnStoppedLeading when the first renewal
// fails; the replica must not believe it leads.
func TestLeadershipStartAfterStop(t *testing.T) {
	var changes []bool
	onChange := func(lead bool) { changes = append(changes, lead) }
	lead := &leadership{}
	term, end := context.WithCancel(context.Background())
	end()
	lead.stop(onChange)
	lead.start(term, onChange)
	if lead.current() != nil || len(changes) != 1 || changes[0] {
		t.Errorf("leading %t after a late start; changes %v, want [false]", lead.current() != nil, changes)
	}
}
