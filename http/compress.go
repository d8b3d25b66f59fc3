package http

import (
	"fmt"
	"mime"
	"net/http"
	"strings"

	"github.com/gorilla/mux"
	"github.com/klauspost/compress/gzhttp"
)

// minCompressSize is the smallest body worth compressing: below about a
// kilobyte the gzip header and the CPU time cost more than they save.
const minCompressSize = 1024

// compressible reports whether a response of content type ct is worth
// compressing. PDFs are not: fpdf already deflates their page streams. Nor
// are event streams, which must reach the client event by event.
func compressible(ct string) bool {
	media, _, err := mime.ParseMediaType(ct)
	if err != nil {
		media = strings.ToLower(strings.TrimSpace(ct))
	}
	switch media {
	case "application/pdf", "text/event-stream":
		return false
	}
	return gzhttp.DefaultContentTypeFilter(ct)
}

// withCompression compresses responses of at least minCompressSize bytes
// with gzip or zstd, as the request's Accept-Encoding allows, and adds
// Vary: Accept-Encoding. ETags stay as the handler or withConditional set
// them, because clients read a plan's version from its ETag and send it
// back in If-Match or expected_sequence. They name the content before
// content coding, and since the server serves no byte ranges, the coded
// and uncoded bytes are never mixed.
func (s *Server) withCompression() mux.MiddlewareFunc {
	wrap, err := gzhttp.NewWrapper(gzhttp.MinSize(minCompressSize), gzhttp.ContentTypeFilter(compressible))
	if err != nil {
		panic(fmt.Sprintf("configure response compression: %v", err)) // the options are fixed
	}
	return func(next http.Handler) http.Handler { return wrap(next) }
}
