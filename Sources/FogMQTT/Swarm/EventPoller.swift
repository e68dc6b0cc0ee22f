internal import CMosquitto
import Glibc

/// Level-triggered readiness of many sockets through one epoll instance.
///
/// Each socket is registered with a token (the connection index), so a readiness report
/// never needs a descriptor-to-connection lookup, and a descriptor number reused after a
/// close cannot be mistaken for the old connection.
final class EventPoller {
    struct Readiness {
        var token: Int
        var readable: Bool
        var writable: Bool
    }

    private let descriptor: Int32
    private let events: UnsafeMutableBufferPointer<epoll_event>

    init(capacity: Int) throws(MQTTSwarmError) {
        descriptor = epoll_create1(Int32(EPOLL_CLOEXEC))
        guard descriptor >= 0 else {
            throw Self.failure("epoll_create1")
        }
        events = .allocate(capacity: max(1, capacity))
    }

    deinit {
        close(descriptor)
        events.deallocate()
    }

    func register(_ socket: Int32, token: Int, writable: Bool) throws(MQTTSwarmError) {
        try control(EPOLL_CTL_ADD, socket, token: token, writable: writable)
    }

    func update(_ socket: Int32, token: Int, writable: Bool) throws(MQTTSwarmError) {
        try control(EPOLL_CTL_MOD, socket, token: token, writable: writable)
    }

    /// Waits up to `timeoutMilliseconds` (0 returns at once) and returns how many sockets
    /// are ready; read them with `readiness(at:)` before the next call.
    func wait(timeoutMilliseconds: Int32) throws(MQTTSwarmError) -> Int {
        let count = epoll_wait(descriptor, events.baseAddress, Int32(events.count), timeoutMilliseconds)
        if count < 0 {
            if errno == EINTR {
                return 0
            }
            throw Self.failure("epoll_wait")
        }
        return Int(count)
    }

    func readiness(at position: Int) -> Readiness {
        let event = events[position]
        // Errors and hang-ups count as readable: the read then surfaces the error through
        // libmosquitto's disconnect path.
        let readMask = EPOLLIN.rawValue | EPOLLERR.rawValue | EPOLLHUP.rawValue | EPOLLRDHUP.rawValue
        return Readiness(
            token: Int(truncatingIfNeeded: event.data.u64),
            readable: event.events & readMask != 0,
            writable: event.events & EPOLLOUT.rawValue != 0
        )
    }

    private func control(_ operation: Int32, _ socket: Int32, token: Int, writable: Bool) throws(MQTTSwarmError) {
        var event = epoll_event()
        event.events = EPOLLIN.rawValue | EPOLLRDHUP.rawValue | (writable ? EPOLLOUT.rawValue : 0)
        event.data.u64 = UInt64(token)
        guard epoll_ctl(descriptor, operation, socket, &event) == 0 else {
            throw Self.failure("epoll_ctl(\(operation == EPOLL_CTL_ADD ? "ADD" : "MOD"), fd \(socket))")
        }
    }

    private static func failure(_ operation: String) -> MQTTSwarmError {
        let code = errno
        return MQTTSwarmError(
            .systemCall,
            "\(operation) failed: \(String(cString: strerror(code)))",
            systemError: code
        )
    }
}
