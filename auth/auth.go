// Package auth verifies the bearer tokens (JWT) that sign people in to
// planledger's write API and mints tokens for development. A token names
// the user (sub), one role and the org the role acts for; domain.Authorize
// decides what that allows.
package auth

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rsa"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"strings"
	"time"
	"unicode"

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

// Options configure a Verifier. At least one of Secret and PublicKey is
// required. With both, a token may be signed either way.
type Options struct {
	// Secret verifies HS256 tokens, such as those planledger token mints.
	Secret []byte
	// PublicKey verifies tokens from an identity provider: an RSA key of at
	// least 2048 bits (RS256), an ECDSA P-256 key (ES256) or an Ed25519 key
	// (EdDSA).
	PublicKey crypto.PublicKey
	// Issuer, when set, must equal the token's iss claim.
	Issuer string
	// Audience, when set, must be one of the token's aud values.
	Audience string
}

// Verifier checks bearer tokens against the configured keys.
type Verifier struct {
	secret    []byte
	publicKey crypto.PublicKey
	publicAlg string // the one algorithm publicKey verifies
	methods   []string
	issuer    string
	audience  string
	leeway    time.Duration
	now       func() time.Time
}

// MinSecretBytes is the shortest HS256 secret accepted, the hash's output
// size, as RFC 7518 section 3.2 requires.
const MinSecretBytes = 32

// minRSABits is the smallest RSA modulus accepted, as RFC 7518 section 3.3
// requires for RS256.
const minRSABits = 2048

// NewVerifier returns a Verifier for the keys in opts.
func NewVerifier(opts Options) (*Verifier, error) {
	v := &Verifier{issuer: opts.Issuer, audience: opts.Audience, leeway: 30 * time.Second, now: time.Now}
	if opts.Secret != nil {
		if len(opts.Secret) < MinSecretBytes {
			return nil, fmt.Errorf("signing secret is %d bytes; HS256 needs at least %d", len(opts.Secret), MinSecretBytes)
		}
		v.secret = opts.Secret
		v.methods = append(v.methods, jwt.SigningMethodHS256.Alg())
	}
	if opts.PublicKey != nil {
		alg, err := algorithmFor(opts.PublicKey)
		if err != nil {
			return nil, err
		}
		v.publicKey, v.publicAlg = opts.PublicKey, alg
		v.methods = append(v.methods, alg)
	}
	if len(v.methods) == 0 {
		return nil, errors.New("no key to verify tokens with: give a signing secret or a public key")
	}
	return v, nil
}

// NewHMACVerifier returns a Verifier for HS256 tokens signed with secret.
func NewHMACVerifier(secret []byte) (*Verifier, error) {
	if secret == nil {
		secret = []byte{}
	}
	return NewVerifier(Options{Secret: secret})
}

// algorithmFor returns the JWS algorithm that verifies with key.
func algorithmFor(key crypto.PublicKey) (string, error) {
	switch k := key.(type) {
	case *rsa.PublicKey:
		if k.N.BitLen() < minRSABits {
			return "", fmt.Errorf("RSA public key has %d bits; RS256 needs at least %d", k.N.BitLen(), minRSABits)
		}
		return jwt.SigningMethodRS256.Alg(), nil
	case *ecdsa.PublicKey:
		if k.Curve != elliptic.P256() {
			return "", fmt.Errorf("ECDSA public key is on curve %s; ES256 needs P-256", k.Curve.Params().Name)
		}
		return jwt.SigningMethodES256.Alg(), nil
	case ed25519.PublicKey:
		return jwt.SigningMethodEdDSA.Alg(), nil
	default:
		return "", fmt.Errorf("public key of type %T is not supported; use RSA (RS256), ECDSA P-256 (ES256) or Ed25519 (EdDSA)", key)
	}
}

