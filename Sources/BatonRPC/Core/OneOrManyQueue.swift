import NIOCore

/// A first-in, first-out queue that holds one element without allocating. A call buffers one
/// message at a time, or none, nearly always; a `CircularBuffer` allocates room for sixteen as
/// soon as it is made, and again when emptied.
struct OneOrManyQueue<Element> {
    private enum Storage {
        case empty
        case one(Element)
        case many(CircularBuffer<Element>)
    }

    private var storage = Storage.empty

    init() {}

    var isEmpty: Bool { count == 0 }

    var count: Int {
        switch storage {
        case .empty: 0
        case .one: 1
        case .many(let elements): elements.count
        }
    }

    mutating func append(_ element: Element) {
        switch storage {
        case .empty:
            storage = .one(element)
        case .one(let first):
            var elements = CircularBuffer<Element>(initialCapacity: 4)
            elements.append(first)
            elements.append(element)
            storage = .many(elements)
        case .many(var elements):
            // Not shared while it is appended to: no copy of the buffer.
            storage = .empty
            elements.append(element)
            storage = .many(elements)
        }
    }

    /// The oldest element, removed; nil when the queue is empty.
    mutating func popFirst() -> Element? {
        switch storage {
        case .empty:
            return nil
        case .one(let element):
            storage = .empty
            return element
        case .many(var elements):
            storage = .empty
            let first = elements.popFirst()
            storage = .many(elements)
            return first
        }
    }

    mutating func removeAll() {
        storage = .empty
    }
}
