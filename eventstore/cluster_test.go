package eventstore_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go"

	"github.com/planledger/planledger/domain"
	"github.com/planledger/planledger/eventstore"
)

// Bounds of the cluster failover test.
const (
	clusterSize = 3
	// clusterStartTimeout bounds the wait for a meta leader, for a stream
	// leader and for a restarted node to catch up.
	clusterStartTimeout = 30 * time.Second
	// failoverWriters each append to their own plan aggregate.
	failoverWriters = 4
	// eventsBeforeFailover is how many acknowledged events the writers
	// store before the stream leader is shut down.
	eventsBeforeFailover = 300
	// eventsAfterFailover is how many acknowledged events each writer must
	// store after the shutdown.
	eventsAfterFailover = 25
	// failoverResumeTimeout bounds the wait for every writer to store
	// eventsAfterFailover events after the leader's shutdown.
	failoverResumeTimeout = 20 * time.Second
	// appendAttemptTimeout bounds one Append call of a writer, which then
	// retries with the same event id.
	appendAttemptTimeout = 2 * time.Second
	// writerTimeout bounds a writer's whole run, retries included.
	writerTimeout = 60 * time.Second
	// loadRecoveryTimeout bounds the wait for Load to work again after the
	// leader stopped or the restarted node took over.
	loadRecoveryTimeout = 60 * time.Second
)

// TestClusterLeaderFailover shuts down the stream leader of a three-node
// in-process cluster under a steady append load. nats-server's Shutdown
// steps down the raft groups it leads before it stops, so this is an
// orderly handover.
func TestClusterLeaderFailover(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a three-node cluster and runs for about 10 seconds")
	}
	started := time.Now()
	cluster := startTestCluster(t, clusterSize, "")
	t.Logf("cluster of %d formed in %s", clusterSize, time.Since(started).Round(time.Millisecond))
	runLeaderFailover(t, cluster, "shut down")
	t.Logf("test ran %s", time.Since(started).Round(time.Millisecond))
}

// TestClusterLeaderKilled runs each node as a nats-server process and kills
// the stream leader with SIGKILL under a steady append load, so the leader
// neither steps down nor flushes anything first.
func TestClusterLeaderKilled(t *testing.T) {
	if testing.Short() {
		t.Skip("builds nats-server, starts a three-process cluster and runs for about 15 seconds")
	}
	started := time.Now()
	bin := buildNATSServer(t)
	cluster := startTestCluster(t, clusterSize, bin)
	t.Logf("built nats-server and started %d processes in %s", clusterSize, time.Since(started).Round(time.Millisecond))
	runLeaderFailover(t, cluster, "killed")
	t.Logf("test ran %s", time.Since(started).Round(time.Millisecond))
}