// ParsePublicKeyPEM reads a PEM "PUBLIC KEY" block (PKIX, as
// "openssl pkey -pubout" writes it) or a certificate, whose key it returns.
func ParsePublicKeyPEM(data []byte) (crypto.PublicKey, error) {
	block, _ := pem.Decode(data)
	if block == nil {
		return nil, errors.New("no PEM block found; expected -----BEGIN PUBLIC KEY-----")
	}
	var key crypto.PublicKey
	switch block.Type {
	case "PUBLIC KEY":
		parsed, err := x509.ParsePKIXPublicKey(block.Bytes)
		if err != nil {
			return nil, fmt.Errorf("parse PUBLIC KEY block: %w", err)
		}
		key = parsed
	case "RSA PUBLIC KEY":
		parsed, err := x509.ParsePKCS1PublicKey(block.Bytes)
		if err != nil {
			return nil, fmt.Errorf("parse RSA PUBLIC KEY block: %w", err)
		}
		key = parsed
	case "CERTIFICATE":
		cert, err := x509.ParseCertificate(block.Bytes)
		if err != nil {
			return nil, fmt.Errorf("parse CERTIFICATE block: %w", err)
		}
		key = cert.PublicKey
	default:
		return nil, fmt.Errorf("PEM block is %q; expected PUBLIC KEY, RSA PUBLIC KEY or CERTIFICATE (never a private key)", block.Type)
	}
	if _, err := algorithmFor(key); err != nil {
		return nil, err
	}
	return key, nil
}

// Verify parses and checks a token and returns who it signs in. Every
// failure is a domain error with code EUnauthenticated and a reason that
// does not echo the token.
func (v *Verifier) Verify(token string) (domain.Principal, error) {
	opts := []jwt.ParserOption{
		jwt.WithValidMethods(v.methods),
		jwt.WithExpirationRequired(),
		jwt.WithIssuedAt(),
		jwt.WithLeeway(v.leeway),
		jwt.WithTimeFunc(v.now),
	}
	if v.issuer != "" {
		opts = append(opts, jwt.WithIssuer(v.issuer))
	}
	if v.audience != "" {
		opts = append(opts, jwt.WithAudience(v.audience))
	}
	if reason := checkRaw(token); reason != "" {
		return domain.Principal{}, domain.Errorf(domain.EUnauthenticated, "Authorization", "token rejected: %s", reason)
	}
	var claims Claims
	parsed, err := jwt.ParseWithClaims(token, &claims, v.key, opts...)
	if err != nil {
		return domain.Principal{}, domain.Errorf(domain.EUnauthenticated, "Authorization", "token rejected: %s", v.reason(parsed, err))
	}
	p := domain.Principal{Subject: claims.Subject, Role: claims.Role, OrgCode: claims.Org}
	if err := p.Validate(); err != nil {
		return domain.Principal{}, domain.Errorf(domain.EUnauthenticated, "Authorization", "token rejected: %s", message(err))
	}
	return p, nil
}

// key returns the key for the token's algorithm. WithValidMethods has
// already rejected every other algorithm, so an HS256 token is never
// checked against the public key's bytes.
func (v *Verifier) key(t *jwt.Token) (any, error) {
	switch alg := t.Method.Alg(); {
	case alg == jwt.SigningMethodHS256.Alg() && v.secret != nil:
		return v.secret, nil
	case alg == v.publicAlg && v.publicKey != nil:
		return v.publicKey, nil
	default:
		return nil, fmt.Errorf("no key for algorithm %s", alg)
	}
}

