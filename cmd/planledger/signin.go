package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"strings"
	"time"

	"github.com/planledger/planledger/auth"
	"github.com/planledger/planledger/domain"
)

// errNoSharedKey rejects -nats without a key: processes on a cluster share
// no data folder, so a development key in one would not verify another's
// tokens.
var errNoSharedKey = errors.New("-nats needs a signing key that every planledger process shares: " +
	"pass -auth-secret-file FILE (PLANLEDGER_AUTH_SECRET_FILE) or -auth-public-key FILE (PLANLEDGER_AUTH_PUBLIC_KEY); " +
	"a development key is created only for the embedded store")

// verifier builds the token verifier serve uses from the configured keys.
// With no key, the embedded store uses the development secret in its data
// folder, creating it on first start.
func (c *Config) verifier(log *slog.Logger) (*auth.Verifier, error) {
	opts := auth.Options{Issuer: c.AuthIssuer, Audience: c.AuthAudience}
	if c.AuthSecretFile != "" {
		secret, exposed, err := auth.ReadSecretFile(c.AuthSecretFile)
		if err != nil {
			return nil, fmt.Errorf("invalid -auth-secret-file: %w", err)
		}
		if exposed {
			log.Warn("signing secret file may be read by other users; run chmod 600 on it", "path", c.AuthSecretFile)
		}
		opts.Secret = secret
	}
	if c.AuthPublicKeyFile != "" {
		raw, err := os.ReadFile(c.AuthPublicKeyFile)
		if err != nil {
			return nil, fmt.Errorf("invalid -auth-public-key: %w", err)
		}
		key, err := auth.ParsePublicKeyPEM(raw)
		if err != nil {
			return nil, fmt.Errorf("invalid -auth-public-key %s: %w", c.AuthPublicKeyFile, err)
		}
		opts.PublicKey = key
	}
	if opts.Secret == nil && opts.PublicKey == nil {
		if c.NATSURL != "" {
			return nil, errNoSharedKey
		}
		secret, path, created, err := auth.LoadOrCreateDevSecret(c.DataDir)
		if err != nil {
			return nil, err
		}
		log.Warn("signing in with a development key: anyone who can read it can sign in with any role; "+
			"pass -auth-secret-file on a shared server", "path", path, "created", created)
		opts.Secret = secret
	}
	v, err := auth.NewVerifier(opts)
	if err != nil {
		return nil, fmt.Errorf("configure sign-in: %w", err)
	}
	return v, nil
}

// runToken prints a signed token for a role, signed with the secret serve
// uses: the -auth-secret-file, or the development key in -data.
func runToken(args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("token", flag.ContinueOnError)
	fs.SetOutput(stderr)
	role := fs.String("role", "", "role the token grants: "+roleList())
	org := fs.String("org", "", "8-digit DESE code of the district (district_editor, approver) or school "+
		"(school_editor, council_member) the role acts for; omit for department and auditor")
	sub := fs.String("sub", "", "who signs in, stored as the actor of every change made with the token, such as principal@newburyport")
	ttl := fs.Duration("ttl", 8*time.Hour, "how long the token is valid, such as 8h or 30m")
	dataDir := fs.String("data", env("PLANLEDGER_DATA", "./planledger-data"),
		"data folder of the embedded store whose development key signs the token; the key is created if missing (PLANLEDGER_DATA)")
	secretFile := fs.String("auth-secret-file", env("PLANLEDGER_AUTH_SECRET_FILE", ""),
		"file with the signing secret serve uses, in place of the development key (PLANLEDGER_AUTH_SECRET_FILE)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("unexpected argument %q; token takes only flags", fs.Arg(0))
	}
	explicit := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { explicit[f.Name] = true })
	if explicit["data"] && explicit["auth-secret-file"] {
		return errors.New("pass -data or -auth-secret-file, not both: the token is signed with one key")
	}

	p := domain.Principal{Subject: *sub, Role: domain.Role(*role), OrgCode: *org}
	if err := checkTokenRequest(p); err != nil {
		return err
	}
	secret, err := tokenSecret(*dataDir, *secretFile, explicit["data"], stderr)
	if err != nil {
		return err
	}
	now := time.Now()
	token, err := auth.Sign(secret, p, *ttl, now)
	if err != nil {
		return flagError(err, p)
	}
	fmt.Fprintln(stdout, token)
	scope := "every org"
	if p.OrgCode != "" {
		scope = "org " + p.OrgCode
	}
	fmt.Fprintf(stderr, "token for %s as %s of %s, valid until %s\n", p.Subject, p.Role, scope,
		now.Add(*ttl).Format(time.RFC3339))
	return nil
}

// checkTokenRequest rejects a principal that could not sign in, naming
// the flag to fix.
func checkTokenRequest(p domain.Principal) error {
	if p.Role == "" {
		return fmt.Errorf("missing -role: use one of %s", roleList())
	}
	if !domain.ValidRole(p.Role) {
		return fmt.Errorf("invalid -role %q: use one of %s", p.Role, roleList())
	}
	if err := p.Validate(); err != nil {
		return flagError(err, p)
	}
	return nil
}

// flagError turns a claim error into one that names the flag.
func flagError(err error, p domain.Principal) error {
	var de *domain.Error
	if !errors.As(err, &de) {
		return err
	}
	values := map[string]string{"sub": p.Subject, "org": p.OrgCode, "role": string(p.Role), "ttl": "set"}
	if values[de.Field] == "" {
		return fmt.Errorf("missing -%s: %s", de.Field, de.Message)
	}
	return fmt.Errorf("invalid -%s: %s", de.Field, de.Message)
}

// tokenSecret reads the secret to sign with: the secret file, unless -data
// was given explicitly, else the development key in dataDir.
func tokenSecret(dataDir, secretFile string, dataExplicit bool, stderr io.Writer) ([]byte, error) {
	if secretFile != "" && !dataExplicit {
		secret, _, err := auth.ReadSecretFile(secretFile)
		if err != nil {
			return nil, fmt.Errorf("invalid -auth-secret-file: %w", err)
		}
		return secret, nil
	}
	if strings.TrimSpace(dataDir) == "" {
		return nil, errors.New("invalid -data: give the data folder of the store, or -auth-secret-file")
	}
	secret, path, created, err := auth.LoadOrCreateDevSecret(dataDir)
	if err != nil {
		return nil, err
	}
	if created {
		fmt.Fprintf(stderr, "created development signing key %s; planledger serve -data %s verifies tokens with it\n",
			path, dataDir)
	}
	return secret, nil
}

func roleList() string {
	names := make([]string, len(domain.Roles))
	for i, r := range domain.Roles {
		names[i] = string(r)
	}
	return strings.Join(names, ", ")
}
