import BatonPostgres
import Testing

/// `--postgres-url`: libpq's URL conventions, every malformed form refused with its reason, and
/// the password never shown.
@Suite struct PostgresURLTests {
    @Test func aURLWithEveryPartIsReadAsLibpqReadsIt() throws {
        let url = try PostgresURL("postgres://baton:s%40cret@db.example.org:6543/handoff?sslmode=require")
        #expect(url.user == "baton")
        #expect(url.host == "db.example.org")
        #expect(url.port == 6543)
        #expect(url.database == "handoff")
        #expect(url.sslMode == .require)
        #expect(url.socketFolder == nil)
    }

    @Test func aHostParameterThatIsAPathNamesTheSocketFolder() throws {
        let url = try PostgresURL("postgresql://baton@/handoff?host=/run/postgresql&port=5433")
        #expect(url.socketFolder == "/run/postgresql")
        #expect(url.port == 5433)
        #expect(url.sslMode == .disable)
        #expect(url.description == "postgres://baton@/handoff?host=/run/postgresql&port=5433")
    }

    @Test func theDatabaseDefaultsToTheUserAndThePortTo5432() throws {
        let url = try PostgresURL("postgres://ana@localhost")
        #expect(url.database == "ana")
        #expect(url.port == 5432)
        #expect(url.sslMode == .prefer)
    }

    @Test func thePasswordIsMaskedWhereverTheURLIsShown() throws {
        let url = try PostgresURL("postgres://baton:hunter2@localhost/baton")
        #expect(url.description == "postgres://baton:***@localhost:5432/baton")
        #expect(!String(describing: url).contains("hunter2"))
        #expect(!String(reflecting: url).contains("hunter2"))
    }

    @Test(arguments: [
        ("mysql://baton@localhost/baton", "postgres://"),
        ("postgres://localhost/baton", "no user"),
        ("postgres://:pw@localhost/baton", "user is empty"),
        ("postgres://baton@/baton", "no host"),
        ("postgres://baton@localhost:0/baton", "port"),
        ("postgres://baton@localhost:70000/baton", "port"),
        ("postgres://baton@localhost:54x/baton", "port"),
        ("postgres://baton@[::1/baton", "IPv6"),
        ("postgres://baton@localhost/baton?sslmode=sometimes", "sslmode"),
        ("postgres://baton@localhost/baton?options=-c", "options"),
        ("postgres://baton@/baton?host=/run/postgresql&sslmode=require", "Unix socket"),
        ("postgres://baton:%zz@localhost/baton", "password"),
    ])
    func aMalformedURLIsRefusedSayingWhy(text: String, reason: String) {
        let error = #expect(throws: PostgresURLError.self) { try PostgresURL(text) }
        #expect(error?.description.contains(reason) == true, "\(error?.description ?? "no error")")
        #expect(error?.description.contains("%zz") == false)
    }
}
