package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"runtime"
	"strings"
	"text/tabwriter"
	"time"

	vegeta "github.com/tsenart/vegeta/v12/lib"
)

// newburyportHighSIP is the bundled Newburyport High SIP, the default plan
// the load test reads.
const newburyportHighSIP = "ccd8efb0-355b-4a03-b9c1-f61e175e6d81"

// planReadGoal is the p99 latency the plan read should stay under.
const planReadGoal = 5 * time.Millisecond

// loadTestOptions are the flags of planledger loadtest.
type loadTestOptions struct {
	url         string
	duration    time.Duration
	connections int
	plan        string
	gzip        bool
	rate        int // requests per second; 0 runs a closed loop
}

// runLoadTest reads one plan and /livez as fast as the given number of
// connections allow, one after the other, and prints the latency and
// throughput of each. Without -url it starts a server on loopback with the
// bundled data in a temporary folder, in this process.
func runLoadTest(ctx context.Context, args []string, stdout io.Writer) error {
	fs := flag.NewFlagSet("loadtest", flag.ContinueOnError)
	var opts loadTestOptions
	fs.StringVar(&opts.url, "url", "",
		"base URL of a running server, such as http://127.0.0.1:8080; empty starts one on loopback with the bundled data in a temporary folder")
	fs.DurationVar(&opts.duration, "duration", 10*time.Second, "how long each of the two attacks runs, such as 10s")
	fs.IntVar(&opts.connections, "connections", 200,
		"concurrent connections; without -rate each sends its next request as soon as the last one is answered")
	fs.StringVar(&opts.plan, "plan", newburyportHighSIP, "id of the plan to read")
	fs.BoolVar(&opts.gzip, "gzip", false, "send Accept-Encoding: gzip, so responses of 1 KiB or more come compressed")
	fs.IntVar(&opts.rate, "rate", 0,
		"requests per second sent whether or not earlier ones were answered, from up to -connections connections; 0 sends as fast as the connections allow")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if opts.duration <= 0 {
		return fmt.Errorf("invalid -duration %s: use a positive duration such as 10s", opts.duration)
	}
	if opts.connections < 1 {
		return fmt.Errorf("invalid -connections %d: use 1 or more", opts.connections)
	}
	if opts.rate < 0 {
		return fmt.Errorf("invalid -rate %d: use 0 for a closed loop or a positive number of requests per second", opts.rate)
	}

	base := strings.TrimRight(opts.url, "/")
	if base == "" {
		url, stop, err := startLoadTestServer(ctx)
		if err != nil {
			return err
		}
		defer stop()
		base = url
	}
	return loadTest(ctx, base, opts, stdout)
}

// startLoadTestServer starts a server with the bundled data in a temporary
// folder. Its request log is formatted as in production but discarded, so
// the measurement includes the logging work without filling the terminal.
func startLoadTestServer(ctx context.Context) (string, func(), error) {
	dir, err := os.MkdirTemp("", "planledger-loadtest-")
	if err != nil {
		return "", nil, fmt.Errorf("create the load test's data folder: %w", err)
	}
	cfg := Config{DataDir: dir, Listen: "127.0.0.1:0", NATSListen: "127.0.0.1:-1", Replicas: 1,
		SyncAlways: true, Bundled: true, LogLevel: "info", LogFormat: "json", Shutdown: 10 * time.Second, ReadyMaxLag: 1000}
	log := slog.New(slog.NewJSONHandler(io.Discard, nil))
	srv, err := startServer(ctx, cfg, log)
	if err != nil {
		_ = os.RemoveAll(dir)
		return "", nil, fmt.Errorf("start the server to load: %w", err)
	}
	stop := func() {
		shutdown, cancel := context.WithTimeout(context.Background(), cfg.Shutdown)
		defer cancel()
		if err := srv.Close(shutdown); err != nil {
			fmt.Fprintln(os.Stderr, "planledger loadtest: stop server:", err)
		}
		_ = os.RemoveAll(dir)
	}
	return srv.http.URL(), stop, nil
}

// attackResult is one attack's name and vegeta's summary of it.
type attackResult struct {
	name    string
	metrics vegeta.Metrics
}

func loadTest(ctx context.Context, base string, opts loadTestOptions, stdout io.Writer) error {
	header := http.Header{"Accept-Encoding": []string{"identity"}}
	if opts.gzip {
		header.Set("Accept-Encoding", "gzip")
	}
	targets := []struct{ name, url string }{
		{"plan read", base + "/v1/plans/" + opts.plan},
		{"liveness", base + "/livez"},
	}
	for _, target := range targets {
		if err := checkTarget(ctx, target.url, header); err != nil {
			return err
		}
	}

	printMachine(stdout, base, opts)
	var results []attackResult
	for _, target := range targets {
		m, err := attack(ctx, target.name, vegeta.Target{Method: http.MethodGet, URL: target.url, Header: header}, opts)
		if err != nil {
			return err
		}
		results = append(results, attackResult{name: target.name, metrics: m})
	}
	printResults(stdout, results)

	var failed []string
	for _, r := range results {
		if r.metrics.Success < 1 {
			failed = append(failed, fmt.Sprintf("%s: %.2f%% of requests succeeded; status codes %v; errors %v",
				r.name, 100*r.metrics.Success, r.metrics.StatusCodes, r.metrics.Errors))
		}
	}
	if len(failed) > 0 {
		return errors.New(strings.Join(failed, "; "))
	}
	return nil
}

