package domain_test

import (
	"testing"
	"time"

	"github.com/planledger/planledger/domain"
)

func validLevelChange() domain.ChangeLevel {
	return domain.ChangeLevel{
		OrgCode:     schoolCode,
		Level:       3,
		Reason:      "  Among lowest performing 20% of subgroups  ",
		Source:      " https://profiles.doe.mass.edu/ ",
		EffectiveAt: time.Date(2017, 9, 15, 4, 0, 0, 0, time.UTC),
	}
}

func TestDecideLevelChangeRejectsBadInput(t *testing.T) {
	tests := []struct {
		name  string
		edit  func(*domain.ChangeLevel)
		known bool
		code  string
		field string
	}{
		{"unknown org", func(*domain.ChangeLevel) {}, false, domain.ENotFound, "org_code"},
		{"malformed org code", func(c *domain.ChangeLevel) { c.OrgCode = "2040505" }, true, domain.EInvalid, "org_code"},
		{"level 0", func(c *domain.ChangeLevel) { c.Level = 0 }, true, domain.EInvalid, "level"},
		{"level 6", func(c *domain.ChangeLevel) { c.Level = 6 }, true, domain.EInvalid, "level"},
		{"negative level", func(c *domain.ChangeLevel) { c.Level = -1 }, true, domain.EInvalid, "level"},
		{"empty reason", func(c *domain.ChangeLevel) { c.Reason = "" }, true, domain.EInvalid, "reason"},
		{"blank reason", func(c *domain.ChangeLevel) { c.Reason = " \t\n" }, true, domain.EInvalid, "reason"},
		{"unknown date precision", func(c *domain.ChangeLevel) { c.DatePrecision = "month" }, true, domain.EInvalid, "date_precision"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := validLevelChange()
			tt.edit(&c)
			_, err := domain.DecideLevelChange(c, tt.known)
			checkError(t, err, tt.code, tt.field)
		})
	}
}

func TestDecideLevelChangeAcceptsLevelsOneToFive(t *testing.T) {
	for level := 1; level <= 5; level++ {
		c := validLevelChange()
		c.Level = level
		if _, err := domain.DecideLevelChange(c, true); err != nil {
			t.Errorf("level %d: got error %v, want nil", level, err)
		}
	}
}

func TestDecideLevelChangeBuildsDraft(t *testing.T) {
	c := validLevelChange()
	d, err := domain.DecideLevelChange(c, true)
	if err != nil {
		t.Fatalf("got error %v, want nil", err)
	}
	if d.Type != domain.TypeLevelChanged {
		t.Errorf("got type %q, want %q", d.Type, domain.TypeLevelChanged)
	}
	if !d.EffectiveAt.Equal(c.EffectiveAt) {
		t.Errorf("got effective time %v, want %v", d.EffectiveAt, c.EffectiveAt)
	}

	p, ok := d.Payload.(domain.LevelChanged)
	if !ok {
		t.Fatalf("got payload %T, want domain.LevelChanged", d.Payload)
	}
	if p.OrgCode != schoolCode {
		t.Errorf("got org code %q, want %q", p.OrgCode, schoolCode)
	}
	if p.Level != 3 {
		t.Errorf("got level %d, want 3", p.Level)
	}
	if want := "Among lowest performing 20% of subgroups"; p.Reason != want {
		t.Errorf("got reason %q, want %q", p.Reason, want)
	}
	if want := "https://profiles.doe.mass.edu/"; p.Source != want {
		t.Errorf("got source %q, want %q", p.Source, want)
	}
	if p.DatePrecision != "day" {
		t.Errorf("got date precision %q, want %q", p.DatePrecision, "day")
	}
}

func TestDecideLevelChangeKeepsYearPrecision(t *testing.T) {
	c := validLevelChange()
	c.DatePrecision = domain.PrecisionYear
	d, err := domain.DecideLevelChange(c, true)
	if err != nil {
		t.Fatalf("got error %v, want nil", err)
	}
	if got := d.Payload.(domain.LevelChanged).DatePrecision; got != domain.PrecisionYear {
		t.Errorf("got date precision %q, want %q", got, domain.PrecisionYear)
	}
}
