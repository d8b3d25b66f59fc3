package main

import (
	"context"
	"regexp"
	"testing"
	"time"

	"github.com/planledger/planledger/commands"
	"github.com/planledger/planledger/domain"
)

// A kind registered with domain.RegisterKind, here the self-evaluation, is
// stored in JetStream, applied by the read model, replayed after a restart
// and accepted by verify like the org, level and plan kinds.
func TestSelfEvaluationStoredAndVerified(t *testing.T) {
	dir := t.TempDir()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	cfg := Config{DataDir: dir, NATSListen: "127.0.0.1:-1"}
	app, err := OpenApp(ctx, cfg, discardLogger())
	if err != nil {
		t.Fatalf("OpenApp: %v", err)
	}
	service := commands.New(app.Store, app.Read)
	meta := commands.Meta{Actor: "test"}
	if _, err := service.RegisterOrg(ctx, meta, domain.Org{Code: "02040000", Type: domain.OrgDistrict, Name: "Newburyport",
		DistrictCode: "02040000"}); err != nil {
		t.Fatalf("register district: %v", err)
	}
	const id = "02040000-2016"
	start := domain.StartSelfEvaluation{DistrictCode: "02040000", Year: 2016}
	if _, err := service.Execute(ctx, meta, domain.KindSelfEvaluation, id, func(state domain.State, _ uint64) ([]domain.Draft, error) {
		d, err := domain.DecideStartSelfEvaluation(start, nil, app.Read)
		return []domain.Draft{d}, err
	}); err != nil {
		t.Fatalf("start: %v", err)
	}
	one := uint64(1)
	meta.Expected = &one
	if _, err := service.Execute(ctx, meta, domain.KindSelfEvaluation, id, func(state domain.State, _ uint64) ([]domain.Draft, error) {
		d, err := domain.DecideRateStandard(state.(*domain.SelfEvaluation), domain.RateStandard{Standard: "assessment", Rating: 2})
		return []domain.Draft{d}, err
	}); err != nil {
		t.Fatalf("rate: %v", err)
	}
	if s, ok := app.Read.SelfEvaluation(id); !ok || len(s.Ratings) != 1 {
		t.Fatalf("read model shows %+v, %v; want the evaluation with one rating", s, ok)
	}
	app.Close()

	reopened, err := OpenApp(ctx, cfg, discardLogger())
	if err != nil {
		t.Fatalf("reopen: %v", err)
	}
	s, ok := reopened.Read.SelfEvaluation(id)
	if !ok || len(s.Ratings) != 1 || s.FrameworkVersion != "dsi-2013" {
		t.Errorf("after a restart the read model shows %+v, %v; want the evaluation under dsi-2013 with one rating", s, ok)
	}
	reopened.Close()

	out, err := verifyOutput(t, "-data", dir)
	if err != nil {
		t.Fatalf("verify: %v\n%s", err, out)
	}
	if !regexp.MustCompile(`^log verified: 3 events in 2 aggregates, no problems\n$`).MatchString(out) {
		t.Errorf("verify output is not one clean summary line for 3 events:\n%s", out)
	}
}
