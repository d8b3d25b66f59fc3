package eventstore

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nkeys"
)

// Nkey seed files that StartEmbedded keeps in the store folder. The nats CLI
// reads them with --nkey FILE and nats.go with nats.NkeyOptionFromSeed.
const (
	// AdminSeedFileName is the seed of the user with every permission:
	// planledger itself, and import or verify run with -nats against a
	// running server.
	AdminSeedFileName = "nats-admin.nk"
	// ReaderSeedFileName is the seed of the read-only user for outside
	// subscribers, whose permissions ReaderPermissions lists.
	ReaderSeedFileName = "nats-reader.nk"
)

// Streams the read-only user may read. The CloudEvents stream's name is
// spelled out because the cloudevents package imports this one.
const cloudEventsStreamName = DefaultStreamName + "_CLOUDEVENTS"

// ReaderPermissions returns the permissions of the read-only user: follow
// the live and CloudEvents subjects, read both streams through consumers and
// acknowledge their messages. Everything else is denied, because an allow
// list rejects every subject it does not name. The deny list repeats the
// most harmful subjects so that a wider allow entry added later cannot
// grant them by accident.
func ReaderPermissions() *server.Permissions {
	var publish []string
	for _, stream := range []string{DefaultStreamName, cloudEventsStreamName} {
		publish = append(publish,
			"$JS.API.STREAM.INFO."+stream,
			"$JS.API.STREAM.MSG.GET."+stream,
			// Ephemeral, ordered and durable consumers, in the old and the
			// new (stream.consumer.filter) request forms.
			"$JS.API.CONSUMER.CREATE."+stream,
			"$JS.API.CONSUMER.CREATE."+stream+".>",
			"$JS.API.CONSUMER.DURABLE.CREATE."+stream+".*",
			"$JS.API.CONSUMER.INFO."+stream+".*",
			"$JS.API.CONSUMER.NAMES."+stream,
			"$JS.API.CONSUMER.LIST."+stream,
			"$JS.API.CONSUMER.MSG.NEXT."+stream+".*",
			// Ordered consumers delete the consumer they replace. Consumers
			// hold no events, so deleting one loses nothing.
			"$JS.API.CONSUMER.DELETE."+stream+".*",
			"$JS.ACK."+stream+".>",
			"$JS.FC."+stream+".>",
		)
	}
	publish = append(publish, "$JS.API.INFO", "$JS.API.STREAM.NAMES", "$JS.API.STREAM.LIST")
	return &server.Permissions{
		Publish: &server.SubjectPermission{
			Allow: publish,
			Deny: []string{
				AllSubjects,
				"cloudevents." + SubjectPrefix + ".>",
				AllLiveSubjects,
				"$KV.>",
				"$JS.API.STREAM.CREATE.>",
				"$JS.API.STREAM.UPDATE.>",
				"$JS.API.STREAM.DELETE.>",
				"$JS.API.STREAM.PURGE.>",
				"$JS.API.STREAM.MSG.DELETE.>",
				"$JS.API.STREAM.SNAPSHOT.>",
				"$JS.API.STREAM.RESTORE.>",
				"$JS.API.ACCOUNT.PURGE.>",
			},
		},
		Subscribe: &server.SubjectPermission{
			Allow: []string{AllLiveSubjects, "cloudevents." + SubjectPrefix + ".>", "_INBOX.>"},
		},
	}
}

// Credentials are the paths of the nkey seed files of the embedded server's
// two users.
type Credentials struct {
	AdminSeedFile  string
	ReaderSeedFile string
}

// AdminOption returns the nats.go option that signs in as the admin user.
func (c Credentials) AdminOption() nats.Option {
	return seedOption(c.AdminSeedFile)
}

// ReaderOption returns the nats.go option that signs in as the read-only user.
func (c Credentials) ReaderOption() nats.Option {
	return seedOption(c.ReaderSeedFile)
}

// seedOption reads the seed file on every connect. The file was checked when
// the server started, so an error here means it changed since.
func seedOption(path string) nats.Option {
	return func(o *nats.Options) error {
		opt, err := nats.NkeyOptionFromSeed(path)
		if err != nil {
			return fmt.Errorf("read nkey seed %s: %w", path, err)
		}
		return opt(o)
	}
}

// loadOrCreateSeed returns the public key of the user seed in path,
// creating a new seed in a file only the owner may read when there is none.
// Like the development signing secret, the file appears whole under its
// final name or not at all, so two processes starting at once share one.
func loadOrCreateSeed(path string) (publicKey string, created bool, err error) {
	publicKey, err = readSeed(path)
	if err == nil {
		return publicKey, false, nil
	}
	if !errors.Is(err, fs.ErrNotExist) {
		return "", false, err
	}
	kp, err := nkeys.CreateUser()
	if err != nil {
		return "", false, fmt.Errorf("create nkey for %s: %w", path, err)
	}
	seed, err := kp.Seed()
	if err != nil {
		return "", false, fmt.Errorf("create nkey for %s: %w", path, err)
	}
	if err := writeNewFile(path, append(seed, '\n')); err != nil {
		if errors.Is(err, fs.ErrExist) {
			publicKey, err = readSeed(path)
			return publicKey, false, err
		}
		return "", false, err
	}
	publicKey, err = kp.PublicKey()
	return publicKey, true, err
}

// readSeed returns the public key of the user seed in path. It rejects a
// file that group or others may read, because the seed signs in as its user.
func readSeed(path string) (string, error) {
	info, err := os.Stat(path)
	if err != nil {
		return "", err
	}
	if !info.Mode().IsRegular() {
		return "", fmt.Errorf("nkey seed %s is not a regular file", path)
	}
	if info.Mode().Perm()&0o077 != 0 {
		return "", fmt.Errorf("nkey seed %s may be read by other users; run chmod 600 %s", path, path)
	}
	raw, err := os.ReadFile(path)
	if err != nil {
		return "", fmt.Errorf("read nkey seed: %w", err)
	}
	kp, err := nkeys.ParseDecoratedNKey(raw)
	if err != nil {
		return "", fmt.Errorf("invalid nkey seed %s: %w; delete it to have a new one created", path, err)
	}
	publicKey, err := kp.PublicKey()
	if err != nil {
		return "", fmt.Errorf("invalid nkey seed %s: %w", path, err)
	}
	if !nkeys.IsValidPublicUserKey(publicKey) {
		return "", fmt.Errorf("invalid nkey seed %s: it is not a user seed (SU...); delete it to have a new one created", path)
	}
	return publicKey, nil
}

// writeNewFile writes data to a temporary file beside path and links it to
// path, which fails with fs.ErrExist if path exists.
func writeNewFile(path string, data []byte) error {
	tmp, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+"-*")
	if err != nil {
		return fmt.Errorf("create %s: %w", path, err)
	}
	// CreateTemp makes the file readable by its owner only (0600).
	defer os.Remove(tmp.Name())
	if _, err := tmp.Write(data); err != nil {
		tmp.Close()
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err := os.Link(tmp.Name(), path); err != nil {
		if errors.Is(err, fs.ErrExist) {
			return err
		}
		return fmt.Errorf("create %s: %w", path, err)
	}
	return nil
}
