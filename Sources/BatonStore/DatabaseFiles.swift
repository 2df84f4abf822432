#if canImport(Glibc)
import Glibc
#endif

/// The database's files kept private: they hold every transcript, visitor name and email. The
/// folders it creates are 0700 and every file 0600, whatever the umask.
enum DatabaseFiles {
    /// The files SQLite keeps beside the database in WAL mode.
    static let companionSuffixes = ["-wal", "-shm"]

    /// Creates the folders of `databasePath` that are missing, each 0700. Returns the database's
    /// folder and its mode when it already existed and lets others than its owner in (the
    /// operator chose it, so it is theirs to tighten), else nil.
    static func createFolder(of databasePath: String) throws(StoreOpenFailure) -> (path: String, mode: UInt32)? {
        guard let slash = databasePath.lastIndex(of: "/"), slash != databasePath.startIndex else { return nil }
        let folder = String(databasePath[..<slash])
        var info = stat()
        if stat(folder, &info) == 0 {
            guard info.st_mode & S_IFMT == S_IFDIR else {
                throw StoreOpenFailure(.cannotCreate, "\(folder) exists and is not a folder")
            }
            let mode = UInt32(info.st_mode) & 0o7777
            return mode & 0o077 == 0 ? nil : (folder, mode)
        }
        _ = try createFolder(of: folder)
        guard mkdir(folder, 0o700) == 0 || errno == EEXIST else { throw .system("create the folder", folder) }
        // mkdir's mode is filtered by the umask, which may leave it wider (or narrower) than asked.
        guard chmod(folder, 0o700) == 0 else { throw .system("restrict the folder", folder) }
        return nil
    }

    /// Creates the database file 0600 if it is missing, so that SQLite, which gives its WAL
    /// companions the database's mode, creates them 0600 too; tightens existing files (an older
    /// batond made them 0644) to 0600.
    static func restrict(_ databasePath: String) throws(StoreOpenFailure) {
        let fd = open(databasePath, O_RDWR | O_CREAT | O_CLOEXEC, 0o600)
        guard fd >= 0 else { throw .system("create", databasePath) }
        defer { close(fd) }
        guard fchmod(fd, 0o600) == 0 else { throw .system("restrict", databasePath) }
        for suffix in companionSuffixes {
            let path = databasePath + suffix
            guard chmod(path, 0o600) == 0 || errno == ENOENT else { throw .system("restrict", path) }
        }
    }
}