// checkTarget fails early, with the server's response, when a target does
// not return 200, because a wrong plan id would otherwise show only as
// failed requests.
func checkTarget(ctx context.Context, url string, header http.Header) error {
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return fmt.Errorf("invalid target %s: %w", url, err)
	}
	req.Header = header.Clone()
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return fmt.Errorf("GET %s failed: %w; is the server running?", url, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		body, _ := io.ReadAll(io.LimitReader(resp.Body, 1024))
		return fmt.Errorf("GET %s returned %d, want 200: %s", url, resp.StatusCode, body)
	}
	return nil
}

// attack sends requests to target for opts.duration. Without a rate,
// opts.connections workers each send the next request when the last
// response arrives. With one, requests go out at that rate from up to
// opts.connections workers, so latency is measured at a given load rather
// than at saturation.
func attack(ctx context.Context, name string, target vegeta.Target, opts loadTestOptions) (vegeta.Metrics, error) {
	n := uint64(opts.connections)
	attacker := vegeta.NewAttacker(vegeta.Workers(n), vegeta.MaxWorkers(n),
		vegeta.Connections(opts.connections), vegeta.MaxConnections(opts.connections), vegeta.KeepAlive(true))
	// A zero rate means as fast as the workers go, which with a fixed
	// number of workers is a closed loop of that many connections.
	rate := vegeta.Rate{}
	if opts.rate > 0 {
		rate = vegeta.Rate{Freq: opts.rate, Per: time.Second}
		attacker = vegeta.NewAttacker(vegeta.Workers(1), vegeta.MaxWorkers(n),
			vegeta.Connections(opts.connections), vegeta.MaxConnections(opts.connections), vegeta.KeepAlive(true))
	}
	results := attacker.Attack(vegeta.NewStaticTargeter(target), rate, opts.duration, name)
	var m vegeta.Metrics
	for {
		select {
		case <-ctx.Done():
			attacker.Stop()
			for range results {
			}
			return m, ctx.Err()
		case res, open := <-results:
			if !open {
				m.Close()
				return m, nil
			}
			m.Add(res)
		}
	}
}

// printMachine prints what the numbers depend on: CPUs, load, Go version
// and the options.
func printMachine(w io.Writer, base string, opts loadTestOptions) {
	load := "unknown"
	if raw, err := os.ReadFile("/proc/loadavg"); err == nil {
		load = strings.Join(strings.Fields(string(raw))[:3], " ")
	}
	pace := "as fast as the connections allow"
	if opts.rate > 0 {
		pace = fmt.Sprintf("%d requests/s", opts.rate)
	}
	fmt.Fprintf(w, "target %s, %d connections, %s, %s per attack, Accept-Encoding %s\n",
		base, opts.connections, pace, opts.duration, map[bool]string{false: "identity", true: "gzip"}[opts.gzip])
	fmt.Fprintf(w, "CPUs %d (GOMAXPROCS %d), load average %s before the run, %s %s/%s\n\n",
		runtime.NumCPU(), runtime.GOMAXPROCS(0), load, runtime.Version(), runtime.GOOS, runtime.GOARCH)
}

func printResults(w io.Writer, results []attackResult) {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "attack\trequests\tsuccess\tthroughput/s\tbytes/response\tp50\tp99\tmax\t")
	for _, r := range results {
		m := r.metrics
		fmt.Fprintf(tw, "%s\t%d\t%.2f%%\t%.0f\t%.0f\t%s\t%s\t%s\t\n", r.name, m.Requests, 100*m.Success, m.Throughput,
			m.BytesIn.Mean, round(m.Latencies.P50), round(m.Latencies.P99), round(m.Latencies.Max))
	}
	_ = tw.Flush()
	if len(results) == 2 && results[1].metrics.Latencies.P99 > 0 && results[1].metrics.Throughput > 0 {
		plan, live := results[0].metrics, results[1].metrics
		fmt.Fprintf(w, "\nplan read / liveness: p99 %.1fx, throughput %.2fx\n",
			float64(plan.Latencies.P99)/float64(live.Latencies.P99), plan.Throughput/live.Throughput)
		verdict := "met"
		if plan.Latencies.P99 >= planReadGoal {
			verdict = "not met"
		}
		fmt.Fprintf(w, "goal: plan read p99 under %s: %s (p99 %s)\n", planReadGoal, verdict, round(plan.Latencies.P99))
	}
}

func round(d time.Duration) time.Duration {
	switch {
	case d >= time.Second:
		return d.Round(time.Millisecond)
	case d >= time.Millisecond:
		return d.Round(10 * time.Microsecond)
	default:
		return d.Round(time.Microsecond)
	}
}
