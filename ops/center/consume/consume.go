// Package consume reads the edge's Kafka topics into the store. Offsets
// are committed only after the row is stored, so a crash replays records
// and the store's idempotence drops the repeats: nothing lost, nothing twice.
package consume

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/segmentio/kafka-go"

	"github.com/stopline/stopline/ops/center/store"
)

// Topic names, as the edge publishes them (ops/config.go defaults).
const (
	TopicViolations   = "stopline.violations"
	TopicCameraStatus = "stopline.camera-status"
)

// Consumer is one consumer-group member per topic.
type Consumer struct {
	Brokers []string
	GroupID string
	Store   *store.Store
	Log     *slog.Logger

	cancel context.CancelFunc
	done   chan error
	// stored, when set (tests), runs between storing a record and
	// committing its offset; an error stops the reader there, as a crash.
	stored func(kafka.Message) error
}

// Start begins consuming until Close.
func (c *Consumer) Start(ctx context.Context) error {
	if c.Log == nil {
		c.Log = slog.Default()
	}
	ctx, c.cancel = context.WithCancel(ctx)
	c.done = make(chan error, 2)
	for _, topic := range []string{TopicViolations, TopicCameraStatus} {
		r := kafka.NewReader(kafka.ReaderConfig{
			Brokers:        c.Brokers,
			GroupID:        c.GroupID,
			Topic:          topic,
			MinBytes:       1,
			MaxBytes:       10 << 20,
			MaxWait:        500 * time.Millisecond,
			CommitInterval: 0, // synchronous commits, after the row is stored
			StartOffset:    kafka.FirstOffset,
		})
		go func(topic string) { c.done <- c.run(ctx, r, topic) }(topic)
	}
	return nil
}

func (c *Consumer) run(ctx context.Context, r *kafka.Reader, topic string) error {
	defer r.Close()
	for {
		m, err := r.FetchMessage(ctx)
		if err != nil {
			if ctx.Err() != nil {
				return nil
			}
			return fmt.Errorf("fetch %s: %w", topic, err)
		}
		if err := c.put(ctx, m); err != nil {
			if !errors.Is(err, store.ErrInvalid) {
				if ctx.Err() != nil {
					return nil
				}
				// Not committed: the record comes back after a restart.
				return fmt.Errorf("%s offset %d: %w", topic, m.Offset, err)
			}
			c.Log.Warn("skipping invalid record", "topic", topic, "offset", m.Offset, "err", err)
		}
		if c.stored != nil {
			if err := c.stored(m); err != nil {
				return err
			}
		}
		if err := r.CommitMessages(ctx, m); err != nil {
			if ctx.Err() != nil {
				return nil
			}
			return fmt.Errorf("commit %s offset %d: %w", topic, m.Offset, err)
		}
	}
}

func (c *Consumer) put(ctx context.Context, m kafka.Message) error {
	switch m.Topic {
	case TopicViolations:
		_, err := c.Store.PutViolation(ctx, m.Value)
		return err
	case TopicCameraStatus:
		_, err := c.Store.PutCameraStatus(ctx, m.Topic, m.Partition, m.Offset, m.Value)
		return err
	}
	return fmt.Errorf("unexpected topic %q", m.Topic)
}

// Close stops both readers and returns the first error they met.
func (c *Consumer) Close() error {
	if c.cancel == nil {
		return nil
	}
	c.cancel()
	var first error
	for i := 0; i < 2; i++ {
		if err := <-c.done; err != nil && first == nil {
			first = err
		}
	}
	return first
}
