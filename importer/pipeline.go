package importer

import (
	"context"
	"fmt"

	"github.com/planledger/planledger/domain"
)

// openPipeline returns the store's append pipeline, or for a store without
// one a pipeline that appends each event before Append returns.
func (r *runner) openPipeline() domain.AppendPipeline {
	if store, ok := r.store.(domain.PipelinedStore); ok {
		return store.Pipeline(r.ctx)
	}
	return &serialPipeline{ctx: r.ctx, store: r.store}
}

// beginPhase reports the phase's start and opens its append pipeline.
func (r *runner) beginPhase(phase string, total int) *phaseRun {
	return &phaseRun{progress: r.startPhase(phase, total), pipeline: r.openPipeline()}
}

// endPhase waits until the pipeline has finished every queued append. It
// returns err, the error that stopped the queueing, or else the first
// failed append.
func (r *runner) endPhase(run *phaseRun, err error) error {
	run.pipeline.Wait()
	if err == nil {
		err = r.failed(run)
	}
	if err != nil && r.ctx.Err() != nil {
		return r.stopped()
	}
	return err
}

// phaseRun is the state of one phase that queues its appends.
type phaseRun struct {
	progress *phaseProgress
	pipeline domain.AppendPipeline
	// err is the first failed append, guarded by the runner's mu.
	err error
}

func (r *runner) failed(run *phaseRun) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	return run.err
}

// queueAppend queues one event after the aggregate's last sequence known to
// this run. Once the store accepts it, onStored runs with r.mu held and
// item i of the phase counts as done.
func (r *runner) queueAppend(run *phaseRun, i int, kind, id, key, actor string, d domain.Draft, onStored func()) error {
	if err := r.failed(run); err != nil {
		return err
	}
	expected := r.sequence(kind, id)
	// The pipeline appends this aggregate's events in queue order, so the
	// next one follows this one.
	r.sequences[kind+"/"+id] = expected + 1
	req := domain.AppendRequest{
		AggregateKind: kind, AggregateID: id, ExpectedSequence: expected, Draft: d,
		Metadata: domain.Metadata{Actor: actor, CorrelationID: r.correlationID, EventID: eventID(key)},
	}
	return run.pipeline.Append(req, func(ev domain.Event, err error) {
		r.mu.Lock()
		defer r.mu.Unlock()
		if err != nil {
			if run.err == nil {
				run.err = fmt.Errorf("append %s to %s %s after sequence %d: %w", d.Type, kind, id, expected, err)
			}
			return
		}
		r.lastStream = max(r.lastStream, ev.StreamSequence)
		r.sum.Events++
		onStored()
		r.finishItem(run.progress, i)
	})
}

// skipItem counts item i of the phase as done without an append.
func (r *runner) skipItem(progress *phaseProgress, i int) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.finishItem(progress, i)
}

// serialPipeline is the AppendPipeline of a plain domain.EventStore.
type serialPipeline struct {
	ctx   context.Context
	store domain.EventStore
}

func (p *serialPipeline) Append(req domain.AppendRequest, done func(domain.Event, error)) error {
	if err := p.ctx.Err(); err != nil {
		return fmt.Errorf("append %s event: %w", req.AggregateKind, err)
	}
	done(p.store.Append(p.ctx, req))
	return nil
}

func (p *serialPipeline) Wait() {}

// phaseProgress counts the items of one phase that are done. An item is
// done once it was skipped or its event was stored, and the count covers
// only the items before the first one not yet done, so every item a report
// counts, and every item before it, is stored. r.mu guards it.
type phaseProgress struct {
	phase string
	total int
	done  []bool
	next  int // index of the first item not yet done
}

// finishItem marks item i done and reports progress every progressEvery
// items and at the end of the phase. r.mu is held.
func (r *runner) finishItem(progress *phaseProgress, i int) {
	progress.done[i] = true
	before := progress.next
	for progress.next < progress.total && progress.done[progress.next] {
		progress.next++
	}
	// One call can move the count past several multiples of progressEvery,
	// and each gets its own report, so reports stay progressEvery apart.
	for n := (before/progressEvery + 1) * progressEvery; n <= progress.next; n += progressEvery {
		r.report(progress.phase, n, progress.total)
	}
	if progress.next == progress.total && before < progress.total && progress.total%progressEvery != 0 {
		r.report(progress.phase, progress.total, progress.total)
	}
}

func (r *runner) startPhase(phase string, total int) *phaseProgress {
	r.report(phase, 0, total)
	return &phaseProgress{phase: phase, total: total, done: make([]bool, total)}
}