// runLeaderFailover stops the stream leader after eventsBeforeFailover
// acknowledged appends. Writes must resume on a new leader within
// failoverResumeTimeout, and every acknowledged event must be stored exactly
// once, also on the restarted node once it leads again. stopped names how
// the cluster stops a node, for the log.
func runLeaderFailover(t *testing.T, cluster *testCluster, stopped string) {
	nc, err := nats.Connect(cluster.clientURLs(),
		nats.MaxReconnects(-1), nats.ReconnectWait(50*time.Millisecond))
	if err != nil {
		t.Fatalf("connect to %s: %v", cluster.clientURLs(), err)
	}
	t.Cleanup(nc.Close)
	store := openReplicatedStore(t, nc)
	leader := cluster.waitForStreamLeader(t, nc)
	t.Logf("stream leader is %s", leader.name)

	writersCtx, cancelWriters := context.WithTimeout(context.Background(), writerTimeout)
	defer cancelWriters()
	stop := make(chan struct{})
	writers := make([]*failoverWriter, failoverWriters)
	errs := make(chan error, failoverWriters)
	var wg sync.WaitGroup
	for i := range writers {
		writers[i] = &failoverWriter{aggregateID: "failover-writer-" + strconv.Itoa(i+1)}
		wg.Go(func() { errs <- writers[i].run(writersCtx, store, stop) })
	}
	stopWriters := sync.OnceFunc(func() {
		close(stop)
		wg.Wait()
		close(errs)
	})
	// When the test fails early, the writers give up their retries and stop
	// before the cluster does.
	defer func() {
		cancelWriters()
		stopWriters()
	}()

	waitForCluster(t, 20*time.Second, fmt.Sprintf("%d acknowledged events before the failover", eventsBeforeFailover),
		func() bool { return totalAcknowledged(writers) >= eventsBeforeFailover })
	stoppedAt := time.Now()
	ackedBeforeStop := totalAcknowledged(writers)
	cluster.stopNode(leader)
	t.Logf("%s stream leader %s after %d acknowledged events", stopped, leader.name, ackedBeforeStop)

	deadline := stoppedAt.Add(failoverResumeTimeout)
	for !allResumed(writers, stoppedAt, eventsAfterFailover) {
		if time.Now().After(deadline) {
			for _, w := range writers {
				t.Errorf("writer %s: %d events acknowledged after the leader stopped", w.aggregateID, w.ackedSince(stoppedAt))
			}
			t.Fatalf("writes did not resume: each writer needs %d acknowledged events within %s of the leader's stop",
				eventsAfterFailover, failoverResumeTimeout)
		}
		time.Sleep(20 * time.Millisecond)
	}
	for _, w := range writers {
		resumed := w.firstAckSince(stoppedAt).Sub(stoppedAt).Round(time.Millisecond)
		t.Logf("writer %s resumed %s after the leader stopped", w.aggregateID, resumed)
	}

	stopWriters()
	for err := range errs {
		if err != nil {
			t.Error(err)
		}
	}
	if t.Failed() {
		t.FailNow()
	}
	for _, w := range writers {
		w.mu.Lock()
		t.Logf("writer %s: %d events acknowledged, %d of them after a retry", w.aggregateID, len(w.acked), w.retried)
		w.mu.Unlock()
	}
	newLeader := cluster.waitForStreamLeader(t, nc)
	t.Logf("new stream leader is %s, and %d events were acknowledged in all", newLeader.name, totalAcknowledged(writers))
	waitForLoads(t, store, writers, stoppedAt)
	assertAcknowledgedStoredOnce(t, store, writers)

	// The restarted node must catch up. While it leads, the reads that the
	// leader serves (last message, stream info, consumers) come from its copy.
	restartedAt := time.Now()
	cluster.startNode(t, leader)
	cluster.waitForStreamCurrent(t, nc, leader)
	caughtUp := time.Since(restartedAt).Round(time.Millisecond)
	cluster.moveStreamLeader(t, nc, leader)
	t.Logf("restarted %s caught up in %s and leads the stream again after %s",
		leader.name, caughtUp, time.Since(restartedAt).Round(time.Millisecond))
	waitForLoads(t, store, writers, restartedAt)
	assertAcknowledgedStoredOnce(t, store, writers)
}

// failoverWriter appends events to one plan aggregate, one after another,
// and records each event that Append acknowledged.
type failoverWriter struct {
	aggregateID string

	mu      sync.Mutex
	acked   []acknowledgedEvent // in aggregate sequence order
	retried int                 // events that needed more than one Append call
}

type acknowledgedEvent struct {
	id        string
	streamSeq uint64
	at        time.Time
}

// run appends until stop is closed. An Append that fails is retried with
// the same event id and expected sequence until it succeeds, so each
// recorded event was acknowledged and each attempted event is resolved.
func (w *failoverWriter) run(ctx context.Context, store *eventstore.Store, stop <-chan struct{}) error {
	for expected := uint64(0); ; expected++ {
		select {
		case <-stop:
			return nil
		default:
		}
		id, err := uuid.NewV7()
		if err != nil {
			return fmt.Errorf("writer %s: generate event id: %w", w.aggregateID, err)
		}
		req := domain.AppendRequest{
			AggregateKind:    domain.KindPlan,
			AggregateID:      w.aggregateID,
			ExpectedSequence: expected,
			Draft: domain.Draft{
				Type:    domain.TypePlanRetitled,
				Payload: map[string]any{"title": fmt.Sprintf("%s title %d", w.aggregateID, expected+1)},
			},
			Metadata: domain.Metadata{Actor: "failover-test", EventID: id.String()},
		}
		event, attempts, err := appendUntilAcknowledged(ctx, store, req)
		if err != nil {
			return err
		}
		w.mu.Lock()
		w.acked = append(w.acked, acknowledgedEvent{id: event.ID, streamSeq: event.StreamSequence, at: time.Now()})
		if attempts > 1 {
			w.retried++
		}
		w.mu.Unlock()
	}
}

