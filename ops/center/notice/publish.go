package notice

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	"github.com/segmentio/kafka-go"

	"github.com/stopline/stopline/ops/center/store"
)

// Publisher sends the queued notices (reviewed_outbox) to Kafka and marks
// them published. A notice is stored with its decision first, so a broker
// outage delays notices and loses none; a crash between send and mark
// sends one again (the decision_id tells a consumer it is a repeat).
// Instances lock the rows they send, so two never send the same notice.
type Publisher struct {
	Brokers []string
	Store   *store.Store
	Log     *slog.Logger
	// Every is how often the queue is polled besides Kick; 2 s if zero.
	Every time.Duration

	w      *kafka.Writer
	kick   chan struct{}
	cancel context.CancelFunc
	done   chan struct{}
}

// Start begins publishing until Close.
func (p *Publisher) Start(ctx context.Context) error {
	if p.Log == nil {
		p.Log = slog.Default()
	}
	if p.Every == 0 {
		p.Every = 2 * time.Second
	}
	p.w = &kafka.Writer{Addr: kafka.TCP(p.Brokers...), Topic: Topic, Balancer: &kafka.Hash{},
		RequiredAcks: kafka.RequireAll, BatchTimeout: 10 * time.Millisecond, AllowAutoTopicCreation: true}
	p.kick = make(chan struct{}, 1)
	p.done = make(chan struct{})
	ctx, p.cancel = context.WithCancel(ctx)
	go p.loop(ctx)
	return nil
}

// Kick publishes now (a decision was just stored).
func (p *Publisher) Kick() {
	select {
	case p.kick <- struct{}{}:
	default:
	}
}

func (p *Publisher) loop(ctx context.Context) {
	defer close(p.done)
	t := time.NewTicker(p.Every)
	defer t.Stop()
	for {
		if err := p.flush(ctx); err != nil && ctx.Err() == nil {
			p.Log.Warn("publishing review notices", "err", err)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		case <-p.kick:
		}
	}
}

func (p *Publisher) flush(ctx context.Context) error {
	for {
		n, err := p.Store.PublishPending(ctx, 100, func(ns []store.Notice) error {
			msgs := make([]kafka.Message, len(ns))
			for i, n := range ns {
				msgs[i] = kafka.Message{Key: []byte(n.EventID), Value: n.Body}
			}
			wctx, cancel := context.WithTimeout(ctx, 30*time.Second)
			defer cancel()
			if err := p.w.WriteMessages(wctx, msgs...); err != nil {
				return fmt.Errorf("write %d notices to %s: %w", len(msgs), Topic, err)
			}
			return nil
		})
		if err != nil || n == 0 {
			return err
		}
	}
}

// Close stops publishing.
func (p *Publisher) Close() error {
	if p.cancel == nil {
		return nil
	}
	p.cancel()
	<-p.done
	return p.w.Close()
}