// reason turns a jwt error into a short cause a caller can act on.
func (v *Verifier) reason(t *jwt.Token, err error) string {
	accepted := strings.Join(v.methods, " or ")
	switch {
	case errors.Is(err, jwt.ErrTokenMalformed):
		return "malformed; send Authorization: Bearer <JWT>"
	case t != nil && !v.accepts(t):
		return fmt.Sprintf("signed with algorithm %s; this server accepts %s", algorithmLabel(t), accepted)
	case errors.Is(err, jwt.ErrTokenUnverifiable):
		return fmt.Sprintf("signed with an algorithm this server cannot verify; it accepts %s", accepted)
	case errors.Is(err, jwt.ErrTokenExpired):
		return "expired; sign in again for a new token"
	case errors.Is(err, jwt.ErrTokenNotValidYet), errors.Is(err, jwt.ErrTokenUsedBeforeIssued):
		return "not valid yet; check the issuing clock"
	case errors.Is(err, jwt.ErrTokenSignatureInvalid):
		return "signature does not match the configured key"
	case errors.Is(err, jwt.ErrTokenRequiredClaimMissing):
		return "missing the exp claim; tokens must expire"
	case errors.Is(err, jwt.ErrTokenInvalidIssuer):
		return fmt.Sprintf("issuer (iss) is not %s", v.issuer)
	case errors.Is(err, jwt.ErrTokenInvalidAudience):
		return fmt.Sprintf("audience (aud) does not include %s", v.audience)
	case errors.Is(err, jwt.ErrTokenInvalidClaims), errors.Is(err, jwt.ErrInvalidType):
		return "a claim has the wrong JSON type; sub, role and org are strings and exp a number"
	default:
		return "invalid"
	}
}

// maxNumericDate is the last second of year 9999 UTC. A later exp, nbf or
// iat is taken as invalid rather than converted, because far larger values
// overflow time.Time and read as dates in the past.
const maxNumericDate = 253402300799

// checkRaw returns why a token's header or time claims are unacceptable
// before the JWT library reads them, or "" to let it decide. The library
// ignores crit, which RFC 7515 section 4.1.11 says a recipient must reject
// when it does not understand the listed extensions (planledger
// understands none), and it accepts a time claim written as a string.
func checkRaw(token string) string {
	parts := strings.Split(token, ".")
	if len(parts) != 3 {
		return "" // the library reports the malformed token
	}
	var header, payload map[string]json.RawMessage
	if decodeSegment(parts[0], &header) != nil || decodeSegment(parts[1], &payload) != nil {
		return ""
	}
	if _, ok := header["crit"]; ok {
		return "the header lists critical extensions (crit), which this server does not support; sign the token without crit"
	}
	for _, name := range []string{"exp", "nbf", "iat"} {
		raw, ok := payload[name]
		if !ok || string(raw) == "null" {
			continue
		}
		var seconds float64
		if raw[0] == '"' || json.Unmarshal(raw, &seconds) != nil || seconds < 0 || seconds > maxNumericDate {
			return fmt.Sprintf("the %s claim is invalid; it must be a JSON number of seconds since 1970 before year 10000", name)
		}
	}
	return ""
}

func decodeSegment(segment string, v any) error {
	raw, err := base64.RawURLEncoding.DecodeString(segment)
	if err != nil {
		return err
	}
	return json.Unmarshal(raw, v)
}

func (v *Verifier) accepts(t *jwt.Token) bool {
	alg, _ := t.Header["alg"].(string)
	for _, m := range v.methods {
		if m == alg {
			return true
		}
	}
	return false
}

// algorithmLabel returns the token's alg header for an error message,
// quoted and cut short, since the header is the caller's text.
func algorithmLabel(t *jwt.Token) string {
	alg, ok := t.Header["alg"].(string)
	if !ok {
		return "(none given)"
	}
	if len(alg) > 16 || strings.IndexFunc(alg, func(r rune) bool { return !unicode.IsPrint(r) }) >= 0 {
		return "(unreadable)"
	}
	return fmt.Sprintf("%q", alg)
}

// message returns a domain error's message without its code and field.
func message(err error) string {
	var e *domain.Error
	if errors.As(err, &e) {
		return e.Message
	}
	return err.Error()
}

// Sign mints an HS256 token for p that expires after ttl, for development
// and tests; production tokens usually come from an identity provider.
// Errors name the claim at fault (sub, role or org) or ttl.
func Sign(secret []byte, p domain.Principal, ttl time.Duration, now time.Time) (string, error) {
	if err := p.Validate(); err != nil {
		return "", err
	}
	if ttl <= 0 {
		return "", domain.Errorf(domain.EInvalid, "ttl", "ttl %s must be positive, such as 8h", ttl)
	}
	if len(secret) < MinSecretBytes {
		return "", fmt.Errorf("signing secret is %d bytes; HS256 needs at least %d", len(secret), MinSecretBytes)
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