// appendUntilAcknowledged retries req until Append succeeds or ctx ends,
// and returns the stored event with the number of Append calls. A conflict that reports a later sequence is an error, because only this
// writer appends to the aggregate and Append returns the stored event when
// an earlier attempt already stored it.
func appendUntilAcknowledged(ctx context.Context, store *eventstore.Store, req domain.AppendRequest) (domain.Event, int, error) {
	eventID := req.Metadata.EventID
	for attempt := 1; ; attempt++ {
		attemptCtx, cancel := context.WithTimeout(ctx, appendAttemptTimeout)
		event, err := store.Append(attemptCtx, req)
		cancel()
		if err == nil {
			if event.ID != eventID || event.Sequence != req.ExpectedSequence+1 {
				return event, attempt, fmt.Errorf("writer %s: Append of event %s after sequence %d returned event %s with sequence %d",
					req.AggregateID, eventID, req.ExpectedSequence, event.ID, event.Sequence)
			}
			return event, attempt, nil
		}
		var conflict *domain.ConflictError
		if errors.As(err, &conflict) && conflict.Current > req.ExpectedSequence {
			return event, attempt, fmt.Errorf("writer %s: aggregate is at sequence %d without event %s, which attempt %d expected at %d: %w",
				req.AggregateID, conflict.Current, eventID, attempt, req.ExpectedSequence+1, err)
		}
		if ctx.Err() != nil {
			return event, attempt, fmt.Errorf("writer %s: event %s after sequence %d not acknowledged after %d attempts: %w",
				req.AggregateID, eventID, req.ExpectedSequence, attempt, err)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func (w *failoverWriter) snapshot() []acknowledgedEvent {
	w.mu.Lock()
	defer w.mu.Unlock()
	return append([]acknowledgedEvent(nil), w.acked...)
}

// ackedSince counts the events acknowledged after t.
func (w *failoverWriter) ackedSince(t time.Time) int {
	n := 0
	for _, e := range w.snapshot() {
		if e.at.After(t) {
			n++
		}
	}
	return n
}

// firstAckSince returns when the first event after t was acknowledged, or
// the zero time when none was.
func (w *failoverWriter) firstAckSince(t time.Time) time.Time {
	for _, e := range w.snapshot() {
		if e.at.After(t) {
			return e.at
		}
	}
	return time.Time{}
}

func totalAcknowledged(writers []*failoverWriter) int {
	total := 0
	for _, w := range writers {
		total += len(w.snapshot())
	}
	return total
}

func allResumed(writers []*failoverWriter, since time.Time, n int) bool {
	for _, w := range writers {
		if w.ackedSince(since) < n {
			return false
		}
	}
	return true
}

// waitForLoads retries Load of each writer's aggregate until it succeeds or
// loadRecoveryTimeout passes, and logs how long after since Load worked
// again. Load reads through an ordered consumer, and creating a consumer
// needs the JetStream meta leader, which the stopped node may have been.
// Append needs only the stream leader, so it can recover first.
func waitForLoads(t *testing.T, store *eventstore.Store, writers []*failoverWriter, since time.Time) {
	t.Helper()
	deadline := time.Now().Add(loadRecoveryTimeout)
	for _, w := range writers {
		for attempt := 1; ; attempt++ {
			ctx, cancel := context.WithTimeout(context.Background(), appendAttemptTimeout)
			_, err := store.Load(ctx, domain.KindPlan, w.aggregateID)
			cancel()
			if err == nil {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("Load %s still failed %s after the cluster change, on attempt %d: %v",
					w.aggregateID, time.Since(since).Round(time.Millisecond), attempt, err)
			}
			time.Sleep(100 * time.Millisecond)
		}
	}
	t.Logf("Load works %s after the cluster change", time.Since(since).Round(time.Millisecond))
}

// assertAcknowledgedStoredOnce loads each writer's aggregate and checks
// that it contains exactly the acknowledged events, in order, and that the
// stream contains nothing else.
func assertAcknowledgedStoredOnce(t *testing.T, store *eventstore.Store, writers []*failoverWriter) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), clusterStartTimeout)
	defer cancel()
	seen := map[string]string{} // event id to aggregate id
	var total uint64
	for _, w := range writers {
		acked := w.snapshot()
		total += uint64(len(acked))
		events, err := store.Load(ctx, domain.KindPlan, w.aggregateID)
		if err != nil {
			t.Errorf("Load %s: %v", w.aggregateID, err)
			continue
		}
		if len(events) != len(acked) {
			t.Errorf("aggregate %s stores %d events, want the %d acknowledged", w.aggregateID, len(events), len(acked))
		}
		for i, event := range events {
			if other, dup := seen[event.ID]; dup {
				t.Errorf("event %s is stored twice, in %s and in %s at sequence %d", event.ID, other, w.aggregateID, event.Sequence)
			}
			seen[event.ID] = w.aggregateID
			if want := uint64(i) + 1; event.Sequence != want {
				t.Errorf("aggregate %s: event %d has sequence %d, want %d", w.aggregateID, i, event.Sequence, want)
			}
			if i >= len(acked) {
				continue
			}
			if event.ID != acked[i].id {
				t.Errorf("aggregate %s sequence %d is event %s, want acknowledged event %s",
					w.aggregateID, event.Sequence, event.ID, acked[i].id)
			}
			if event.StreamSequence != acked[i].streamSeq {
				t.Errorf("aggregate %s sequence %d is at stream sequence %d, Append acknowledged %d",
					w.aggregateID, event.Sequence, event.StreamSequence, acked[i].streamSeq)
			}
		}
	}
	last, err := store.LastSequence(ctx)
	if err != nil {
		t.Fatalf("LastSequence: %v", err)
	}
	if last != total {
		t.Errorf("LastSequence = %d, want %d, the number of acknowledged events", last, total)
	}
}

