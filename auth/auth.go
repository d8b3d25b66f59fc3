// Package auth verifies the bearer tokens (JWT) that sign people in to
// planledger's write API and mints tokens for development. A token names
// the user (sub), one role and the org the role acts for; domain.Authorize
// decides what that allows.
package auth

import (
	"errors"
	"fmt"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/planledger/planledger/domain"
)

// Claims are the JWT claims planledger reads: the registered ones (sub,
// exp required) plus role and org.
type Claims struct {
	jwt.RegisteredClaims
	Role domain.Role `json:"role"`
	Org  string      `json:"org,omitempty"`
}

// Verifier checks tokens signed with one HMAC secret (HS256).
type Verifier struct {
	secret []byte
	leeway time.Duration
	now    func() time.Time
}

// MinSecretBytes is the shortest HS256 secret accepted, the hash's output
// size, as RFC 7518 section 3.2 requires.
const MinSecretBytes = 32

// NewHMACVerifier returns a Verifier for HS256 tokens signed with secret.
func NewHMACVerifier(secret []byte) (*Verifier, error) {
	if len(secret) < MinSecretBytes {
		return nil, fmt.Errorf("signing secret is %d bytes; HS256 needs at least %d", len(secret), MinSecretBytes)
	}
	return &Verifier{secret: secret, leeway: 30 * time.Second, now: time.Now}, nil
}

// Verify parses and checks a token and returns who it signs in. Every
// failure is a domain error with code EUnauthenticated and a reason that
// does not echo the token.
func (v *Verifier) Verify(token string) (domain.Principal, error) {
	var claims Claims
	_, err := jwt.ParseWithClaims(token, &claims, func(*jwt.Token) (any, error) { return v.secret, nil },
		jwt.WithValidMethods([]string{jwt.SigningMethodHS256.Alg()}),
		jwt.WithExpirationRequired(),
		jwt.WithLeeway(v.leeway),
		jwt.WithTimeFunc(v.now))
	if err != nil {
		return domain.Principal{}, domain.Errorf(domain.EUnauthenticated, "Authorization", "token rejected: %s", reason(err))
	}
	p := domain.Principal{Subject: claims.Subject, Role: claims.Role, OrgCode: claims.Org}
	if err := checkPrincipal(p); err != nil {
		return domain.Principal{}, err
	}
	return p, nil
}

// checkPrincipal rejects a validly signed token whose claims cannot act.
func checkPrincipal(p domain.Principal) error {
	if p.Subject == "" {
		return domain.Errorf(domain.EUnauthenticated, "Authorization", "token has no sub claim naming the user")
	}
	if !domain.ValidRole(p.Role) {
		return domain.Errorf(domain.EUnauthenticated, "Authorization", "token role %q is not one of %v", p.Role, domain.Roles)
	}
	needsOrg := p.Role != domain.RoleDepartment && p.Role != domain.RoleAuditor
	if needsOrg {
		if err := domain.ValidateOrgCode("org", p.OrgCode); err != nil {
			return domain.Errorf(domain.EUnauthenticated, "Authorization", "token for role %s needs an org claim with an 8-digit org code", p.Role)
		}
	}
	return nil
}

// reason turns a jwt error into a short cause a caller can act on.
func reason(err error) string {
	switch {
	case errors.Is(err, jwt.ErrTokenExpired):
		return "expired; sign in again"
	case errors.Is(err, jwt.ErrTokenNotValidYet), errors.Is(err, jwt.ErrTokenUsedBeforeIssued):
		return "not valid yet; check the issuing clock"
	case errors.Is(err, jwt.ErrTokenSignatureInvalid):
		return "signature does not match the configured key"
	case errors.Is(err, jwt.ErrTokenRequiredClaimMissing):
		return "missing a required claim (exp)"
	case errors.Is(err, jwt.ErrTokenMalformed):
		return "malformed; send Authorization: Bearer <JWT>"
	case errors.Is(err, jwt.ErrTokenUnverifiable):
		return "signed with an algorithm other than HS256"
	default:
		return "invalid"
	}
}

// Sign mints an HS256 token for p that expires after ttl, for development
// and tests; production tokens come from the deployment's identity provider.
func Sign(secret []byte, p domain.Principal, ttl time.Duration, now time.Time) (string, error) {
	if err := checkPrincipal(p); err != nil {
		return "", err
	}
	claims := Claims{
		RegisteredClaims: jwt.RegisteredClaims{
			Subject:   p.Subject,
			IssuedAt:  jwt.NewNumericDate(now),
			ExpiresAt: jwt.NewNumericDate(now.Add(ttl)),
		},
		Role: p.Role, Org: p.OrgCode,
	}
	return jwt.NewWithClaims(jwt.SigningMethodHS256, claims).SignedString(secret)
}
