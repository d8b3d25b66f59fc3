package auth_test

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/base64"
	"encoding/pem"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/planledger/planledger/auth"
	"github.com/planledger/planledger/domain"
)

var (
	secret    = []byte("0123456789abcdef0123456789abcdef")
	principal = domain.Principal{Subject: "principal@newburyport", Role: domain.RoleSchoolEditor, OrgCode: "02040505"}
)

func claimsFor(p domain.Principal, ttl time.Duration) auth.Claims {
	now := time.Now()
	return auth.Claims{RegisteredClaims: jwt.RegisteredClaims{Subject: p.Subject,
		IssuedAt: jwt.NewNumericDate(now), ExpiresAt: jwt.NewNumericDate(now.Add(ttl))},
		Role: p.Role, Org: p.OrgCode}
}

func sign(t *testing.T, method jwt.SigningMethod, key any, claims jwt.Claims) string {
	t.Helper()
	token, err := jwt.NewWithClaims(method, claims).SignedString(key)
	if err != nil {
		t.Fatalf("sign %s: %v", method.Alg(), err)
	}
	return token
}

// checkRejected fails the test unless v rejects token as unauthenticated
// with a detail containing want.
func checkRejected(t *testing.T, v *auth.Verifier, token, want string) {
	t.Helper()
	_, err := v.Verify(token)
	if err == nil {
		t.Fatalf("Verify accepted the token, want a rejection containing %q", want)
	}
	if code := domain.ErrorCode(err); code != domain.EUnauthenticated {
		t.Errorf("code %s, want %s", code, domain.EUnauthenticated)
	}
	if !strings.Contains(err.Error(), want) {
		t.Errorf("error %q lacks %q", err, want)
	}
	if strings.Contains(err.Error(), token) {
		t.Errorf("error echoes the token")
	}
}

func hmacVerifier(t *testing.T) *auth.Verifier {
	t.Helper()
	v, err := auth.NewHMACVerifier(secret)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

func TestSignVerifyRoundTrip(t *testing.T) {
	token, err := auth.Sign(secret, principal, time.Hour, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	got, err := hmacVerifier(t).Verify(token)
	if err != nil {
		t.Fatalf("Verify: %v", err)
	}
	if got != principal {
		t.Errorf("Verify = %+v, want %+v", got, principal)
	}
}

func TestVerifyRejectsBadTokens(t *testing.T) {
	v := hmacVerifier(t)
	valid := claimsFor(principal, time.Hour)
	expired := claimsFor(principal, time.Hour)
	expired.ExpiresAt = jwt.NewNumericDate(time.Now().Add(-time.Hour))
	future := claimsFor(principal, time.Hour)
	future.NotBefore = jwt.NewNumericDate(time.Now().Add(time.Hour))
	issuedLater := claimsFor(principal, time.Hour)
	issuedLater.IssuedAt = jwt.NewNumericDate(time.Now().Add(10 * time.Minute))
	noExpiry := claimsFor(principal, time.Hour)
	noExpiry.ExpiresAt = nil
	districtCode := claimsFor(principal, time.Hour)
	districtCode.Org = "02040000"
	rsaKey, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}

	good := sign(t, jwt.SigningMethodHS256, secret, valid)
	parts := strings.Split(good, ".")
	cases := []struct {
		name, token, want string
	}{
		{"expired", sign(t, jwt.SigningMethodHS256, secret, expired), "expired"},
		{"not valid yet", sign(t, jwt.SigningMethodHS256, secret, future), "not valid yet"},
		{"issued in the future", sign(t, jwt.SigningMethodHS256, secret, issuedLater), "not valid yet"},
		{"no exp", sign(t, jwt.SigningMethodHS256, secret, noExpiry), "exp"},
		{"wrong key", sign(t, jwt.SigningMethodHS256, []byte(strings.Repeat("w", 32)), valid), "signature does not match"},
		{"alg none", sign(t, jwt.SigningMethodNone, jwt.UnsafeAllowNoneSignatureType, valid), `algorithm "none"`},
		{"HS512 with the right secret", sign(t, jwt.SigningMethodHS512, secret, valid), `algorithm "HS512"; this server accepts HS256`},
		{"RS256 without a public key", sign(t, jwt.SigningMethodRS256, rsaKey, valid), `algorithm "RS256"`},
		{"payload swapped", parts[0] + "." + strings.Split(sign(t, jwt.SigningMethodHS256, secret,
			claimsFor(domain.Principal{Subject: "x", Role: domain.RoleDepartment}, time.Hour)), ".")[1] + "." + parts[2],
			"signature"},
		{"not a JWT", "hello", "malformed"},
		{"school role with a district code", sign(t, jwt.SigningMethodHS256, secret, districtCode), "is a district code"},
		{"unknown role", sign(t, jwt.SigningMethodHS256, secret, auth.Claims{RegisteredClaims: valid.RegisteredClaims, Role: "admin"}),
			`role "admin" is not one of`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			checkRejected(t, v, c.token, c.want)
		})
	}
}

