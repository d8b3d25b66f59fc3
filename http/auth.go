package http

import (
	"context"
	"net/http"
	"strings"

	"github.com/planledger/planledger/domain"
)

// TokenVerifier checks a bearer token; auth.Verifier implements it.
type TokenVerifier interface {
	Verify(token string) (domain.Principal, error)
}

type principalKey struct{}

// isWrite reports whether method changes state. Every route with such a
// method needs a signed-in principal.
func isWrite(method string) bool {
	switch method {
	case http.MethodGet, http.MethodHead, http.MethodOptions:
		return false
	default:
		return true
	}
}

// withPrincipal verifies the bearer token of a request and puts the
// principal in the context. A write without a token fails with 401 before
// its body is read. A bad token fails the request at once, even on a read,
// so a caller learns of it before relying on the result. Reads without a
// token stay public.
func (s *Server) withPrincipal(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		header := r.Header.Get("Authorization")
		if header == "" {
			if isWrite(r.Method) {
				s.rejectSignIn(w, r, errNoToken())
				return
			}
			next.ServeHTTP(w, r)
			return
		}
		// The scheme name is case-insensitive (RFC 9110 section 11.1).
		scheme, token, _ := strings.Cut(strings.TrimSpace(header), " ")
		token = strings.TrimSpace(token)
		if !strings.EqualFold(scheme, "Bearer") || token == "" {
			s.rejectSignIn(w, r, domain.Errorf(domain.EUnauthenticated, "Authorization",
				"the Authorization header must be \"Bearer <JWT>\""))
			return
		}
		if s.cfg.Auth == nil {
			s.rejectSignIn(w, r, domain.Errorf(domain.EUnavailable, "Authorization",
				"this server has no key to verify sign-in tokens, so it accepts no writes; start it with a signing key"))
			return
		}
		p, err := s.cfg.Auth.Verify(token)
		if err != nil {
			s.rejectSignIn(w, r, err)
			return
		}
		if state := stateOf(r); state != nil {
			state.principal = &p
		}
		next.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), principalKey{}, p)))
	})
}

func errNoToken() error {
	return domain.Errorf(domain.EUnauthenticated, "Authorization",
		"this change needs sign-in: send Authorization: Bearer <token>")
}

// rejectSignIn sends a failed sign-in and keeps its reason for the request
// log line.
func (s *Server) rejectSignIn(w http.ResponseWriter, r *http.Request, err error) {
	if state := stateOf(r); state != nil {
		state.authError = err.Error()
	}
	writeProblem(w, r, err)
}

// principalOf returns the request's signed-in principal, if any.
func principalOf(r *http.Request) (domain.Principal, bool) {
	p, ok := r.Context().Value(principalKey{}).(domain.Principal)
	return p, ok
}

// authorize checks that the request's principal may use perm on the org
// with orgCode and returns the principal. An org the read model does not
// know is judged by its code, so the command can report it as not found.
func (s *Server) authorize(r *http.Request, perm domain.Permission, orgCode string) (domain.Principal, error) {
	p, ok := principalOf(r)
	if !ok {
		return domain.Principal{}, errNoToken()
	}
	if err := domain.ValidateOrgCode("org_code", orgCode); err != nil {
		return domain.Principal{}, err
	}
	target, known := s.cfg.Read.Org(orgCode)
	if !known {
		target = domain.Org{Code: orgCode, DistrictCode: domain.DistrictCodeOf(orgCode), Type: domain.OrgSchool}
		if target.DistrictCode == orgCode {
			target.Type = domain.OrgDistrict
		}
	}
	if err := domain.Authorize(p, perm, target); err != nil {
		if state := stateOf(r); state != nil {
			state.authError = err.Error()
		}
		return domain.Principal{}, err
	}
	return p, nil
}
