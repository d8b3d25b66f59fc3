package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"time"

	"github.com/planledger/planledger/data"
	"github.com/planledger/planledger/importer"
)

// runImport loads DESE files or a plans file into the store. It opens the
// store itself, so either stop the server first, because a running server
// locks its embedded store folder, or point -nats at the running server's
// NATS port.
func runImport(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("import", flag.ContinueOnError)
	var cfg Config
	cfg.bindFlags(fs, false)
	bundled := fs.Bool("bundled", false, "load the Massachusetts data bundled in the binary")
	enrollments := fs.String("enrollments", "", "DESE enrollment-by-grade CSV: registers districts and schools")
	profile := fs.String("profile", "", "DESE school profile CSV with accountability levels (the 2017 layout)")
	observations := fs.String("observations", "", "accountability observations CSV (org code, level, year, source)")
	plans := fs.String("plans", "", "plans JSON file in the bundled plans' shape")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if err := cfg.validate(); err != nil {
		return err
	}
	log := cfg.logger()
	slog.SetDefault(log)

	var src importer.Sources
	var closers []io.Closer
	defer func() {
		for _, c := range closers {
			c.Close()
		}
	}()
	if *bundled {
		s, closeAll, err := importer.BundledSources(data.Bundled())
		if err != nil {
			return err
		}
		defer closeAll()
		src = s
	}
	for _, f := range []struct {
		path string
		dst  *io.Reader
	}{{*enrollments, &src.Enrollments}, {*profile, &src.Profile2017}, {*observations, &src.Observations}, {*plans, &src.Plans}} {
		if f.path == "" {
			continue
		}
		file, err := os.Open(f.path)
		if err != nil {
			return fmt.Errorf("open import file: %w", err)
		}
		closers = append(closers, file)
		*f.dst = file
	}
	if src == (importer.Sources{}) {
		fs.Usage()
		return fmt.Errorf("nothing to import: pass -bundled or at least one of -enrollments, -profile, -observations, -plans")
	}

	app, err := OpenApp(ctx, cfg, log)
	if err != nil {
		return err
	}
	defer app.Close()
	return runImporter(ctx, app, src, log)
}

// importBundled adds the bundled data the store lacks. Running it on every
// start is safe: the importer skips what is already there, keeps org
// registrations a newer import changed, and finishes an import a crash
// interrupted.
func importBundled(ctx context.Context, app *App, log *slog.Logger) error {
	src, closeAll, err := importer.BundledSources(data.Bundled())
	if err != nil {
		return err
	}
	defer closeAll()
	src.OnlyNewOrgs = true
	return runImporter(ctx, app, src, log)
}

func runImporter(ctx context.Context, app *App, src importer.Sources, log *slog.Logger) error {
	start := time.Now()
	report := logProgress(log)
	sum, err := importer.Run(ctx, app.Store, app.Read, src, func(p importer.Progress) {
		report(p.Phase, p.Done, p.Total)
	})
	log.Info("import finished", "events", sum.Events, "orgs_registered", sum.OrgsRegistered,
		"orgs_unchanged", sum.OrgsUnchanged, "levels_recorded", sum.LevelsRecorded,
		"levels_present", sum.LevelsPresent, "levels_unknown_org", sum.LevelsUnknownOrg,
		"unknown_org_codes", sum.UnknownOrgCodes, "plans_created", sum.PlansCreated,
		"plans_resumed", sum.PlansResumed, "plans_skipped", sum.PlansSkipped,
		"duration_ms", time.Since(start).Milliseconds())
	if err != nil {
		return fmt.Errorf("import: %w", err)
	}
	return nil
}