// rawToken signs a header and payload given as JSON text with HS256.
func rawToken(t *testing.T, header, payload string) string {
	t.Helper()
	signing := base64.RawURLEncoding.EncodeToString([]byte(header)) + "." + base64.RawURLEncoding.EncodeToString([]byte(payload))
	sig, err := jwt.SigningMethodHS256.Sign(signing, secret)
	if err != nil {
		t.Fatal(err)
	}
	return signing + "." + base64.RawURLEncoding.EncodeToString(sig)
}

func TestVerifyRejectsBadRawClaims(t *testing.T) {
	v := hmacVerifier(t)
	exp := strconv.FormatInt(time.Now().Add(time.Hour).Unix(), 10)
	claims := `"sub":"principal@newburyport","role":"school_editor","org":"02040505"`
	plain := `{"alg":"HS256","typ":"JWT"}`
	if _, err := v.Verify(rawToken(t, plain, `{`+claims+`,"exp":`+exp+`}`)); err != nil {
		t.Fatalf("Verify of a well-formed raw token: %v", err)
	}
	cases := []struct {
		name, header, payload, want string
	}{
		{"unknown crit", `{"alg":"HS256","typ":"JWT","crit":["exp-ext"],"exp-ext":1}`, `{` + claims + `,"exp":` + exp + `}`, "crit"},
		{"exp as a string", plain, `{` + claims + `,"exp":"` + exp + `"}`, "exp claim is invalid"},
		{"exp 1e30", plain, `{` + claims + `,"exp":1e30}`, "exp claim is invalid"},
		{"negative nbf", plain, `{` + claims + `,"exp":` + exp + `,"nbf":-5}`, "nbf claim is invalid"},
		{"iat as a string", plain, `{` + claims + `,"exp":` + exp + `,"iat":"1"}`, "iat claim is invalid"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			checkRejected(t, v, rawToken(t, c.header, c.payload), c.want)
		})
	}
}

func TestNewVerifierRejectsWeakKeys(t *testing.T) {
	if _, err := auth.NewHMACVerifier([]byte("short")); err == nil {
		t.Error("a 5-byte secret was accepted")
	}
	if _, err := auth.NewVerifier(auth.Options{}); err == nil {
		t.Error("a verifier without keys was accepted")
	}
	small, err := rsa.GenerateKey(rand.Reader, 1024)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := auth.NewVerifier(auth.Options{PublicKey: &small.PublicKey}); err == nil || !strings.Contains(err.Error(), "2048") {
		t.Errorf("1024-bit RSA key: %v, want an error naming 2048 bits", err)
	}
	p384, err := ecdsa.GenerateKey(elliptic.P384(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := auth.NewVerifier(auth.Options{PublicKey: &p384.PublicKey}); err == nil || !strings.Contains(err.Error(), "P-256") {
		t.Errorf("P-384 key: %v, want an error naming P-256", err)
	}
}

// pemPublicKey encodes key as a PEM PUBLIC KEY block, as
// "openssl pkey -pubout" writes it.
func pemPublicKey(t *testing.T, key crypto.PublicKey) []byte {
	t.Helper()
	der, err := x509.MarshalPKIXPublicKey(key)
	if err != nil {
		t.Fatal(err)
	}
	return pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der})
}

