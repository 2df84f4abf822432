import Foundation
import Logging
import PostgresNIO

/// The versioned schema of the PostgreSQL store. Migrations are only ever appended; an applied
/// one is never edited. The layout mirrors the SQLite store's: the columns the queries filter
/// and order on, the serialized message in `data`, instants as int8 microseconds since 1970.
enum PostgresMigrations {
    /// The migrations in order; the version of each is its position, from 1. Each is a script
    /// whose statements end with a semicolon at the end of a line (the extended protocol takes one
    /// statement per query).
    static let all: [String] = [
        """
        CREATE TABLE reps (
            id text PRIMARY KEY,
            logged_in bool NOT NULL,
            lease_expires_at int8,
            data bytea NOT NULL
        );
        CREATE INDEX reps_lease ON reps (lease_expires_at) WHERE lease_expires_at IS NOT NULL;
        CREATE TABLE teams (id text PRIMARY KEY, data bytea NOT NULL);
        CREATE TABLE chats (
            id text PRIMARY KEY,
            owner_rep_id text NOT NULL,
            team_id text NOT NULL,
            state int4 NOT NULL,
            updated_at int8 NOT NULL,
            data bytea NOT NULL
        );
        CREATE INDEX chats_owner ON chats (owner_rep_id, state);
        CREATE INDEX chats_team ON chats (team_id, state);
        CREATE INDEX chats_updated ON chats (updated_at DESC, id);
        CREATE TABLE transcript_entries (
            chat_id text NOT NULL,
            sequence int8 NOT NULL,
            everyone bool NOT NULL,
            data bytea NOT NULL,
            PRIMARY KEY (chat_id, sequence)
        );
        CREATE TABLE transfers (
            id text PRIMARY KEY,
            chat_id text NOT NULL,
            state int4 NOT NULL,
            expires_at int8 NOT NULL,
            data bytea NOT NULL
        );
        CREATE INDEX transfers_pending ON transfers (expires_at) WHERE state = 1;
        CREATE TABLE events (
            sequence int8 PRIMARY KEY,
            kind int4 NOT NULL,
            chat_id text NOT NULL,
            actor_rep_id text NOT NULL,
            request_id text NOT NULL,
            data bytea NOT NULL
        );
        CREATE TABLE event_reps (rep_id text NOT NULL, sequence int8 NOT NULL, PRIMARY KEY (rep_id, sequence));
        CREATE TABLE event_teams (team_id text NOT NULL, sequence int8 NOT NULL, PRIMARY KEY (team_id, sequence));
        -- The last sequence handed out. Its one row is the commit-order lock: see
        -- PostgresSession.applyAndNumber.
        CREATE TABLE event_sequence (last int8 NOT NULL);
        INSERT INTO event_sequence VALUES (0);
        CREATE TABLE idempotency (
            method text NOT NULL,
            key text NOT NULL,
            fingerprint bytea NOT NULL,
            response bytea NOT NULL,
            created_at int8 NOT NULL,
            PRIMARY KEY (method, key)
        );
        CREATE INDEX idempotency_created ON idempotency (created_at);
        CREATE SEQUENCE chat_ids;
        CREATE SEQUENCE transfer_ids;
        CREATE SEQUENCE meeting_ids;
        CREATE TABLE schedules (rep_id text PRIMARY KEY, data bytea NOT NULL);
        CREATE EXTENSION IF NOT EXISTS btree_gist;
        CREATE TABLE meetings (
            id text PRIMARY KEY,
            rep_id text NOT NULL,
            chat_id text NOT NULL,
            state int4 NOT NULL,
            start_at int8 NOT NULL,
            end_at int8 NOT NULL,
            data bytea NOT NULL,
            -- Two booked meetings of one rep never overlap, whatever the writers: the domain
            -- checks under a lock, and this holds even if a check were wrong.
            CONSTRAINT meetings_no_overlap EXCLUDE USING gist (rep_id WITH =, int8range(start_at, end_at) WITH &&)
                WHERE (state = 1)
        );
        CREATE INDEX meetings_rep ON meetings (rep_id, state, start_at);
        CREATE INDEX meetings_chat ON meetings (chat_id, start_at) WHERE chat_id <> '';
        CREATE INDEX meetings_start ON meetings (start_at);
        """
    ]

    /// The newest version this build knows.
    static var latestVersion: Int { all.count }

    /// Serializes migrations of every batond on the database: one lock, held for the session.
    private static let lockKey: Int64 = 0x6261_746F_6E00  // "baton"

    /// Brings the schema to `latestVersion` on `connection`; a schema newer than that is refused.
    static func migrate(on connection: PostgresConnection, logger: Logger) async throws {
        _ = try await connection.query("SELECT pg_advisory_lock(\(lockKey))", logger: logger).collect()
        do {
            try await upgrade(connection, logger: logger)
        } catch {
            _ = try? await connection.query("SELECT pg_advisory_unlock(\(lockKey))", logger: logger).collect()
            throw error
        }
        _ = try await connection.query("SELECT pg_advisory_unlock(\(lockKey))", logger: logger).collect()
    }

    private static func upgrade(_ connection: PostgresConnection, logger: Logger) async throws {
        _ = try await connection.query(
            "CREATE TABLE IF NOT EXISTS schema_migrations (version int4 PRIMARY KEY, applied_at timestamptz NOT NULL DEFAULT now())",
            logger: logger
        ).collect()
        let rows = try await connection.query("SELECT max(version) FROM schema_migrations", logger: logger).collect()
        let current = Int(try rows.first?.decode(Int32?.self) ?? 0)
        guard current <= latestVersion else {
            throw PostgresSchemaTooNew(found: current, known: latestVersion)
        }
        for version in (current + 1)..<(latestVersion + 1) {
            _ = try await connection.query("BEGIN", logger: logger).collect()
            do {
                for statement in all[version - 1].components(separatedBy: ";\n") where !statement.allSatisfy(\.isWhitespace) {
                    _ = try await connection.query(PostgresQuery(unsafeSQL: statement), logger: logger).collect()
                }
                _ = try await connection.query(
                    "INSERT INTO schema_migrations (version) VALUES (\(Int32(version)))",
                    logger: logger
                ).collect()
                _ = try await connection.query("COMMIT", logger: logger).collect()
            } catch {
                _ = try? await connection.query("ROLLBACK", logger: logger).collect()
                throw error
            }
            logger.info("database schema migrated", metadata: ["version": "\(version)"])
        }
    }
}

/// The database's schema is newer than this build knows: a newer batond migrated it. Running
/// on it could misread or corrupt what the newer one writes.
public struct PostgresSchemaTooNew: Error, CustomStringConvertible {
    /// The schema version found in the database.
    public let found: Int
    /// The newest version this build knows.
    public let known: Int

    public var description: String {
        "the database schema is version \(found), newer than this batond knows (\(known)); run a newer batond"
    }
}
