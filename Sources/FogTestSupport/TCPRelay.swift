import Glibc
import Synchronization

/// A loopback TCP relay between a client (an agent, a link half, the controller) and its
/// broker, standing in for the network: it counts every byte it forwards per direction (what
/// an observer on the wire sees), optionally keeps a copy of everything (to search the
/// traffic for plaintext), and can fail like a network: `sever()` cuts every connection
/// without any MQTT DISCONNECT, `setRefusesNew(true)` keeps clients from coming back.
///
/// Counts are TCP payload bytes (MQTT packets as written), not IP or TCP headers, so they
/// do not depend on how the kernel segments a stream.
///
/// One thread accepts; two threads per connection copy. `@unchecked Sendable`: the
/// listening socket and `targetPort` are fixed after `init`; counters are atomics and the
/// descriptor set and captured bytes live in a `Mutex`.
public final class TCPRelay: @unchecked Sendable {
    /// The port clients connect to instead of the target's.
    public let port: UInt16
    private let targetPort: UInt16
    private let listener: Int32
    private let capturesTraffic: Bool
    private let upstream = Atomic<Int>(0)
    private let downstream = Atomic<Int>(0)
    private let state = Mutex(State())

    private struct State {
        var descriptors: Set<Int32> = []
        var closed = false
        var refusesNew = false
        var accepted = 0
        var captured: [UInt8] = []
    }

