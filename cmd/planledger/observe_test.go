package main

import (
	"bytes"
	"context"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"

	"github.com/planledger/planledger/domain"
)

// scrape reads /metrics and returns each sample by its series text, such as
// planledger_store_up or planledger_events_appended_total{kind="plan"}.
func scrape(t *testing.T, base string) map[string]float64 {
	t.Helper()
	r := call(t, "GET", base+"/metrics", nil, "")
	wantStatus(t, r, 200)
	parser := expfmt.NewTextParser(model.UTF8Validation)
	families, err := parser.TextToMetricFamilies(bytes.NewReader(r.body))
	if err != nil {
		t.Fatalf("parse /metrics: %v", err)
	}
	out := map[string]float64{}
	for name, family := range families {
		for _, m := range family.GetMetric() {
			key := name
			if labels := m.GetLabel(); len(labels) > 0 {
				var parts []string
				for _, l := range labels {
					parts = append(parts, l.GetName()+"="+strconv.Quote(l.GetValue()))
				}
				key += "{" + strings.Join(parts, ",") + "}"
			}
			switch {
			case m.Gauge != nil:
				out[key] = m.Gauge.GetValue()
			case m.Counter != nil:
				out[key] = m.Counter.GetValue()
			}
		}
	}
	return out
}

func TestMetricsEndToEnd(t *testing.T) {
	dir := t.TempDir()
	srv, base := testServer(t, dir)
	defer srv.Close(context.Background())

	ready := call(t, "GET", base+"/readyz", nil, "")
	wantStatus(t, ready, 200)
	applied := ready.json(t)["applied_stream_sequence"].(float64)
	m := scrape(t, base)
	if m["planledger_store_up"] != 1 {
		t.Errorf("planledger_store_up = %v, want 1", m["planledger_store_up"])
	}
	if m["planledger_projection_lag_events"] != 0 {
		t.Errorf("planledger_projection_lag_events = %v, want 0 on an idle server", m["planledger_projection_lag_events"])
	}
	if got := m["planledger_stream_last_sequence"]; got != applied || got == 0 {
		t.Errorf("planledger_stream_last_sequence = %v, want the %v events /readyz reports applied", got, applied)
	}
	if got := m["planledger_projection_applied_sequence"]; got != applied {
		t.Errorf("planledger_projection_applied_sequence = %v, want %v", got, applied)
	}
	var appliedTotal float64
	for series, v := range m {
		if strings.HasPrefix(series, "planledger_projection_events_applied_total{") {
			appliedTotal += v
		}
	}
	if appliedTotal != applied {
		t.Errorf("planledger_projection_events_applied_total sums to %v, want the %v events applied in this fresh store", appliedTotal, applied)
	}

	before := m[`planledger_events_appended_total{kind="level"}`]
	body := `{"level": 2, "reason": "metrics test", "source": "test"}`
	dept := signIn(t, dir, domain.RoleDepartment, "", "dese-metrics")
	wantStatus(t, call(t, "POST", base+"/v1/orgs/"+newburyportHigh+"/levels", dept, body), 201)
	after := scrape(t, base)
	if got := after[`planledger_events_appended_total{kind="level"}`]; got != before+1 {
		t.Errorf("appended level events went from %v to %v, want one more", before, got)
	}
	if got := after[`planledger_http_requests_total{method="POST",route="/v1/orgs/{code}/levels",status="201"}`]; got != 1 {
		t.Errorf("POST level requests counted %v, want 1", got)
	}

	// A wrong plan id fails the load test before any attack starts.
	var out bytes.Buffer
	err := runLoadTest(context.Background(), []string{"-url", base, "-plan", "00000000-0000-4000-8000-000000000000", "-duration", "1s"}, &out)
	if err == nil || !strings.Contains(err.Error(), "returned 404") {
		t.Errorf("load test of an unknown plan: err %v, want one naming the 404", err)
	}
}

func TestLoadTestSmoke(t *testing.T) {
	var out bytes.Buffer
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	if err := runLoadTest(ctx, []string{"-duration", "1s", "-connections", "4"}, &out); err != nil {
		t.Fatalf("loadtest: %v\n%s", err, out.String())
	}
	report := out.String()
	for _, attack := range []string{"plan read", "liveness"} {
		// A row is the attack's name, then requests, success, throughput,
		// bytes per response, p50, p99 and max.
		var row []string
		for _, line := range strings.Split(report, "\n") {
			rest, ok := strings.CutPrefix(strings.TrimSpace(line), attack+" ")
			fields := strings.Fields(rest)
			if ok && len(fields) == 7 && strings.Trim(fields[0], "0123456789") == "" {
				row = fields
			}
		}
		if row == nil {
			t.Errorf("report has no %s row:\n%s", attack, report)
			continue
		}
		if row[0] == "0" {
			t.Errorf("%s made %s requests, want some", attack, row[0])
		}
		if row[1] != "100.00%" {
			t.Errorf("%s success %s, want 100.00%%", attack, row[1])
		}
	}
	for _, want := range []string{"plan read / liveness: p99", "CPUs", "go1."} {
		if !strings.Contains(report, want) {
			t.Errorf("report lacks %q:\n%s", want, report)
		}
	}
}