func TestVerifyPublicKeyTokens(t *testing.T) {
	rsaKey, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	ecKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	edPublic, edPrivate, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		alg     string
		method  jwt.SigningMethod
		private any
		public  crypto.PublicKey
	}{
		{"RS256", jwt.SigningMethodRS256, rsaKey, &rsaKey.PublicKey},
		{"ES256", jwt.SigningMethodES256, ecKey, &ecKey.PublicKey},
		{"EdDSA", jwt.SigningMethodEdDSA, edPrivate, edPublic},
	}
	for _, c := range cases {
		t.Run(c.alg, func(t *testing.T) {
			key, err := auth.ParsePublicKeyPEM(pemPublicKey(t, c.public))
			if err != nil {
				t.Fatalf("ParsePublicKeyPEM: %v", err)
			}
			v, err := auth.NewVerifier(auth.Options{PublicKey: key, Issuer: "https://idp.example", Audience: "planledger"})
			if err != nil {
				t.Fatal(err)
			}
			claims := claimsFor(principal, time.Hour)
			claims.Issuer, claims.Audience = "https://idp.example", jwt.ClaimStrings{"planledger", "other-app"}
			got, err := v.Verify(sign(t, c.method, c.private, claims))
			if err != nil {
				t.Fatalf("Verify: %v", err)
			}
			if got != principal {
				t.Errorf("Verify = %+v, want %+v", got, principal)
			}

			wrongIssuer := claims
			wrongIssuer.Issuer = "https://evil.example"
			checkRejected(t, v, sign(t, c.method, c.private, wrongIssuer), "issuer (iss) is not https://idp.example")
			wrongAudience := claims
			wrongAudience.Audience = jwt.ClaimStrings{"other-app"}
			checkRejected(t, v, sign(t, c.method, c.private, wrongAudience), "audience (aud) does not include planledger")
			// An HS256 token keyed with the public key's PEM text must not
			// verify: the verifier has no HMAC secret.
			checkRejected(t, v, sign(t, jwt.SigningMethodHS256, pemPublicKey(t, c.public), claims), `algorithm "HS256"`)
			checkRejected(t, v, sign(t, jwt.SigningMethodHS256, secret, claims), `algorithm "HS256"; this server accepts `+c.alg)
		})
	}
}

func TestVerifySecretAndPublicKeyTogether(t *testing.T) {
	edPublic, edPrivate, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	v, err := auth.NewVerifier(auth.Options{Secret: secret, PublicKey: edPublic})
	if err != nil {
		t.Fatal(err)
	}
	for name, token := range map[string]string{
		"HS256": sign(t, jwt.SigningMethodHS256, secret, claimsFor(principal, time.Hour)),
		"EdDSA": sign(t, jwt.SigningMethodEdDSA, edPrivate, claimsFor(principal, time.Hour)),
	} {
		if _, err := v.Verify(token); err != nil {
			t.Errorf("%s token: %v", name, err)
		}
	}
	checkRejected(t, v, sign(t, jwt.SigningMethodHS384, secret, claimsFor(principal, time.Hour)), "accepts HS256 or EdDSA")
}

func TestParsePublicKeyPEMRejectsPrivateKey(t *testing.T) {
	_, private, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	der, err := x509.MarshalPKCS8PrivateKey(private)
	if err != nil {
		t.Fatal(err)
	}
	_, err = auth.ParsePublicKeyPEM(pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der}))
	if err == nil || !strings.Contains(err.Error(), "never a private key") {
		t.Errorf("private key PEM: %v, want a rejection", err)
	}
	if _, err := auth.ParsePublicKeyPEM([]byte("not pem")); err == nil {
		t.Error("text without a PEM block was accepted")
	}
}

func TestSignRejectsBadInput(t *testing.T) {
	if _, err := auth.Sign(secret, principal, 0, time.Now()); domain.ErrorCode(err) != domain.EInvalid {
		t.Errorf("zero ttl: %v, want an invalid ttl error", err)
	}
	if _, err := auth.Sign(secret, domain.Principal{Subject: "a", Role: domain.RoleSchoolEditor}, time.Hour, time.Now()); err == nil ||
		!strings.Contains(err.Error(), "needs org") {
		t.Errorf("school editor without org: %v, want a missing org error", err)
	}
	if _, err := auth.Sign([]byte("short"), principal, time.Hour, time.Now()); err == nil {
		t.Error("a 5-byte secret signed a token")
	}
}