// openReplicatedStore opens the event store with three replicas. The meta
// leader may still be placing peers right after the cluster forms, so a
// failed Open is retried until clusterStartTimeout.
func openReplicatedStore(t *testing.T, nc *nats.Conn) *eventstore.Store {
	t.Helper()
	deadline := time.Now().Add(clusterStartTimeout)
	for {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		store, err := eventstore.Open(ctx, nc, eventstore.StoreConfig{Replicas: clusterSize})
		cancel()
		if err == nil {
			return store
		}
		if time.Now().After(deadline) {
			t.Fatalf("Open with %d replicas: %v", clusterSize, err)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// testCluster is a JetStream cluster of servers on loopback, either in this
// process or, when serverBinary is set, each in a nats-server process.
type testCluster struct {
	name         string
	nodes        []*clusterNode
	serverBinary string
	configDir    string // configuration and log files of the processes
}

// clusterNode is one server of a testCluster, with what it needs to restart
// on the same ports and store directory.
type clusterNode struct {
	name        string
	storeDir    string
	clientPort  int
	clusterPort int

	mu      sync.Mutex
	server  *server.Server // the in-process server, nil while stopped
	process *exec.Cmd      // the nats-server process, nil while stopped
}

func (node *clusterNode) running() bool {
	node.mu.Lock()
	defer node.mu.Unlock()
	return node.server != nil || node.process != nil
}

// startTestCluster starts n servers that route to each other, in process
// when serverBinary is empty and otherwise as processes of that binary.
// For an in-process cluster it also waits until a meta leader counts all n
// servers as current peers. Every server is stopped in t.Cleanup.
func startTestCluster(t *testing.T, n int, serverBinary string) *testCluster {
	t.Helper()
	// nats-server v2.15.3 starts JetStream clustering only with at least one
	// configured route, so every port must be known before the first start.
	ports := freeLoopbackPorts(t, 2*n)
	cluster := &testCluster{name: "planledger-test", serverBinary: serverBinary, configDir: t.TempDir()}
	for i := range n {
		cluster.nodes = append(cluster.nodes, &clusterNode{
			name:        fmt.Sprintf("node-%d", i+1),
			storeDir:    t.TempDir(),
			clientPort:  ports[2*i],
			clusterPort: ports[2*i+1],
		})
	}
	t.Cleanup(func() {
		for _, node := range cluster.nodes {
			cluster.stopNode(node)
		}
		if t.Failed() && serverBinary != "" {
			cluster.logServerOutput(t)
		}
	})
	for _, node := range cluster.nodes {
		cluster.startNode(t, node)
	}
	// The meta group of separate processes is not visible from here. Their
	// readiness shows when openReplicatedStore places three replicas.
	if serverBinary == "" {
		cluster.waitForMetaLeader(t)
	}
	return cluster
}

// freeLoopbackPorts returns n distinct TCP ports that were free on
// 127.0.0.1 a moment ago.
//
// NOTE: another process can take a port between this check and the
// server's listen, which fails the start with an address-in-use error.
func freeLoopbackPorts(t *testing.T, n int) []int {
	t.Helper()
	var ports []int
	for range n {
		listener, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatalf("find a free loopback port: %v", err)
		}
		// The listener stays open until all ports are picked, so the ports differ.
		defer listener.Close()
		ports = append(ports, listener.Addr().(*net.TCPAddr).Port)
	}
	return ports
}

func (c *testCluster) routeURLs() []string {
	var routes []string
	for _, node := range c.nodes {
		routes = append(routes, fmt.Sprintf("nats-route://127.0.0.1:%d", node.clusterPort))
	}
	return routes
}

func (c *testCluster) options(node *clusterNode) *server.Options {
	return &server.Options{
		ServerName:         node.name,
		Host:               "127.0.0.1",
		Port:               node.clientPort,
		JetStream:          true,
		StoreDir:           node.storeDir,
		JetStreamMaxMemory: 64 << 20,
		JetStreamMaxStore:  1 << 30,
		Cluster: server.ClusterOpts{
			Name: c.name,
			Host: "127.0.0.1",
			Port: node.clusterPort,
		},
		// nats-server closes the route that a node opens to itself.
		Routes: server.RoutesFromStr(strings.Join(c.routeURLs(), ",")),
		NoLog:  true,
		NoSigs: true,
	}
}

// config returns the nats-server configuration file text equal to options.
func (c *testCluster) config(node *clusterNode) string {
	return fmt.Sprintf(`server_name: %q
listen: "127.0.0.1:%d"
jetstream {
  store_dir: %q
  max_memory_store: 64MB
  max_file_store: 1GB
}
cluster {
  name: %q
  listen: "127.0.0.1:%d"
  routes: [%s]
}
`, node.name, node.clientPort, node.storeDir, c.name, node.clusterPort, `"`+strings.Join(c.routeURLs(), `", "`)+`"`)
}

// startNode starts node and waits until it accepts client connections.
func (c *testCluster) startNode(t *testing.T, node *clusterNode) {
	t.Helper()
	if c.serverBinary != "" {
		c.startProcess(t, node)
		return
	}
	s, err := server.NewServer(c.options(node))
	if err != nil {
		t.Fatalf("create server %s: %v", node.name, err)
	}
	s.Start()
	if !s.ReadyForConnections(10 * time.Second) {
		s.Shutdown()
		s.WaitForShutdown()
		t.Fatalf("server %s not ready for connections on 127.0.0.1:%d after 10s", node.name, node.clientPort)
	}
	node.mu.Lock()
	node.server = s
	node.mu.Unlock()
}

// startProcess starts node as a nats-server process that appends its log
// to a file in c.configDir, and waits until its client port accepts
// connections.
func (c *testCluster) startProcess(t *testing.T, node *clusterNode) {
	t.Helper()
	configPath := filepath.Join(c.configDir, node.name+".conf")
	if err := os.WriteFile(configPath, []byte(c.config(node)), 0o644); err != nil {
		t.Fatalf("write %s: %v", configPath, err)
	}
	logPath := filepath.Join(c.configDir, node.name+".log")
	logFile, err := os.OpenFile(logPath, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		t.Fatalf("open %s: %v", logPath, err)
	}
	defer logFile.Close()
	cmd := exec.Command(c.serverBinary, "-c", configPath)
	cmd.Stdout, cmd.Stderr = logFile, logFile
	killWithTestProcess(cmd)
	if err := cmd.Start(); err != nil {
		t.Fatalf("start nats-server %s: %v", node.name, err)
	}
	node.mu.Lock()
	node.process = cmd
	node.mu.Unlock()

	address := fmt.Sprintf("127.0.0.1:%d", node.clientPort)
	waitForCluster(t, 10*time.Second, "nats-server "+node.name+" accepting connections on "+address, func() bool {
		conn, err := net.DialTimeout("tcp", address, time.Second)
		if err != nil {
			return false
		}
		conn.Close()
		return true
	})
}

// stopNode stops node and waits until it has stopped: an in-process server
// through Shutdown, a process through SIGKILL. Stopping a stopped node
// does nothing.
func (c *testCluster) stopNode(node *clusterNode) {
	node.mu.Lock()
	s, cmd := node.server, node.process
	node.server, node.process = nil, nil
	node.mu.Unlock()
	if s != nil {
		s.Shutdown()
		s.WaitForShutdown()
	}
	if cmd != nil {
		// Kill sends SIGKILL on Unix. Wait reports the kill as an error.
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
	}
}

// logServerOutput logs the last lines of each process's log file, leaving
// out the failed route dials to a stopped node, which repeat every second.
func (c *testCluster) logServerOutput(t *testing.T) {
	for _, node := range c.nodes {
		logPath := filepath.Join(c.configDir, node.name+".log")
		data, err := os.ReadFile(logPath)
		if err != nil {
			t.Logf("read %s: %v", logPath, err)
			continue
		}
		var lines []string
		for _, line := range strings.Split(strings.TrimRight(string(data), "\n"), "\n") {
			if !strings.Contains(line, "Error trying to connect to route") {
				lines = append(lines, line)
			}
		}
		t.Logf("last lines of %s without route dial errors:\n%s", logPath, strings.Join(lines[max(0, len(lines)-40):], "\n"))
	}
}

func (c *testCluster) runningServers() []*server.Server {
	var servers []*server.Server
	for _, node := range c.nodes {
		node.mu.Lock()
		if node.server != nil {
			servers = append(servers, node.server)
		}
		node.mu.Unlock()
	}
	return servers
}

func (c *testCluster) clientURLs() string {
	var urls []string
	for _, node := range c.nodes {
		urls = append(urls, fmt.Sprintf("nats://127.0.0.1:%d", node.clientPort))
	}
	return strings.Join(urls, ",")
}

func (c *testCluster) node(name string) *clusterNode {
	for _, node := range c.nodes {
		if node.name == name {
			return node
		}
	}
	return nil
}

// waitForMetaLeader waits until one in-process server leads the JetStream
// meta group with every node as a peer and every running server is current.
func (c *testCluster) waitForMetaLeader(t *testing.T) {
	t.Helper()
	waitForCluster(t, clusterStartTimeout, "a meta leader with all peers current", func() bool {
		servers := c.runningServers()
		var leader *server.Server
		for _, s := range servers {
			if s.JetStreamIsLeader() {
				leader = s
			}
		}
		if leader == nil || len(leader.JetStreamClusterPeers()) != len(c.nodes) {
			return false
		}
		for _, s := range servers {
			if !s.JetStreamIsCurrent() {
				return false
			}
		}
		return true
	})
}

// waitForStreamLeader waits until the event stream's info names a running
// node as leader and returns that node. For an in-process node it also
// checks that the server itself holds the leadership.
func (c *testCluster) waitForStreamLeader(t *testing.T, nc *nats.Conn) *clusterNode {
	t.Helper()
	var leader *clusterNode
	waitForCluster(t, clusterStartTimeout, "a stream leader", func() bool {
		info := eventStreamCluster(nc)
		if info == nil {
			return false
		}
		leader = c.node(info.Leader)
		if leader == nil || !leader.running() {
			return false
		}
		leader.mu.Lock()
		defer leader.mu.Unlock()
		return leader.server == nil ||
			leader.server.JetStreamIsStreamLeader(server.DEFAULT_GLOBAL_ACCOUNT, eventstore.DefaultStreamName)
	})
	return leader
}

// streamClusterInfo is the cluster part of a JetStream stream info response.
type streamClusterInfo struct {
	Leader   string `json:"leader"`
	Replicas []struct {
		Name    string `json:"name"`
		Current bool   `json:"current"`
		Offline bool   `json:"offline"`
		Lag     uint64 `json:"lag"`
	} `json:"replicas"`
}

// eventStreamCluster returns the cluster part of the event stream's info,
// or nil when the request fails or the response has none.
func eventStreamCluster(nc *nats.Conn) *streamClusterInfo {
	resp, err := nc.Request("$JS.API.STREAM.INFO."+eventstore.DefaultStreamName, nil, 2*time.Second)
	if err != nil {
		return nil
	}
	var info struct {
		Cluster *streamClusterInfo `json:"cluster"`
	}
	if json.Unmarshal(resp.Data, &info) != nil {
		return nil
	}
	return info.Cluster
}

// waitForStreamCurrent waits until the stream leader reports node's replica
// of the event stream as current with no lag.
func (c *testCluster) waitForStreamCurrent(t *testing.T, nc *nats.Conn, node *clusterNode) {
	t.Helper()
	waitForCluster(t, clusterStartTimeout, node.name+" current on the event stream", func() bool {
		info := eventStreamCluster(nc)
		if info == nil {
			return false
		}
		for _, replica := range info.Replicas {
			if replica.Name == node.name {
				return replica.Current && !replica.Offline && replica.Lag == 0
			}
		}
		return false
	})
}

// moveStreamLeader requests that the stream leader step down in favor of
// node, and repeats the request until the stream info names node as leader.
func (c *testCluster) moveStreamLeader(t *testing.T, nc *nats.Conn, node *clusterNode) {
	t.Helper()
	body, err := json.Marshal(server.JSApiLeaderStepdownRequest{Placement: &server.Placement{Preferred: node.name}})
	if err != nil {
		t.Fatalf("encode stepdown request: %v", err)
	}
	isLeader := func() bool {
		info := eventStreamCluster(nc)
		return info != nil && info.Leader == node.name
	}
	var lastErr string
	waitForCluster(t, clusterStartTimeout, "stream leadership on "+node.name, func() bool {
		if isLeader() {
			return true
		}
		resp, err := nc.Request("$JS.API.STREAM.LEADER.STEPDOWN."+eventstore.DefaultStreamName, body, 2*time.Second)
		if err != nil {
			lastErr = err.Error()
			return false
		}
		var result server.JSApiStreamLeaderStepDownResponse
		if err := json.Unmarshal(resp.Data, &result); err != nil {
			lastErr = err.Error()
		} else if result.Error != nil {
			lastErr = result.Error.Description
		}
		time.Sleep(200 * time.Millisecond)
		return isLeader()
	})
	if lastErr != "" {
		t.Logf("stepdown to %s needed retries, and the last one failed with: %s", node.name, lastErr)
	}
}

// buildNATSServer builds the nats-server command of the version in go.mod
// into a temporary folder and returns the binary's path.
func buildNATSServer(t *testing.T) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "nats-server")
	goTool, err := exec.LookPath("go")
	if err != nil {
		t.Fatalf("find the go command to build nats-server: %v", err)
	}
	cmd := exec.Command(goTool, "build", "-o", bin, "github.com/nats-io/nats-server/v2")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build -o %s github.com/nats-io/nats-server/v2: %v\n%s", bin, err, out)
	}
	return bin
}

// waitForCluster polls cond every 20ms until it returns true or timeout
// passes, which fails the test.
func waitForCluster(t *testing.T, timeout time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %s waiting for %s", timeout, what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}