    /// Listens on a free loopback port and forwards every connection to `127.0.0.1:targetPort`.
    /// - Parameter capturesTraffic: keep a copy of every relayed byte (`capturedBytes`).
    public init(targetPort: UInt16, capturesTraffic: Bool = false) throws(TestSupportError) {
        self.targetPort = targetPort
        self.capturesTraffic = capturesTraffic
        let socket = Glibc.socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard socket >= 0 else { throw TestSupportError(.systemCall, "relay socket", errno: errno) }
        var yes: Int32 = 1
        setsockopt(socket, SOL_SOCKET, SO_REUSEADDR, &yes, socklen_t(MemoryLayout<Int32>.size))
        var address = Self.loopback(port: 0)
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let listening = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                bind(socket, $0, length) == 0 && listen(socket, 64) == 0 && getsockname(socket, $0, &length) == 0
            }
        }
        guard listening else {
            let failure = errno
            Glibc.close(socket)
            throw TestSupportError(.systemCall, "relay to port \(targetPort): bind/listen on 127.0.0.1", errno: failure)
        }
        port = UInt16(bigEndian: address.sin_port)
        listener = socket
        try Self.startThread { [self] in acceptLoop() }
    }

    /// Bytes relayed so far: client → target (`up`) and target → client (`down`).
    public var byteCounts: (up: Int, down: Int) {
        (upstream.load(ordering: .acquiring), downstream.load(ordering: .acquiring))
    }

    /// Everything relayed so far in both directions, in arrival order; empty unless the relay
    /// was made with `capturesTraffic`.
    public var capturedBytes: [UInt8] { state.withLock { $0.captured } }

    /// Whether `needle` occurs anywhere in what was captured.
    public func saw(_ needle: [UInt8]) -> Bool {
        state.withLock { $0.captured.containsRun(needle) }
    }

    /// Connections forwarded so far (refused ones not counted).
    public var acceptedConnections: Int { state.withLock { $0.accepted } }

    /// A dead uplink (`false`): every connection is cut now and new ones are refused, until
    /// the relay is reachable again.
    public func setReachable(_ reachable: Bool) {
        setRefusesNew(!reachable)
        if !reachable { sever() }
    }

    /// While true, new connections are closed as soon as they are accepted (a network that is
    /// down); the bytes of such attempts are not counted.
    public func setRefusesNew(_ refuses: Bool) {
        state.withLock { $0.refusesNew = refuses }
    }

    /// Cuts every forwarded connection at once, without any MQTT DISCONNECT, as a dead
    /// network would.
    public func sever() {
        let descriptors = state.withLock { $0.descriptors }
        for descriptor in descriptors {
            shutdown(descriptor, Int32(SHUT_RDWR))
        }
    }

    /// Stops listening and closes every forwarded connection.
    public func close() {
        let descriptors: Set<Int32>? = state.withLock { state in
            guard !state.closed else { return nil }
            state.closed = true
            return state.descriptors
        }
        guard let descriptors else { return }
        shutdown(listener, Int32(SHUT_RDWR))
        Glibc.close(listener)
        for descriptor in descriptors {
            shutdown(descriptor, Int32(SHUT_RDWR))
        }
    }

    deinit {
        close()
    }

    private func acceptLoop() {
        while true {
            let client = accept(listener, nil, nil)
            if client < 0 {
                if errno == EINTR { continue }
                return
            }
            let refused = state.withLock { state in
                if !state.refusesNew { state.accepted += 1 }
                return state.refusesNew
            }
            if refused {
                Glibc.close(client)
                continue
            }
            let server = Glibc.socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
            var address = Self.loopback(port: targetPort)
            let connected = server >= 0 && withUnsafePointer(to: &address) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                    connect(server, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) == 0
                }
            }
            // MQTT is request/response; Nagle would add delayed-ACK stalls the direct
            // connection does not have.
            var yes: Int32 = 1
            for descriptor in [client, server] where descriptor >= 0 {
                setsockopt(descriptor, Int32(IPPROTO_TCP), TCP_NODELAY, &yes, socklen_t(MemoryLayout<Int32>.size))
            }
            let accepted = connected && state.withLock { state in
                guard !state.closed else { return false }
                state.descriptors.formUnion([client, server])
                return true
            }
            guard accepted else {
                Glibc.close(client)
                if server >= 0 { Glibc.close(server) }
                continue
            }
            let connection = Connection(client: client, server: server)
            do {
                try Self.startThread { [self] in copy(connection, upstream: true) }
            } catch {
                connection.finishedDirections.add(1, ordering: .relaxed)
                finish(connection)
                continue
            }
            do {
                try Self.startThread { [self] in copy(connection, upstream: false) }
            } catch {
                finish(connection)
            }
        }
    }

    /// The two sockets of one relayed connection. Both stay open until both directions
    /// finished, so neither copy thread can touch a descriptor number the kernel already
    /// handed to a newer connection.
    private final class Connection: Sendable {
        let client: Int32
        let server: Int32
        let finishedDirections = Atomic<Int>(0)

        init(client: Int32, server: Int32) {
            self.client = client
            self.server = server
        }
    }

    /// Copies one direction until either side ends, then shuts both sockets down (which ends
    /// the other direction too).
    private func copy(_ connection: Connection, upstream isUpstream: Bool) {
        let source = isUpstream ? connection.client : connection.server
        let destination = isUpstream ? connection.server : connection.client
        var buffer = [UInt8](repeating: 0, count: 65_536)
        outer: while true {
            let count = buffer.withUnsafeMutableBytes { read(source, $0.baseAddress, $0.count) }
            if count < 0, errno == EINTR { continue }
            guard count > 0 else { break }
            if isUpstream {
                upstream.add(count, ordering: .releasing)
            } else {
                downstream.add(count, ordering: .releasing)
            }
            if capturesTraffic {
                state.withLock { $0.captured += buffer[0..<count] }
            }
            var written = 0
            while written < count {
                let result = buffer[written..<count].withUnsafeBytes { write(destination, $0.baseAddress, $0.count) }
                if result < 0, errno == EINTR { continue }
                guard result > 0 else { break outer }
                written += result
            }
        }
        finish(connection)
    }

    /// Shuts the connection down; the second of its two directions to get here closes it.
    private func finish(_ connection: Connection) {
        shutdown(connection.client, Int32(SHUT_RDWR))
        shutdown(connection.server, Int32(SHUT_RDWR))
        guard connection.finishedDirections.add(1, ordering: .acquiringAndReleasing).newValue == 2 else { return }
        state.withLock { state in
            state.descriptors.remove(connection.client)
            state.descriptors.remove(connection.server)
        }
        Glibc.close(connection.client)
        Glibc.close(connection.server)
    }

    private static func startThread(_ body: @escaping @Sendable () -> Void) throws(TestSupportError) {
        final class Box: Sendable {
            let body: @Sendable () -> Void
            init(_ body: @escaping @Sendable () -> Void) { self.body = body }
        }
        let argument = Unmanaged.passRetained(Box(body)).toOpaque()
        var thread = pthread_t()
        let created = pthread_create(&thread, nil, { argument in
            guard let argument else { return nil }
            Unmanaged<Box>.fromOpaque(argument).takeRetainedValue().body()
            return nil
        }, argument)
        guard created == 0 else {
            Unmanaged<Box>.fromOpaque(argument).release()
            throw TestSupportError(.systemCall, "relay thread", errno: created)
        }
        pthread_detach(thread)
    }

    private static func loopback(port: UInt16) -> sockaddr_in {
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = port.bigEndian
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        return address
    }
}
