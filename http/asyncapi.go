package http

import (
	"net/http"

	"github.com/gorilla/mux"
)

// registerAsyncAPIRoutes serves the AsyncAPI document of the NATS events
// beside the OpenAPI document of this API.
func (s *Server) registerAsyncAPIRoutes(r *mux.Router) {
	r.HandleFunc("/asyncapi.json", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write(s.cfg.AsyncAPI)
	}).Methods(http.MethodGet)
}
