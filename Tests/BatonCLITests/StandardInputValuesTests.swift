import Foundation
import Testing

@testable import rpc_cli

/// How far `rpc-cli call` reads a request stream ahead of the call sending it.
@Suite struct StandardInputValuesTests {
    private static func objects(_ count: Int, text: String) -> Data {
        Data(String(repeating: #"{"text":"\#(text)"}"# + "\n", count: count).utf8)
    }

    @Test func aStreamLeftAfterItsFirstObjectStopsReadingWhatFollows() async throws {
        let pipe = Pipe()
        // More objects than the reader may hold ahead, in one read.
        let ahead = StandardInput.Values.readAhead * 2
        try pipe.fileHandleForWriting.write(contentsOf: Self.objects(ahead, text: "early"))
        do {
            var values = StandardInput.Values(reading: pipe.fileHandleForReading).makeAsyncIterator()
            let first = try await values.next()
            #expect(first?.text == #"{"text":"early"}"#)
        }
        // The call ended (the iterator is gone): what stdin holds later stays unread.
        let late = Self.objects(3, text: "late")
        try pipe.fileHandleForWriting.write(contentsOf: late)
        try pipe.fileHandleForWriting.close()
        let left = try pipe.fileHandleForReading.readToEnd() ?? Data()
        #expect(left == late)
    }

    @Test func everyObjectArrivesWhenTheCallKeepsUp() async throws {
        let pipe = Pipe()
        let count = StandardInput.Values.readAhead * 8
        let writer = Thread {
            try? pipe.fileHandleForWriting.write(contentsOf: Self.objects(count, text: "x"))
            try? pipe.fileHandleForWriting.close()
        }
        writer.start()
        var received = 0
        for try await _ in StandardInput.Values(reading: pipe.fileHandleForReading) { received += 1 }
        #expect(received == count)
    }
}
