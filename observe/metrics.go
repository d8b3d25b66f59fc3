// Package observe holds planledger's Prometheus metrics: HTTP requests,
// event appends, the projection's position and PDF renders. A Metrics
// value owns its own registry, so several servers in one process (tests)
// do not collide, and its Handler serves them in the Prometheus text
// format. docs/observability.md lists every metric.
package observe

import (
	"context"
	"errors"
	"net/http"
	"strconv"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/planledger/planledger/domain"
)

// latencyBuckets are the histogram bounds in seconds, from half a
// millisecond (a cached read on loopback) to ten seconds (a PDF under load).
var latencyBuckets = []float64{0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10}

// Metrics is the set of planledger's collectors and their registry.
type Metrics struct {
	Registry *prometheus.Registry

	httpRequests    *prometheus.CounterVec
	httpDuration    *prometheus.HistogramVec
	httpInFlight    prometheus.Gauge
	appendDuration  *prometheus.HistogramVec
	appendConflicts *prometheus.CounterVec
	appended        *prometheus.CounterVec
	applied         *prometheus.CounterVec
	applyErrors     prometheus.Counter
	pdfDuration     *prometheus.HistogramVec
}

// New returns metrics registered on a new registry, together with the Go
// runtime and process collectors.
func New() *Metrics {
	m := &Metrics{
		Registry: prometheus.NewRegistry(),
		httpRequests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "planledger_http_requests_total",
			Help: "HTTP requests by route template, method and status code.",
		}, []string{"route", "method", "status"}),
		httpDuration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "planledger_http_request_duration_seconds",
			Help:    "Time from receiving an HTTP request to the end of its response, by route template and method.",
			Buckets: latencyBuckets,
		}, []string{"route", "method"}),
		httpInFlight: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "planledger_http_requests_in_flight",
			Help: "HTTP requests being served, event streams included.",
		}),
		appendDuration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "planledger_event_append_duration_seconds",
			Help:    "Time the event store took to acknowledge an append or atomic batch, by aggregate kind and outcome (ok, conflict, error).",
			Buckets: latencyBuckets,
		}, []string{"kind", "outcome"}),
		appendConflicts: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "planledger_event_append_conflicts_total",
			Help: "Appends the store rejected because the expected aggregate sequence was stale, by aggregate kind.",
		}, []string{"kind"}),
		appended: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "planledger_events_appended_total",
			Help: "Events this process appended, by aggregate kind.",
		}, []string{"kind"}),
		applied: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "planledger_projection_events_applied_total",
			Help: "Events the read model applied from the stream since start, by aggregate kind.",
		}, []string{"kind"}),
		applyErrors: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "planledger_projection_apply_errors_total",
			Help: "Events the read model could not fold and skipped; each is also logged.",
		}),
		pdfDuration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "planledger_pdf_render_duration_seconds",
			Help:    "Time to render a PDF, by document (plan, review), not counting the wait for a render slot.",
			Buckets: latencyBuckets,
		}, []string{"document"}),
	}
	m.Registry.MustRegister(m.httpRequests, m.httpDuration, m.httpInFlight, m.appendDuration, m.appendConflicts,
		m.appended, m.applied, m.applyErrors, m.pdfDuration,
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	return m
}

// Handler serves the metrics in the Prometheus exposition format. It does
// not compress, because the HTTP server's compression middleware does.
func (m *Metrics) Handler() http.Handler {
	return promhttp.HandlerFor(m.Registry, promhttp.HandlerOpts{DisableCompression: true})
}

// ObserveRequest records one finished HTTP request. route is the route
// template, such as /v1/plans/{id}, never the raw path, so the label set
// stays bounded.
func (m *Metrics) ObserveRequest(route, method string, status int, elapsed time.Duration) {
	m.httpRequests.WithLabelValues(route, method, strconv.Itoa(status)).Inc()
	m.httpDuration.WithLabelValues(route, method).Observe(elapsed.Seconds())
}

// StartRequest counts a request in flight; call the returned function when
// it ends.
func (m *Metrics) StartRequest() (done func()) {
	m.httpInFlight.Inc()
	return m.httpInFlight.Dec
}

