// gvo-bot's database schema as numbered migrations. Columns holding personal data are BLOBs sealed
// by storage::Sealer, bound to their table, column and row id; nothing personal is stored in clear.
// Times are Unix seconds (UTC) unless a column says otherwise.
#include "storage/migrations.hpp"

namespace gvo::storage {

const std::vector<Migration>& schema_migrations() {
  static const std::vector<Migration> kMigrations = {
      {1, "settings and peers", R"sql(
        -- Facts about this database, such as the sealed value that proves the key is the right one.
        CREATE TABLE meta (
          name  TEXT PRIMARY KEY,
          value BLOB NOT NULL
        ) STRICT;

        -- Everyone the bot talks with, by transport address. The address is sealed; lookup is its
        -- keyed hash (Sealer::blind_index), so a peer can be found without storing it in clear.
        CREATE TABLE peers (
          id         INTEGER PRIMARY KEY,
          lookup     BLOB NOT NULL UNIQUE,
          address    BLOB NOT NULL,
          created_at INTEGER NOT NULL
        ) STRICT;
      )sql"},
      {2, "inbound deduplication and outbox", R"sql(
        -- Messages already taken in, by sender and the sender's timestamp (milliseconds), so that a
        -- redelivered message has no second effect.
        CREATE TABLE inbound_seen (
          peer_id     INTEGER NOT NULL REFERENCES peers(id) ON DELETE CASCADE,
          sent_at_ms  INTEGER NOT NULL,
          received_at INTEGER NOT NULL,
          PRIMARY KEY (peer_id, sent_at_ms)
        ) STRICT, WITHOUT ROWID;

        -- Messages to send, written in the same transaction as what caused them; deleted once the
        -- transport has taken them. body is sealed.
        CREATE TABLE outbox (
          id              INTEGER PRIMARY KEY,
          peer_id         INTEGER NOT NULL REFERENCES peers(id) ON DELETE CASCADE,
          body            BLOB NOT NULL,
          created_at      INTEGER NOT NULL,
          attempts        INTEGER NOT NULL DEFAULT 0,
          next_attempt_at INTEGER NOT NULL
        ) STRICT;
        CREATE INDEX outbox_by_next_attempt ON outbox(next_attempt_at);
      )sql"},
      {3, "timers", R"sql(
        -- Reminders, timeouts, deadline alerts and purges are rows, so they survive restarts; the
        -- bot wakes for the earliest. subject names what the timer concerns, never personal data.
        CREATE TABLE timers (
          id      INTEGER PRIMARY KEY,
          kind    TEXT NOT NULL,
          subject TEXT NOT NULL,
          due_at  INTEGER NOT NULL,
          UNIQUE (kind, subject)
        ) STRICT;
        CREATE INDEX timers_by_due_at ON timers(due_at);
      )sql"},
      {4, "signal protocol stores", R"sql(
        -- The bot's own Signal-protocol identity (one row). The private key is sealed.
        CREATE TABLE signal_identity (
          id               INTEGER PRIMARY KEY CHECK (id = 1),
          registration_id  INTEGER NOT NULL,
          public_key       BLOB NOT NULL,
          private_key      BLOB NOT NULL,
          next_pre_key_id  INTEGER NOT NULL,
          signed_pre_key_id INTEGER NOT NULL
        ) STRICT;

        -- Pre-key and session records hold private keys: sealed, bound to their row.
        CREATE TABLE signal_pre_keys (
          id     INTEGER PRIMARY KEY,
          record BLOB NOT NULL
        ) STRICT;
        CREATE TABLE signal_signed_pre_keys (
          id         INTEGER PRIMARY KEY,
          record     BLOB NOT NULL,
          created_at INTEGER NOT NULL
        ) STRICT;

        -- Peers appear by a keyed hash of their address (Sealer::blind_index), never in clear.
        CREATE TABLE signal_sessions (
          address BLOB NOT NULL,
          device  INTEGER NOT NULL,
          record  BLOB NOT NULL,
          PRIMARY KEY (address, device)
        ) STRICT, WITHOUT ROWID;
        CREATE TABLE signal_identities (
          address      BLOB PRIMARY KEY,
          identity_key BLOB NOT NULL
        ) STRICT, WITHOUT ROWID;
        CREATE TABLE signal_sender_keys (
          group_id BLOB NOT NULL,
          address  BLOB NOT NULL,
          device   INTEGER NOT NULL,
          record   BLOB NOT NULL,
          PRIMARY KEY (group_id, address, device)
        ) STRICT, WITHOUT ROWID;
      )sql"},
      {5, "outbox ciphertexts", R"sql(
        -- A message is encrypted once, and the ciphertext committed with the ratchet state before
        -- it is sent: a retry sends the same bytes, never a second encryption.
        ALTER TABLE outbox ADD COLUMN ciphertext BLOB;
        ALTER TABLE outbox ADD COLUMN kind INTEGER;
        ALTER TABLE outbox ADD COLUMN sent_at_ms INTEGER;
      )sql"},
      {6, "conversations", R"sql(
        -- Each person's conversation with the bot: the flow session, sealed (it holds answers).
        CREATE TABLE conversations (
          peer_id    INTEGER PRIMARY KEY REFERENCES peers(id) ON DELETE CASCADE,
          state      BLOB NOT NULL,
          updated_at INTEGER NOT NULL
        ) STRICT;
      )sql"},
      {7, "cases", R"sql(
        -- One detained person as GVO follows them. The intake (every answer) is sealed; what the
        -- bot finds cases by (centre, name keys) is kept only as keyed hashes. Times: Unix seconds.
        CREATE TABLE cases (
          id           INTEGER PRIMARY KEY,
          reference    TEXT NOT NULL UNIQUE,
          host_peer_id INTEGER REFERENCES peers(id) ON DELETE SET NULL,
          centre_key   BLOB NOT NULL,
          status       TEXT NOT NULL,
          created_at   INTEGER NOT NULL,
          updated_at   INTEGER NOT NULL,
          intake       BLOB NOT NULL
        ) STRICT;
        CREATE INDEX cases_by_host ON cases(host_peer_id);
        CREATE INDEX cases_by_centre ON cases(centre_key);

        -- Every change to a case: who (a role, and the peer when there is one), when, what, and
        -- why (sealed: people's own words).
        CREATE TABLE case_events (
          id            INTEGER PRIMARY KEY,
          case_id       INTEGER NOT NULL REFERENCES cases(id) ON DELETE CASCADE,
          at            INTEGER NOT NULL,
          actor         TEXT NOT NULL,
          actor_peer_id INTEGER REFERENCES peers(id) ON DELETE SET NULL,
          kind          TEXT NOT NULL,
          status        TEXT,
          detail        BLOB
        ) STRICT;
        CREATE INDEX case_events_by_case ON case_events(case_id, id);

        -- Reports that look like the same person; stored both ways.
        CREATE TABLE case_links (
          case_id  INTEGER NOT NULL REFERENCES cases(id) ON DELETE CASCADE,
          other_id INTEGER NOT NULL REFERENCES cases(id) ON DELETE CASCADE,
          at       INTEGER NOT NULL,
          PRIMARY KEY (case_id, other_id)
        ) STRICT, WITHOUT ROWID;

        -- Keyed hashes of name skeletons (bot/cases/matching.hpp), to find a case's twins.
        CREATE TABLE case_name_keys (
          key     BLOB NOT NULL,
          case_id INTEGER NOT NULL REFERENCES cases(id) ON DELETE CASCADE,
          PRIMARY KEY (key, case_id)
        ) STRICT, WITHOUT ROWID;
        CREATE INDEX case_name_keys_by_case ON case_name_keys(case_id);
      )sql"},
      {8, "staff and audit", R"sql(
        -- GVO's coordinators and referents, found by a keyed hash of their address (sealed). A
        -- member acts only when active: their identity key was checked out of band and pinned.
        CREATE TABLE staff (
          id          INTEGER PRIMARY KEY,
          address_key BLOB NOT NULL UNIQUE,
          address     BLOB NOT NULL,
          role        TEXT NOT NULL CHECK (role IN ('coordinator', 'referent')),
          centres     TEXT NOT NULL,
          language    TEXT NOT NULL,
          state       TEXT NOT NULL CHECK (state IN ('unverified', 'active', 'suspended')),
          pinned_key  BLOB,
          added_at    INTEGER NOT NULL,
          changed_at  INTEGER NOT NULL
        ) STRICT;
        ALTER TABLE cases ADD COLUMN assigned_staff_id INTEGER REFERENCES staff(id)
          ON DELETE SET NULL;

        -- Who did what to which case, and when; never a field's value. The case is named by its
        -- reference, sealed, so that the trail outlives an erased case without naming it.
        CREATE TABLE audit (
          id             INTEGER PRIMARY KEY,
          at             INTEGER NOT NULL,
          actor          TEXT NOT NULL,
          actor_staff_id INTEGER REFERENCES staff(id) ON DELETE SET NULL,
          action         TEXT NOT NULL,
          subject_key    BLOB,
          subject        BLOB
        ) STRICT;
        CREATE INDEX audit_by_subject ON audit(subject_key, id);

        -- What retention leaves of purged cases and conversations: counts, nothing else.
        CREATE TABLE purged_counts (
          month   TEXT NOT NULL,
          centre  TEXT NOT NULL,
          outcome TEXT NOT NULL,
          count   INTEGER NOT NULL,
          PRIMARY KEY (month, centre, outcome)
        ) STRICT, WITHOUT ROWID;
      )sql"},
      {9, "outbox by recipient", R"sql(
        -- Transports send each recipient's messages in order and look up what follows the one
        -- on its way (a long answer in parts); deleting a peer finds its rows. Nothing read the
        -- rows by due time.
        DROP INDEX outbox_by_next_attempt;
        CREATE INDEX outbox_by_peer ON outbox(peer_id, id);
      )sql"},
      {10, "inbound messages kept for another try", R"sql(
        -- Messages signal-cli handed over (and acknowledged to Signal) whose taking-in failed:
        -- kept, sealed, until they are taken in.
        CREATE TABLE inbox (
          id              INTEGER PRIMARY KEY,
          peer_id         INTEGER NOT NULL REFERENCES peers(id) ON DELETE CASCADE,
          sent_at_ms      INTEGER NOT NULL,
          body            BLOB NOT NULL,
          attempts        INTEGER NOT NULL DEFAULT 1,
          next_attempt_at INTEGER NOT NULL
        ) STRICT;
        CREATE INDEX inbox_by_peer ON inbox(peer_id);
      )sql"},
      {11, "the confidentiality gate and staff enrolment", R"sql(
        -- Whom a queued message is for, read by the gate at the moment it leaves: a host's own
        -- conversation, case data for staff (only to an active member whose key is the pinned
        -- one), or a notice that holds no case data (the answer to a member not yet active).
        ALTER TABLE outbox ADD COLUMN audience TEXT NOT NULL DEFAULT 'host'
          CHECK (audience IN ('host', 'staff', 'notice'));
        -- When it was queued (Unix milliseconds): a key read before then does not vouch for
        -- the key the message will be encrypted to (ids are reused once rows are gone).
        ALTER TABLE outbox ADD COLUMN queued_at_ms INTEGER NOT NULL DEFAULT 0;

        -- Staff are enrolled, never first-come: a one-time code (kept only as a keyed hash, with
        -- its expiry and the wrong tries against it) that the member's first message carries.
        ALTER TABLE staff ADD COLUMN enrol_key BLOB;
        ALTER TABLE staff ADD COLUMN enrol_expires_at INTEGER;
        ALTER TABLE staff ADD COLUMN enrol_failures INTEGER NOT NULL DEFAULT 0;
        -- Before this version a member could be made active "on first use": the first key that
        -- wrote was pinned, whoever held the address. Nothing tells those from members verified
        -- by fingerprint, so every member enrols again (gvo-bot staff enrol) or is verified.
        UPDATE staff SET state = 'unverified', pinned_key = NULL WHERE state = 'active';
        -- Rows queued before the gate say nothing of whom they are for: they are taken for staff
        -- data (to a host, dropped; to an active member with the pinned key, sent).
        UPDATE outbox SET audience = 'staff';
      )sql"},
      {12, "queued messages about a case", R"sql(
        -- The case a queued message is about (its alert, a staff member's answer about it):
        -- erasing the case drops what still waits to go, in the same transaction.
        ALTER TABLE outbox ADD COLUMN case_id INTEGER REFERENCES cases(id) ON DELETE CASCADE;
        CREATE INDEX outbox_by_case ON outbox(case_id) WHERE case_id IS NOT NULL;
      )sql"},
      {13, "the hosts of a case and their requests for a person", R"sql(
        -- Everyone who reported a case and may be written to about it: the host who filed it and
        -- the hosts of the reports merged into it. Their addresses are the peers' (sealed); a
        -- host who asks to be forgotten leaves it, and so does everyone when the case goes.
        CREATE TABLE case_hosts (
          case_id  INTEGER NOT NULL REFERENCES cases(id) ON DELETE CASCADE,
          peer_id  INTEGER NOT NULL REFERENCES peers(id) ON DELETE CASCADE,
          added_at INTEGER NOT NULL,
          PRIMARY KEY (case_id, peer_id)
        ) STRICT, WITHOUT ROWID;
        CREATE INDEX case_hosts_by_peer ON case_hosts(peer_id, case_id);
        INSERT INTO case_hosts(case_id, peer_id, added_at)
          SELECT id, host_peer_id, created_at FROM cases WHERE host_peer_id IS NOT NULL;

        -- A host's "human" (they want a person to answer): open until a member of staff closes
        -- it. Who and when only: what was said is in the case's events and the outbox.
        CREATE TABLE help_requests (
          id        INTEGER PRIMARY KEY,
          peer_id   INTEGER NOT NULL REFERENCES peers(id) ON DELETE CASCADE,
          case_id   INTEGER REFERENCES cases(id) ON DELETE SET NULL,
          opened_at INTEGER NOT NULL,
          closed_at INTEGER,
          closed_by INTEGER REFERENCES staff(id) ON DELETE SET NULL
        ) STRICT;
        CREATE INDEX help_requests_open ON help_requests(peer_id) WHERE closed_at IS NULL;
      )sql"},
  };
  return kMigrations;
}

}  // namespace gvo::storage
