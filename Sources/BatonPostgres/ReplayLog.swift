/// What one write (or read) has asked and changed so far, across the runs of its body: the
/// answers the connection gave, and the writes, in the order the body made them. Every run of a
/// deterministic body makes the same calls in the same order up to the read it misses, so the
/// n-th call of a run is the n-th entry of the log.
final class ReplayLog {
    enum Entry {
        case read(StagedRead, StagedAnswer)
        case write(StagedWrite)
    }

    private(set) var entries: [Entry] = []
    /// How many entries the server has seen: writes before it were sent.
    private var sent = 0

    var count: Int { entries.count }

    subscript(index: Int) -> Entry { entries[index] }

    func append(_ entry: Entry) { entries.append(entry) }

    /// The writes not sent yet, in order; marked sent.
    func takeUnsentWrites() -> [StagedWrite] {
        var writes: [StagedWrite] = []
        for entry in entries[sent...] {
            if case .write(let write) = entry { writes.append(write) }
        }
        sent = entries.count
        return writes
    }
}
