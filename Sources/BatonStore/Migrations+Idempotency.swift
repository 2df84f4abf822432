import GRDB

extension Migrations {
    /// Migration "v5": remembered responses in a rowid table, in the order they were remembered,
    /// with a unique index on (method, key). Keyed by (method, key) WITHOUT ROWID, each response
    /// (a kilobyte or more, two or three to a page) went to a random page that often split: the
    /// idempotency rows cost a transfer about four pages per commit. Appended by rowid they fill
    /// one page after the other, and only the small index entry lands at random.
    static func registerIdempotencyInInsertionOrder(_ migrator: inout DatabaseMigrator) {
        migrator.registerMigration("v5") { db in
            try db.execute(
                sql: """
                    CREATE TABLE idempotency_v5 (
                        method TEXT NOT NULL,
                        key TEXT NOT NULL,
                        fingerprint BLOB NOT NULL,
                        response BLOB NOT NULL,
                        created_at INTEGER NOT NULL
                    );
                    INSERT INTO idempotency_v5 (method, key, fingerprint, response, created_at)
                        SELECT method, key, fingerprint, response, created_at FROM idempotency ORDER BY created_at;
                    DROP TABLE idempotency;
                    ALTER TABLE idempotency_v5 RENAME TO idempotency;
                    CREATE UNIQUE INDEX idempotency_key ON idempotency(method, key);
                    CREATE INDEX idempotency_created ON idempotency(created_at);
                    """
            )
        }
    }
}
