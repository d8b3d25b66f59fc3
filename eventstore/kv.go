package eventstore

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
)

// DefaultSnapshotBucket is the JetStream key-value bucket that caches
// read-model snapshots. Deleting it loses nothing but start-up time,
// because a read model without a snapshot rebuilds from the event log.
const DefaultSnapshotBucket = "PLANLEDGER_SNAPSHOTS"

// ErrValueTooLarge is returned by Snapshots.Put for a value that does not
// fit in one NATS message.
var ErrValueTooLarge = errors.New("value is larger than the NATS server's max payload")

// Snapshots is a key-value bucket of read-model snapshots: file storage,
// the event stream's replica count, and only the latest value of each key.
// It is safe for concurrent use.
type Snapshots struct {
	js     jetstream.JetStream
	nc     *nats.Conn
	config jetstream.KeyValueConfig

	mu sync.Mutex
	kv jetstream.KeyValue
}

// OpenSnapshots creates the bucket, or updates its configuration when it
// exists.
func (s *Store) OpenSnapshots(ctx context.Context, bucket string) (*Snapshots, error) {
	replicas := 1
	if info := s.stream.CachedInfo(); info != nil {
		replicas = info.Config.Replicas
	}
	b := &Snapshots{
		js: s.js,
		nc: s.nc,
		config: jetstream.KeyValueConfig{
			Bucket:      bucket,
			Description: "planledger read-model snapshots; deleting them only makes the next start replay the whole log",
			History:     1,
			Storage:     jetstream.FileStorage,
			Replicas:    replicas,
		},
	}
	if err := b.open(ctx); err != nil {
		return nil, err
	}
	return b, nil
}

func (b *Snapshots) open(ctx context.Context) error {
	kv, err := b.js.CreateOrUpdateKeyValue(ctx, b.config)
	if err != nil {
		return fmt.Errorf("open key-value bucket %s: %w", b.config.Bucket, err)
	}
	b.mu.Lock()
	b.kv = kv
	b.mu.Unlock()
	return nil
}

func (b *Snapshots) bucket() jetstream.KeyValue {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.kv
}

// Get returns the value of key. found is false when the key, or the whole
// bucket, no longer exists.
func (b *Snapshots) Get(ctx context.Context, key string) (value []byte, found bool, err error) {
	entry, err := b.bucket().Get(ctx, key)
	if errors.Is(err, jetstream.ErrKeyNotFound) || errors.Is(err, jetstream.ErrBucketNotFound) {
		return nil, false, nil
	}
	if err != nil {
		return nil, false, fmt.Errorf("read key %s of bucket %s: %w", key, b.config.Bucket, err)
	}
	return entry.Value(), true, nil
}

// Put stores value under key, replacing the previous value. A value larger
// than the server's max payload returns an error wrapping ErrValueTooLarge.
// When the put fails for another reason, such as the bucket having been
// deleted, Put creates the bucket again and retries once.
func (b *Snapshots) Put(ctx context.Context, key string, value []byte) error {
	if limit := b.nc.MaxPayload(); int64(len(value)) > limit {
		return fmt.Errorf("put key %s of bucket %s: %w: %d bytes, limit %d", key, b.config.Bucket, ErrValueTooLarge, len(value), limit)
	}
	_, err := b.bucket().Put(ctx, key, value)
	if err == nil {
		return nil
	}
	if errors.Is(err, nats.ErrMaxPayload) {
		return fmt.Errorf("put key %s of bucket %s: %w: %v", key, b.config.Bucket, ErrValueTooLarge, err)
	}
	if openErr := b.open(ctx); openErr != nil {
		return fmt.Errorf("put key %s of bucket %s: %w (recreating the bucket also failed: %v)", key, b.config.Bucket, err, openErr)
	}
	if _, err := b.bucket().Put(ctx, key, value); err != nil {
		return fmt.Errorf("put key %s of bucket %s: %w", key, b.config.Bucket, err)
	}
	return nil
}

// Origin names the event log as "<stream>@<creation time>". The name
// changes when the stream is deleted and created again, so a snapshot of
// the old log is not mistaken for one of the new log.
func (s *Store) Origin(ctx context.Context) (string, error) {
	info, err := s.stream.Info(ctx)
	if err != nil {
		return "", fmt.Errorf("read info of stream %s: %w", s.name, err)
	}
	return s.name + "@" + info.Created.UTC().Format(time.RFC3339Nano), nil
}