// ObservePDF records the render time of a document kind.
func (m *Metrics) ObservePDF(document string, elapsed time.Duration) {
	m.pdfDuration.WithLabelValues(document).Observe(elapsed.Seconds())
}

// ObserveApplied counts an event the read model applied; err is what
// Projector.Apply returned for it.
func (m *Metrics) ObserveApplied(e domain.Event, err error) {
	if err != nil {
		m.applyErrors.Inc()
	}
	if e.ID != "" {
		m.applied.WithLabelValues(e.AggregateKind).Inc()
	}
}

// observeAppend records one append or batch of n events.
func (m *Metrics) observeAppend(kind string, n int, elapsed time.Duration, err error) {
	outcome := "ok"
	switch {
	case err == nil:
		m.appended.WithLabelValues(kind).Add(float64(n))
	case isConflict(err):
		outcome = "conflict"
		m.appendConflicts.WithLabelValues(kind).Inc()
	default:
		outcome = "error"
	}
	m.appendDuration.WithLabelValues(kind, outcome).Observe(elapsed.Seconds())
}

func isConflict(err error) bool {
	var conflict *domain.ConflictError
	return errors.As(err, &conflict) || domain.ErrorCode(err) == domain.EConflict
}

// Projection is what the position collector reads: the read model's last
// applied stream sequence and the stream's last sequence.
type Projection struct {
	Applied      func() uint64
	LastSequence func(ctx context.Context) (uint64, error)
	// Timeout bounds the LastSequence call of one scrape; zero means 2s.
	Timeout time.Duration
}

// WatchProjection registers gauges of the stream's last sequence, the read
// model's applied sequence, the lag between them and whether the store
// answered. They are read at scrape time, so they are never stale.
func (m *Metrics) WatchProjection(p Projection) error {
	if p.Timeout == 0 {
		p.Timeout = 2 * time.Second
	}
	return m.Registry.Register(&projectionCollector{p: p})
}

var (
	descStoreUp = prometheus.NewDesc("planledger_store_up",
		"1 when the event store answered the last-sequence request of this scrape, else 0.", nil, nil)
	descLastSeq = prometheus.NewDesc("planledger_stream_last_sequence",
		"Stream sequence of the last event in the store; absent when the store did not answer.", nil, nil)
	descAppliedSeq = prometheus.NewDesc("planledger_projection_applied_sequence",
		"Stream sequence of the last event the read model applied.", nil, nil)
	descLag = prometheus.NewDesc("planledger_projection_lag_events",
		"Events stored but not yet applied to the read model: the stream's last sequence minus the applied one.", nil, nil)
)

type projectionCollector struct{ p Projection }

func (c *projectionCollector) Describe(ch chan<- *prometheus.Desc) {
	ch <- descStoreUp
	ch <- descLastSeq
	ch <- descAppliedSeq
	ch <- descLag
}

func (c *projectionCollector) Collect(ch chan<- prometheus.Metric) {
	// Read the applied position first: it only grows, so the lag computed
	// from a later last sequence is never negative.
	applied := c.p.Applied()
	ch <- prometheus.MustNewConstMetric(descAppliedSeq, prometheus.GaugeValue, float64(applied))
	ctx, cancel := context.WithTimeout(context.Background(), c.p.Timeout)
	defer cancel()
	last, err := c.p.LastSequence(ctx)
	if err != nil {
		ch <- prometheus.MustNewConstMetric(descStoreUp, prometheus.GaugeValue, 0)
		return
	}
	ch <- prometheus.MustNewConstMetric(descStoreUp, prometheus.GaugeValue, 1)
	ch <- prometheus.MustNewConstMetric(descLastSeq, prometheus.GaugeValue, float64(last))
	ch <- prometheus.MustNewConstMetric(descLag, prometheus.GaugeValue, float64(Lag(last, applied)))
}

// Lag returns how many stored events the read model has not applied. It is
// 0 when applied is ahead, which happens when the stream's last sequence
// was read before the projector advanced.
func Lag(last, applied uint64) uint64 {
	if applied >= last {
		return 0
	}
	return last - applied
}
