import GRDB

extension Migrations {
    /// Migration "v3": remembered responses by age, so the sweep finds the expired ones (every
    /// second) without scanning every key.
    static func registerRetention(_ migrator: inout DatabaseMigrator) {
        migrator.registerMigration("v3") { db in
            try db.execute(sql: "CREATE INDEX idempotency_created ON idempotency(created_at)")
        }
    }
}
