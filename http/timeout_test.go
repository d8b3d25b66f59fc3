package http_test

import (
	"bufio"
	"context"
	"errors"
	"io"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/planledger/planledger/auth"
	"github.com/planledger/planledger/commands"
	"github.com/planledger/planledger/domain"
	plhttp "github.com/planledger/planledger/http"
	"github.com/planledger/planledger/projections"
)

// openServer starts a server on a loopback port with short read and write
// timeouts and the two Newburyport orgs.
func openServer(t *testing.T) string {
	t.Helper()
	logger := slog.New(slog.DiscardHandler)
	read := projections.New(logger)
	service := commands.New(newMemoryStore(read), read)
	for _, org := range []domain.Org{
		{Code: "02040000", Type: domain.OrgDistrict, Name: "Newburyport", DistrictCode: "02040000"},
		{Code: "02040505", Type: domain.OrgSchool, Name: "Newburyport High", DistrictCode: "02040000", GradeSpan: "09-12"},
	} {
		if _, err := service.RegisterOrg(context.Background(), commands.Meta{Actor: "timeout-test"}, org); err != nil {
			t.Fatalf("register org %s: %v", org.Code, err)
		}
	}
	verifier, err := auth.NewHMACVerifier(testSecret)
	if err != nil {
		t.Fatal(err)
	}
	server := plhttp.NewServer(plhttp.Config{Commands: service, Read: read, Auth: verifier, Logger: logger,
		ReadTimeout: time.Second, WriteTimeout: time.Second})
	if err := server.Open("127.0.0.1:0"); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { server.Close(context.Background()) })
	return server.URL()
}

// A client that announces a body and stops sending it loses the
// connection once the read timeout passes.
func TestServerClosesStalledBody(t *testing.T) {
	base := openServer(t)
	conn, err := net.Dial("tcp", strings.TrimPrefix(base, "http://"))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	_, err = io.WriteString(conn, "POST /v1/reviews HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"+
		"Content-Length: 100000\r\n\r\n{\"a\":")
	if err != nil {
		t.Fatal(err)
	}
	// The deadline only keeps a broken server from hanging the test.
	if err := conn.SetReadDeadline(time.Now().Add(30 * time.Second)); err != nil {
		t.Fatal(err)
	}
	_, err = io.ReadAll(conn)
	var netErr net.Error
	if errors.As(err, &netErr) && netErr.Timeout() {
		t.Fatal("the server kept a stalled request body open for 30 s")
	}
}

// The level-change stream outlives the server's read and write timeouts.
func TestLevelStreamOutlivesTimeouts(t *testing.T) {
	base := openServer(t)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, base+"/v1/level-changes/stream", nil)
	if err != nil {
		t.Fatal(err)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("GET stream: %v", err)
	}
	defer resp.Body.Close()
	time.Sleep(1500 * time.Millisecond) // past both timeouts

	token, err := auth.Sign(testSecret, domain.Principal{Subject: "dese-staff", Role: domain.RoleDepartment}, time.Hour, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	change, err := http.NewRequest(http.MethodPost, base+"/v1/orgs/02040505/levels", strings.NewReader(
		`{"level":1,"reason":"Meeting gap narrowing goals","source":"DESE school profile","effective_date":"2017-09-30"}`))
	if err != nil {
		t.Fatal(err)
	}
	change.Header.Set("Authorization", "Bearer "+token)
	change.Header.Set("Content-Type", "application/json")
	changed, err := http.DefaultClient.Do(change)
	if err != nil {
		t.Fatal(err)
	}
	changed.Body.Close()
	if changed.StatusCode != http.StatusCreated {
		t.Fatalf("level change: status %d, want 201", changed.StatusCode)
	}

	lines := bufio.NewScanner(resp.Body)
	for lines.Scan() {
		if strings.HasPrefix(lines.Text(), "event: ") {
			if got := strings.TrimPrefix(lines.Text(), "event: "); got != domain.TypeLevelChanged {
				t.Errorf("stream event = %q, want %s", got, domain.TypeLevelChanged)
			}
			return
		}
	}
	t.Fatalf("the stream ended before the level change arrived: %v", lines.Err())
}
