package http

import (
	"crypto/sha256"
	"encoding/base64"
	"mime"
	"net/http"
	"strconv"
	"strings"

	"github.com/klauspost/compress/gzhttp"
)

// withConditional gives every successful GET response an ETag and answers
// If-None-Match with 304 Not Modified. A handler's own ETag, such as a
// plan's version, is kept; any other 200 body is buffered and tagged with
// a hash of its bytes. Event streams pass through untouched.
//
// NOTE: the handler still runs before a 304, so a 304 saves the transfer,
// not the server's work.
func (s *Server) withConditional(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodGet && r.Method != http.MethodHead {
			next.ServeHTTP(w, r)
			return
		}
		cw := &conditionalWriter{ResponseWriter: w, ifNoneMatch: r.Header.Get("If-None-Match")}
		next.ServeHTTP(cw, r)
		cw.finish()
	})
}

// conditionalWriter modes.
const (
	modeUndecided = iota
	modePass      // the response goes out as the handler writes it
	modeBuffer    // the body is held until the handler returns, to hash it
	modeDiscard   // a 304 went out, so the handler's body is dropped
)

type conditionalWriter struct {
	http.ResponseWriter
	ifNoneMatch string
	mode        int
	status      int
	buf         []byte
}

func (w *conditionalWriter) WriteHeader(code int) {
	if code < 200 || w.mode != modeUndecided {
		if w.mode == modePass || code < 200 {
			w.ResponseWriter.WriteHeader(code)
		}
		return
	}
	w.decide(code)
}

func (w *conditionalWriter) Write(b []byte) (int, error) {
	if w.mode == modeUndecided {
		w.decide(http.StatusOK)
	}
	switch w.mode {
	case modeBuffer:
		w.buf = append(w.buf, b...)
		return len(b), nil
	case modeDiscard:
		return len(b), nil
	default:
		return w.ResponseWriter.Write(b)
	}
}

// Flush ends buffering: a handler that flushes wants its bytes sent now,
// so the response goes out without a hashed ETag.
func (w *conditionalWriter) Flush() {
	if w.mode == modeBuffer {
		w.mode = modePass
		w.ResponseWriter.WriteHeader(w.status)
		_, _ = w.ResponseWriter.Write(w.buf)
		w.buf = nil
	}
	if w.mode != modeDiscard {
		_ = http.NewResponseController(w.ResponseWriter).Flush()
	}
}

func (w *conditionalWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

func (w *conditionalWriter) decide(code int) {
	h := w.Header()
	switch {
	case isEventStream(h.Get("Content-Type")):
		// The compressing writer would hold the headers until the first
		// kilobyte; this header tells it not to compress, and the empty
		// write sends the headers at the handler's first flush.
		h.Set(gzhttp.HeaderNoCompression, "1")
		w.mode = modePass
		w.ResponseWriter.WriteHeader(code)
		_, _ = w.ResponseWriter.Write(nil)
	case code != http.StatusOK:
		w.mode = modePass
		w.ResponseWriter.WriteHeader(code)
	case h.Get("ETag") != "":
		if w.notModified(h.Get("ETag")) {
			w.mode = modeDiscard
			return
		}
		w.mode = modePass
		w.ResponseWriter.WriteHeader(code)
	default:
		w.mode, w.status = modeBuffer, code
	}
}

// finish sends a buffered body with its hash as the ETag, or a 304 when the
// request already has that ETag.
func (w *conditionalWriter) finish() {
	if w.mode != modeBuffer {
		return
	}
	sum := sha256.Sum256(w.buf)
	etag := `"` + base64.RawURLEncoding.EncodeToString(sum[:16]) + `"`
	w.Header().Set("ETag", etag)
	if w.notModified(etag) {
		return
	}
	w.Header().Set("Content-Length", strconv.Itoa(len(w.buf)))
	w.ResponseWriter.WriteHeader(w.status)
	_, _ = w.ResponseWriter.Write(w.buf)
}

// notModified sends 304 when If-None-Match lists etag. The comparison is
// weak (RFC 9110, section 13.1.2), so W/"7" matches "7". The 304 repeats
// the tag in the form the client sent, which is the form it stored.
func (w *conditionalWriter) notModified(etag string) bool {
	matched, ok := matchETag(w.ifNoneMatch, etag)
	if !ok {
		return false
	}
	h := w.Header()
	h.Set("ETag", matched)
	h.Del("Content-Type")
	h.Del("Content-Length")
	h.Del("Content-Disposition")
	w.ResponseWriter.WriteHeader(http.StatusNotModified)
	return true
}

// matchETag reports whether the If-None-Match value list names etag, and
// returns the matching entry; "*" matches any current representation.
func matchETag(list, etag string) (string, bool) {
	list = strings.TrimSpace(list)
	if list == "" {
		return "", false
	}
	if list == "*" {
		return etag, true
	}
	opaque := strings.TrimPrefix(etag, "W/")
	for _, entry := range strings.Split(list, ",") {
		entry = strings.TrimSpace(entry)
		if strings.TrimPrefix(entry, "W/") == opaque {
			return entry, true
		}
	}
	return "", false
}

func isEventStream(ct string) bool {
	media, _, err := mime.ParseMediaType(ct)
	return err == nil && media == "text/event-stream"
}
