package notice

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net"
	"testing"
	"time"

	"github.com/segmentio/kafka-go"
	"github.com/twmb/franz-go/pkg/kfake"

	"github.com/stopline/stopline/ops/center/pgtest"
	"github.com/stopline/stopline/ops/center/store"
)

// Two opscenter instances publish from one outbox: every notice reaches
// the topic exactly once, and notices queued while the broker was
// unreachable go out once it is there.
func TestTwoPublishersSendEachNoticeOnce(t *testing.T) {
	pg := pgtest.Start(t)
	ctx := context.Background()
	st, err := store.Open(ctx, pg.DSN(""))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	const n = 40
	var uid int64
	if err := st.Pool.QueryRow(ctx, `INSERT INTO users (name, role, password_hash) VALUES ('o', 'officer', 'x') RETURNING id`).Scan(&uid); err != nil {
		t.Fatal(err)
	}
	for i := 0; i < n; i++ {
		id := fmt.Sprintf("00000000-0000-8000-8000-%012d", i)
		if _, err := st.Pool.Exec(ctx, `INSERT INTO violations (event_id, camera, type, offence_time, event) VALUES ($1, 'cam', 'red_light', now(), '{}')`, id); err != nil {
			t.Fatal(err)
		}
		var did int64
		if err := st.Pool.QueryRow(ctx, `INSERT INTO decisions (event_id, decision, reason, user_id, officer, role) VALUES ($1, 'rejected', 'duplicate', $2, 'o', 'officer') RETURNING id`, id, uid).Scan(&did); err != nil {
			t.Fatal(err)
		}
		if _, err := st.Pool.Exec(ctx, `INSERT INTO reviewed_outbox (decision_id, event_id, notice) VALUES ($1, $2, $3)`, did, id, fmt.Sprintf(`{"decision_id": %d}`, did)); err != nil {
			t.Fatal(err)
		}
	}

	// The broker comes up on its port only after the publishers start.
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := l.Addr().(*net.TCPAddr).Port
	l.Close()
	addr := fmt.Sprintf("127.0.0.1:%d", port)
	quiet := slog.New(slog.NewTextHandler(io.Discard, nil))
	for i := 0; i < 2; i++ {
		p := &Publisher{Brokers: []string{addr}, Store: st, Log: quiet, Every: 100 * time.Millisecond}
		if err := p.Start(ctx); err != nil {
			t.Fatal(err)
		}
		defer p.Close()
	}
	time.Sleep(500 * time.Millisecond)
	c, err := kfake.NewCluster(kfake.Ports(port), kfake.SeedTopics(1, Topic))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()

	r := kafka.NewReader(kafka.ReaderConfig{Brokers: []string{addr}, Topic: Topic, Partition: 0, MaxWait: 200 * time.Millisecond})
	defer r.Close()
	seen := map[string]int{}
	rctx, cancel := context.WithTimeout(ctx, 60*time.Second)
	defer cancel()
	for len(seen) < n {
		m, err := r.ReadMessage(rctx)
		if err != nil {
			t.Fatalf("%d of %d notices read: %v", len(seen), n, err)
		}
		seen[string(m.Value)]++
	}
	// Anything sent twice would follow within a poll or two.
	time.Sleep(time.Second)
	more, cancel2 := context.WithTimeout(ctx, time.Second)
	defer cancel2()
	for {
		m, err := r.ReadMessage(more)
		if err != nil {
			break
		}
		seen[string(m.Value)]++
	}
	for v, k := range seen {
		if k != 1 {
			t.Errorf("notice %s sent %d times", v, k)
		}
	}
	var left int
	if err := st.Pool.QueryRow(ctx, `SELECT count(*) FROM reviewed_outbox WHERE published_at IS NULL`).Scan(&left); err != nil || left != 0 {
		t.Fatalf("%d notices left unpublished (%v)", left, err)
	}
}
