package cloudevents_test

import (
	"context"
	"encoding/json"
	"fmt"
	"log"
	"time"

	"github.com/cloudevents/sdk-go/v2/event"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
)

// Example_consume reads level changes as CloudEvents from the beginning of
// the stream, as a program outside planledger would, with nats.go and the
// CloudEvents SDK only. docs/cloudevents.md shows the same code.
func Example_consume() {
	reader, err := nats.NkeyOptionFromSeed("planledger-data/nats-reader.nk")
	if err != nil {
		log.Fatal(err)
	}
	nc, err := nats.Connect("nats://127.0.0.1:4222", reader)
	if err != nil {
		log.Fatal(err)
	}
	defer nc.Close()
	js, err := jetstream.New(nc)
	if err != nil {
		log.Fatal(err)
	}
	ctx := context.Background()
	stream, err := js.Stream(ctx, "PLANLEDGER_CLOUDEVENTS")
	if err != nil {
		log.Fatal(err)
	}

	// DeliverAllPolicy starts at the beginning. To start elsewhere, use
	// DeliverByStartSequencePolicy with OptStartSeq, or
	// DeliverByStartTimePolicy with OptStartTime.
	consumer, err := stream.OrderedConsumer(ctx, jetstream.OrderedConsumerConfig{
		FilterSubjects: []string{"cloudevents.planledger.level.>"},
		DeliverPolicy:  jetstream.DeliverAllPolicy,
	})
	if err != nil {
		log.Fatal(err)
	}
	consuming, err := consumer.Consume(func(msg jetstream.Msg) {
		var ce event.Event
		if err := json.Unmarshal(msg.Data(), &ce); err != nil {
			log.Printf("skip a message that is not a CloudEvent: %v", err)
			return
		}
		var level struct {
			OrgCode string `json:"org_code"`
			Level   int    `json:"level"`
		}
		if err := ce.DataAs(&level); err != nil {
			log.Printf("skip CloudEvent %s: %v", ce.ID(), err)
			return
		}
		fmt.Println(ce.Type(), level.OrgCode, level.Level, ce.Extensions()["effectiveat"])
	})
	if err != nil {
		log.Fatal(err)
	}
	defer consuming.Stop()
	time.Sleep(5 * time.Second)
}

// Example_startAtTime starts a durable consumer at the first CloudEvent
// the stream stored on or after an instant. A durable consumer keeps its
// position on the server, so the program resumes where it acknowledged.
func Example_startAtTime() {
	reader, err := nats.NkeyOptionFromSeed("planledger-data/nats-reader.nk")
	if err != nil {
		log.Fatal(err)
	}
	nc, err := nats.Connect("nats://127.0.0.1:4222", reader)
	if err != nil {
		log.Fatal(err)
	}
	defer nc.Close()
	js, err := jetstream.New(nc)
	if err != nil {
		log.Fatal(err)
	}
	ctx := context.Background()
	start := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	consumer, err := js.CreateOrUpdateConsumer(ctx, "PLANLEDGER_CLOUDEVENTS", jetstream.ConsumerConfig{
		Durable:       "reporting",
		DeliverPolicy: jetstream.DeliverByStartTimePolicy,
		OptStartTime:  &start,
		AckPolicy:     jetstream.AckExplicitPolicy,
	})
	if err != nil {
		log.Fatal(err)
	}
	batch, err := consumer.Fetch(100, jetstream.FetchMaxWait(2*time.Second))
	if err != nil {
		log.Fatal(err)
	}
	for msg := range batch.Messages() {
		fmt.Println(msg.Subject(), msg.Headers().Get("Planledger-Stream-Sequence"))
		if err := msg.Ack(); err != nil {
			log.Fatal(err)
		}
	}
}
