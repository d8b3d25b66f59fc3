package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"sync/atomic"
	"time"

	"github.com/planledger/planledger/cloudevents"
	"github.com/planledger/planledger/commands"
	"github.com/planledger/planledger/comparisons"
	"github.com/planledger/planledger/docs"
	plhttp "github.com/planledger/planledger/http"
	"github.com/planledger/planledger/importer"
	"github.com/planledger/planledger/observe"
)

func runServe(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("serve", flag.ContinueOnError)
	var cfg Config
	cfg.bindFlags(fs, true)
	if err := fs.Parse(args); err != nil {
		return err
	}
	if err := cfg.validate(); err != nil {
		return err
	}
	log := cfg.logger()
	slog.SetDefault(log)

	srv, err := startServer(ctx, cfg, log)
	if err != nil {
		return err
	}
	<-ctx.Done()
	log.Info("shutting down")
	shutdownCtx, cancel := context.WithTimeout(context.Background(), cfg.Shutdown)
	defer cancel()
	return srv.Close(shutdownCtx)
}

// server is a running planledger: the core App, its HTTP front and the
// CloudEvents relay, nil when -cloudevents=false.
type server struct {
	app   *App
	http  *plhttp.Server
	relay *cloudevents.Relay
}

// startServer opens the store, starts HTTP, replays the log and loads the
// bundled data when asked. HTTP answers from before the replay: /livez
// reports the process up and every other route 503 with the start-up
// phase, so a long replay is neither mistaken for a dead process nor
// served half done. End-to-end tests call it directly.
func startServer(ctx context.Context, cfg Config, log *slog.Logger) (*server, error) {
	// The keys are checked first, so a server that could accept no write
	// never opens the store.
	verifier, err := cfg.verifier(log)
	if err != nil {
		return nil, err
	}
	// Loaded before the bundled import, whose plan analyses are checked
	// against it, and before HTTP, whose comparison routes serve it.
	data, err := loadComparisonData(log)
	if err != nil {
		return nil, err
	}
	metrics := observe.New()
	var phase startupPhase
	srv := &server{}
	app, err := openAppServing(ctx, cfg, log, func(a *App) error {
		a.onApplied = metrics.ObserveApplied
		if err := metrics.WatchProjection(observe.Projection{Applied: a.Read.Applied, LastSequence: a.Store.LastSequence}); err != nil {
			return err
		}
		phase.set(a.replayProgress)
		h := plhttp.NewServer(plhttp.Config{
			Commands: commands.New(metrics.Store(a.Store), a.Read),
			Read:     a.Read,
			Ready:    a.Ready,
			OpenAPI:  docs.OpenAPI,
			AsyncAPI: docs.AsyncAPI,
			Version:  version,
			Auth:     verifier,
			Logger:   log,
			Data:     data,
			Metrics:  metrics,
			Starting: phase.reason,
		})
		if err := h.Open(cfg.Listen); err != nil {
			return err
		}
		srv.http = h
		return nil
	})
	if err != nil {
		srv.closeHTTP(log)
		return nil, err
	}
	srv.app = app
	if cfg.CloudEvents {
		srv.relay, err = cloudevents.Start(ctx, app.nc, cloudevents.Config{Logger: log})
		if err != nil {
			srv.closeHTTP(log)
			app.Close()
			return nil, err
		}
	}
	if cfg.Bundled {
		phase.set(func() string { return "loading the bundled Massachusetts data" })
		if err := importBundled(ctx, app, log); err != nil {
			srv.closeHTTP(log)
			srv.stopRelay()
			app.Close()
			return nil, err
		}
	}
	phase.set(nil)
	log.Info("planledger serving", "url", srv.http.URL(), "version", version)
	return srv, nil
}

// closeHTTP stops the HTTP server of a start that failed after opening it.
func (s *server) closeHTTP(log *slog.Logger) {
	if s.http == nil {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := s.http.Close(ctx); err != nil {
		log.Warn("stop http server after a failed start", "err", err)
	}
}

// startupPhase is what the server is doing before it can serve data; a
// nil describer means it is done.
type startupPhase struct {
	describe atomic.Pointer[func() string]
}

func (p *startupPhase) set(describe func() string) {
	if describe == nil {
		p.describe.Store(nil)
		return
	}
	p.describe.Store(&describe)
}

// reason returns the phase's description, or "" once start-up is done.
func (p *startupPhase) reason() string {
	if describe := p.describe.Load(); describe != nil {
		return (*describe)()
	}
	return ""
}

// loadComparisonData loads the bundled comparison data and logs how long it
// took, because it is part of every start.
func loadComparisonData(log *slog.Logger) (*comparisons.Dataset, error) {
	start := time.Now()
	data, err := importer.BundledDataset()
	if err != nil {
		return nil, fmt.Errorf("load comparison data: %w", err)
	}
	log.Info("comparison data loaded", "orgs", data.OrgCount(), "duration_ms", time.Since(start).Milliseconds())
	return data, nil
}

// Close stops HTTP first, so no request writes after the store closes, and
// the relay before the NATS connection it publishes through.
func (s *server) Close(ctx context.Context) error {
	err := s.http.Close(ctx)
	s.stopRelay()
	s.app.Close()
	if err != nil && !errors.Is(err, context.DeadlineExceeded) {
		return fmt.Errorf("stop http server: %w", err)
	}
	return nil
}

func (s *server) stopRelay() {
	if s.relay != nil {
		s.relay.Stop()
	}
}

// logProgress returns a progress callback that logs at most every second.
func logProgress(log *slog.Logger) func(phase string, done, total int) {
	var last time.Time
	var lastPhase string
	return func(phase string, done, total int) {
		if phase == lastPhase && done < total && time.Since(last) < time.Second {
			return
		}
		last, lastPhase = time.Now(), phase
		log.Info("import progress", "phase", phase, "done", done, "total", total)
	}
}
