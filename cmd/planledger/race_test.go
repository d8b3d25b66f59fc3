package main

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"testing"

	"github.com/planledger/planledger/domain"
)

// Sixteen writers state the same plan version each round: exactly one edit
// is stored and every other writer gets 409 naming the version that won.
func TestRacingWritersOneWinner(t *testing.T) {
	const writers, rounds = 16, 100
	dir := t.TempDir()
	srv, base := testServer(t, dir)
	defer srv.Close(context.Background())
	sipID := "ccd8efb0-355b-4a03-b9c1-f61e175e6d81"
	url := base + "/v1/plans/" + sipID + "/sections/other"
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: writers}}

	version := call(t, "GET", base+"/v1/plans/"+sipID, nil, "").json(t)["version"].(float64)
	tokens := make([]string, writers)
	for w := range tokens {
		tokens[w] = signIn(t, dir, domain.RoleSchoolEditor, newburyportHigh, fmt.Sprintf("writer-%d", w))["Authorization"]
	}
	for round := 0; round < rounds; round++ {
		statuses := make([]int, writers)
		currents := make([]float64, writers)
		var wg sync.WaitGroup
		start := make(chan struct{})
		for w := 0; w < writers; w++ {
			wg.Add(1)
			go func(w int) {
				defer wg.Done()
				<-start
				body := fmt.Sprintf(`{"expected_sequence": %.0f, "text": "round %d by writer %d"}`, version, round, w)
				req, _ := http.NewRequest("PUT", url, strings.NewReader(body))
				req.Header.Set("Content-Type", "application/json")
				req.Header.Set("Authorization", tokens[w])
				resp, err := client.Do(req)
				if err != nil {
					t.Errorf("round %d writer %d: %v", round, w, err)
					return
				}
				defer resp.Body.Close()
				statuses[w] = resp.StatusCode
				var problem struct {
					CurrentSequence float64 `json:"current_sequence"`
				}
				if resp.StatusCode == http.StatusConflict {
					_ = json.NewDecoder(resp.Body).Decode(&problem)
					currents[w] = problem.CurrentSequence
				}
			}(w)
		}
		close(start)
		wg.Wait()

		winners := 0
		for w, status := range statuses {
			switch status {
			case http.StatusOK:
				winners++
			case http.StatusConflict:
				if currents[w] != version+1 {
					t.Errorf("round %d writer %d: current_sequence %v, want %v", round, w, currents[w], version+1)
				}
			default:
				t.Errorf("round %d writer %d: status %d, want 200 or 409", round, w, status)
			}
		}
		if winners != 1 {
			t.Fatalf("round %d: %d writers won, want exactly 1", round, winners)
		}
		version++
	}

	// The history holds exactly one edit per round, in order.
	items := call(t, "GET", base+"/v1/plans/"+sipID+"/history", nil, "").json(t)["items"].([]any)
	edits := 0
	for _, item := range items {
		if item.(map[string]any)["type"] == "plan.section_revised" {
			edits++
		}
	}
	if edits != rounds {
		t.Errorf("history has %d section edits, want %d", edits, rounds)
	}
}
