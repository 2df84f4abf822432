import Testing

@testable import BatonRPC

@Suite("One-or-many queue")
struct OneOrManyQueueTests {
    /// Appends and pops as a script says (a number appends it, nil pops) and returns what popped.
    private func run(_ script: [Int?]) -> [Int?] {
        var queue = OneOrManyQueue<Int>()
        var popped: [Int?] = []
        for step in script {
            if let value = step { queue.append(value) } else { popped.append(queue.popFirst()) }
        }
        return popped
    }

    @Test(
        "elements come out in the order they went in, whether one or many are held",
        arguments: [
            ([1, nil, nil], [1, nil]),
            ([1, 2, 3, nil, nil, nil, nil], [1, 2, 3, nil]),
            ([1, 2, nil, 3, nil, 4, 5, nil, nil, nil], [1, 2, 3, 4, 5]),
            ([1, 2, nil, nil, 3, nil], [1, 2, 3]),
        ] as [([Int?], [Int?])]
    )
    func firstInFirstOut(script: [Int?], expected: [Int?]) {
        #expect(run(script) == expected)
    }

    @Test("removing all empties the queue, also when it held many")
    func removeAll() {
        var queue = OneOrManyQueue<Int>()
        for value in 1...5 { queue.append(value) }
        #expect(queue.count == 5)
        queue.removeAll()
        #expect(queue.isEmpty)
        #expect(queue.popFirst() == nil)
        queue.append(6)
        #expect(queue.popFirst() == 6)
    }
}
