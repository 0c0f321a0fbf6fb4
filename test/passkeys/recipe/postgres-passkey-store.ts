import type { PasskeyStore, StoredPasskey } from 'express-magic-link';
import type { Pool } from 'pg';

/** Run once (a migration): one row per passkey, found by credential id or by user. */
export const PASSKEYS_TABLE = `
  CREATE TABLE IF NOT EXISTS passkeys (
    id           text PRIMARY KEY,
    user_id      text NOT NULL,
    profile      jsonb NOT NULL,
    public_key   text NOT NULL,
    counter      bigint NOT NULL,
    transports   text[] NOT NULL,
    name         text NOT NULL,
    backed_up    boolean NOT NULL,
    created_at   timestamptz NOT NULL,
    last_used_at timestamptz
  );
  CREATE INDEX IF NOT EXISTS passkeys_user_id ON passkeys (user_id);`;

interface PasskeyRow {
  id: string;
  user_id: string;
  profile: StoredPasskey['profile'];
  public_key: string;
  counter: string; // bigint arrives as a string
  transports: string[];
  name: string;
  backed_up: boolean;
  created_at: Date;
  last_used_at: Date | null;
}

function fromRow(row: PasskeyRow): StoredPasskey {
  return {
    id: row.id,
    userId: row.user_id,
    profile: row.profile,
    publicKey: row.public_key,
    counter: Number(row.counter),
    transports: row.transports,
    name: row.name,
    backedUp: row.backed_up,
    createdAt: row.created_at,
    lastUsedAt: row.last_used_at,
  };
}

/** A PasskeyStore of your own, on your database, through node-postgres. */
export function myPasskeyStore(pool: Pool): PasskeyStore {
  return {
    async create(p) {
      await pool.query(
        `INSERT INTO passkeys (id, user_id, profile, public_key, counter, transports, name,
           backed_up, created_at, last_used_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)`,
        [
          p.id,
          p.userId,
          JSON.stringify(p.profile),
          p.publicKey,
          p.counter,
          p.transports,
          p.name,
          p.backedUp,
          p.createdAt,
          p.lastUsedAt,
        ],
      );
    },
    async get(id) {
      const { rows } = await pool.query<PasskeyRow>('SELECT * FROM passkeys WHERE id = $1', [id]);
      return rows[0] ? fromRow(rows[0]) : null;
    },
    async listByUser(userId) {
      const { rows } = await pool.query<PasskeyRow>(
        'SELECT * FROM passkeys WHERE user_id = $1 ORDER BY created_at, id',
        [userId],
      );
      return rows.map(fromRow);
    },
    async use(userId, id, counter, usedAt) {
      // Compare-and-set: of two sign-ins racing with one counter value (a cloned key), one wins.
      const { rowCount } = await pool.query(
        `UPDATE passkeys SET counter = $3, last_used_at = $4
         WHERE user_id = $1 AND id = $2 AND (counter < $3 OR (counter = 0 AND $3 = 0))`,
        [userId, id, counter, usedAt],
      );
      return rowCount === 1;
    },
    async rename(userId, id, name) {
      const { rowCount } = await pool.query(
        'UPDATE passkeys SET name = $3 WHERE user_id = $1 AND id = $2',
        [userId, id, name],
      );
      return rowCount === 1;
    },
    async delete(userId, id) {
      const { rowCount } = await pool.query('DELETE FROM passkeys WHERE user_id = $1 AND id = $2', [
        userId,
        id,
      ]);
      return rowCount === 1;
    },
    async deleteByUser(userId) {
      const { rowCount } = await pool.query('DELETE FROM passkeys WHERE user_id = $1', [userId]);
      return rowCount ?? 0;
    },
  };
}
