package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"time"

	"github.com/planledger/planledger/cloudevents"
	"github.com/planledger/planledger/commands"
	"github.com/planledger/planledger/comparisons"
	"github.com/planledger/planledger/docs"
	plhttp "github.com/planledger/planledger/http"
	"github.com/planledger/planledger/importer"
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

// startServer opens the store, loads the bundled data when asked, and
// starts HTTP. End-to-end tests call it directly.
func startServer(ctx context.Context, cfg Config, log *slog.Logger) (*server, error) {
	// The keys are checked first, so a server that could accept no write
	// never opens the store.
	verifier, err := cfg.verifier(log)
	if err != nil {
		return nil, err
	}
	app, err := OpenApp(ctx, cfg, log)
	if err != nil {
		return nil, err
	}
	// Loaded before the bundled import, whose plan analyses are checked
	// against it.
	data, err := loadComparisonData(log)
	if err != nil {
		app.Close()
		return nil, err
	}
	srv := &server{app: app}
	if cfg.CloudEvents {
		srv.relay, err = cloudevents.Start(ctx, app.nc, cloudevents.Config{Logger: log})
		if err != nil {
			app.Close()
			return nil, err
		}
	}
	if cfg.Bundled {
		if err := importBundled(ctx, app, log); err != nil {
			srv.stopRelay()
			app.Close()
			return nil, err
		}
	}
	h := plhttp.NewServer(plhttp.Config{
		Commands: commands.New(app.Store, app.Read),
		Read:     app.Read,
		Ready:    app.Ready,
		OpenAPI:  docs.OpenAPI,
		AsyncAPI: docs.AsyncAPI,
		Version:  version,
		Auth:     verifier,
		Logger:   log,
		Data:     data,
	})
	if err := h.Open(cfg.Listen); err != nil {
		srv.stopRelay()
		app.Close()
		return nil, err
	}
	srv.http = h
	log.Info("planledger serving", "url", h.URL(), "version", version)
	return srv, nil
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
