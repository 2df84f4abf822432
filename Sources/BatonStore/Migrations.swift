import GRDB

/// The versioned schema. Migrations are only ever appended.
enum Migrations {
    static var migrator: DatabaseMigrator {
        var migrator = DatabaseMigrator()
        migrator.registerMigration("v1") { db in
            try db.execute(
                sql: """
                    CREATE TABLE reps (
                        id TEXT PRIMARY KEY NOT NULL,
                        logged_in INTEGER NOT NULL,
                        lease_expires_at INTEGER,
                        data BLOB NOT NULL
                    );
                    CREATE INDEX reps_lease ON reps(lease_expires_at) WHERE lease_expires_at IS NOT NULL;
                    CREATE TABLE teams (id TEXT PRIMARY KEY NOT NULL, data BLOB NOT NULL);
                    CREATE TABLE chats (
                        id TEXT PRIMARY KEY NOT NULL,
                        owner_rep_id TEXT NOT NULL,
                        team_id TEXT NOT NULL,
                        state INTEGER NOT NULL,
                        updated_at INTEGER NOT NULL,
                        data BLOB NOT NULL
                    );
                    CREATE INDEX chats_owner ON chats(owner_rep_id, state);
                    CREATE INDEX chats_team ON chats(team_id, state);
                    CREATE TABLE transcript_entries (
                        chat_id TEXT NOT NULL,
                        sequence INTEGER NOT NULL,
                        everyone INTEGER NOT NULL,
                        data BLOB NOT NULL,
                        PRIMARY KEY (chat_id, sequence)
                    ) WITHOUT ROWID;
                    CREATE TABLE transfers (
                        id TEXT PRIMARY KEY NOT NULL,
                        chat_id TEXT NOT NULL,
                        state INTEGER NOT NULL,
                        expires_at INTEGER NOT NULL,
                        data BLOB NOT NULL
                    );
                    CREATE INDEX transfers_pending ON transfers(expires_at) WHERE state = 1;
                    CREATE TABLE events (
                        sequence INTEGER PRIMARY KEY,
                        kind INTEGER NOT NULL,
                        chat_id TEXT NOT NULL,
                        actor_rep_id TEXT NOT NULL,
                        request_id TEXT NOT NULL,
                        data BLOB NOT NULL
                    );
                    CREATE INDEX events_chat ON events(chat_id, sequence);
                    CREATE INDEX events_kind ON events(kind, sequence);
                    CREATE TABLE event_reps (
                        rep_id TEXT NOT NULL, sequence INTEGER NOT NULL, PRIMARY KEY (rep_id, sequence)
                    ) WITHOUT ROWID;
                    CREATE TABLE event_teams (
                        team_id TEXT NOT NULL, sequence INTEGER NOT NULL, PRIMARY KEY (team_id, sequence)
                    ) WITHOUT ROWID;
                    CREATE TABLE idempotency (
                        method TEXT NOT NULL,
                        key TEXT NOT NULL,
                        fingerprint BLOB NOT NULL,
                        response BLOB NOT NULL,
                        created_at INTEGER NOT NULL,
                        PRIMARY KEY (method, key)
                    ) WITHOUT ROWID;
                    CREATE TABLE id_counters (kind TEXT PRIMARY KEY NOT NULL, value INTEGER NOT NULL);
                    """
            )
        }
        registerCalendars(&migrator)
        registerRetention(&migrator)
        registerUnusedEventIndexesDropped(&migrator)
        registerIdempotencyInInsertionOrder(&migrator)
        return migrator
    }
}
