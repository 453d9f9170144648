package store

import (
	"context"
	"crypto/ed25519"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
)

// DeviceKey is an edge device's registered Ed25519 public key.
type DeviceKey struct {
	KeyID        string
	Device       string
	Public       ed25519.PublicKey
	RegisteredBy string
	RegisteredAt time.Time
}

// RegisterDeviceKey stores a device's public key under its key id. A key
// id is registered once: replacing a key would change the verdict on every
// package already reviewed.
func (s *Store) RegisterDeviceKey(ctx context.Context, k DeviceKey) error {
	tag, err := s.Pool.Exec(ctx, `INSERT INTO device_keys (key_id, device, public_key, registered_by)
		VALUES ($1, $2, $3, $4) ON CONFLICT (key_id) DO NOTHING`, k.KeyID, k.Device, []byte(k.Public), k.RegisteredBy)
	if err != nil {
		return fmt.Errorf("register key %s: %w", k.KeyID, err)
	}
	if tag.RowsAffected() == 0 {
		return fmt.Errorf("key %s: %w", k.KeyID, ErrExists)
	}
	return nil
}

// DeviceKeyByID finds a registered key; ErrNotFound when none.
func (s *Store) DeviceKeyByID(ctx context.Context, keyID string) (DeviceKey, error) {
	k := DeviceKey{KeyID: keyID}
	var pub []byte
	err := s.Pool.QueryRow(ctx, `SELECT device, public_key, registered_by, registered_at FROM device_keys WHERE key_id=$1`, keyID).
		Scan(&k.Device, &pub, &k.RegisteredBy, &k.RegisteredAt)
	if errors.Is(err, pgx.ErrNoRows) {
		return DeviceKey{}, ErrNotFound
	}
	if err != nil {
		return DeviceKey{}, fmt.Errorf("device key %s: %w", keyID, err)
	}
	k.Public = ed25519.PublicKey(pub)
	return k, nil
}

// DeviceKeys lists the registered keys, newest first.
func (s *Store) DeviceKeys(ctx context.Context) ([]DeviceKey, error) {
	rows, err := s.Pool.Query(ctx, `SELECT key_id, device, public_key, registered_by, registered_at FROM device_keys ORDER BY registered_at DESC`)
	if err != nil {
		return nil, fmt.Errorf("device keys: %w", err)
	}
	defer rows.Close()
	var out []DeviceKey
	for rows.Next() {
		var k DeviceKey
		var pub []byte
		if err := rows.Scan(&k.KeyID, &k.Device, &pub, &k.RegisteredBy, &k.RegisteredAt); err != nil {
			return nil, fmt.Errorf("device keys: %w", err)
		}
		k.Public = pub
		out = append(out, k)
	}
	return out, rows.Err()
}
