internal import Foundation

/// One HTTP/1.1 exchange over a blocking socket: connect, send one request with
/// `Connection: close`, read to end of stream, parse.
///
/// Small on purpose: `fogctl` makes one request per run against a loopback server, so a
/// blocking socket with send/receive timeouts (on Linux the send timeout also bounds
/// `connect`) does the job without an HTTP client library.
struct AdminHTTPConnection {
    struct Reply {
        var status: Int
        var body: [UInt8]
    }

    /// Replies larger than this are refused: no admin answer comes close.
    static let maximumReplySize = 16 << 20

    let endpoint: AdminEndpoint
    let timeout: Duration

    func exchange(method: String, path: String, headers: [(String, String)], body: [UInt8]?) throws(AdminClientError) -> Reply {
        let descriptor = try connect()
        defer { close(descriptor) }
        let host = endpoint.host.contains(":") ? "[\(endpoint.host)]" : endpoint.host
        var head = "\(method) \(path) HTTP/1.1\r\nHost: \(host):\(endpoint.port)\r\n"
        for (name, value) in headers { head += "\(name): \(value)\r\n" }
        head += "Connection: close\r\nContent-Length: \(body?.count ?? 0)\r\n\r\n"
        try send(descriptor, Array(head.utf8) + (body ?? []))
        return try Self.parse(try receiveAll(descriptor), from: endpoint)
    }

    private func connect() throws(AdminClientError) -> Int32 {
        var hints = addrinfo()
        hints.ai_family = AF_UNSPEC
        hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
        var list: UnsafeMutablePointer<addrinfo>?
        let resolved = getaddrinfo(endpoint.host, String(endpoint.port), &hints, &list)
        guard resolved == 0, let first = list else {
            throw AdminClientError(
                .connectionFailed, "cannot resolve the controller host '\(endpoint.host)': \(String(cString: gai_strerror(resolved)))",
                hint: "use the address fog-controller printed, e.g. http://127.0.0.1:\(AdminAPIConfiguration.defaultPort)")
        }
        defer { freeaddrinfo(list) }
        var lastError: Int32 = 0
        var entry: UnsafeMutablePointer<addrinfo>? = first
        while let current = entry {
            entry = current.pointee.ai_next
            let info = current.pointee
            let descriptor = socket(info.ai_family, info.ai_socktype | Int32(SOCK_CLOEXEC.rawValue), info.ai_protocol)
            guard descriptor >= 0 else {
                lastError = errno
                continue
            }
            setTimeouts(descriptor)
            if Foundation.connect(descriptor, current.pointee.ai_addr, current.pointee.ai_addrlen) == 0 {
                return descriptor
            }
            lastError = errno
            close(descriptor)
        }
        if lastError == ECONNREFUSED {
            throw AdminClientError(
                .controllerNotRunning, "no controller is listening at \(endpoint)",
                hint: "is `fog-controller run` started? It prints 'admin api listening on HOST:PORT'; pass that with --controller")
        }
        throw AdminClientError(
            .connectionFailed, "cannot connect to the controller at \(endpoint): \(String(cString: strerror(lastError)))",
            hint: "is `fog-controller run` started, and is --controller right?")
    }

    private func setTimeouts(_ descriptor: Int32) {
        let (seconds, attoseconds) = timeout.components
        var value = timeval(tv_sec: Int(seconds), tv_usec: Int(attoseconds / 1_000_000_000_000))
        setsockopt(descriptor, SOL_SOCKET, SO_RCVTIMEO, &value, socklen_t(MemoryLayout<timeval>.size))
        setsockopt(descriptor, SOL_SOCKET, SO_SNDTIMEO, &value, socklen_t(MemoryLayout<timeval>.size))
    }

    private func send(_ descriptor: Int32, _ bytes: [UInt8]) throws(AdminClientError) {
        var sent = 0
        while sent < bytes.count {
            let result = bytes.withUnsafeBytes { raw in
                Foundation.send(descriptor, raw.baseAddress.map { $0 + sent }, raw.count - sent, Int32(MSG_NOSIGNAL))
            }
            if result < 0, errno == EINTR { continue }
            guard result > 0 else { throw ioFailure("sending the request") }
            sent += result
        }
    }

    private func receiveAll(_ descriptor: Int32) throws(AdminClientError) -> [UInt8] {
        var bytes: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 16 * 1024)
        while true {
            let count = buffer.withUnsafeMutableBytes { recv(descriptor, $0.baseAddress, $0.count, 0) }
            if count < 0, errno == EINTR { continue }
            guard count >= 0 else { throw ioFailure("reading the reply") }
            if count == 0 { return bytes }
            bytes += buffer[..<count]
            guard bytes.count <= Self.maximumReplySize else {
                throw AdminClientError(.invalidResponse, "the controller's reply exceeds \(Self.maximumReplySize) bytes")
            }
        }
    }

    private func ioFailure(_ what: String) -> AdminClientError {
        let code = errno
        if code == EAGAIN || code == EWOULDBLOCK {
            return AdminClientError(
                .connectionFailed, "the controller at \(endpoint) did not answer within \(timeout) while \(what)",
                hint: "check the controller's log; it may be stuck on a ComSat")
        }
        return AdminClientError(
            .connectionFailed, "\(what) from \(endpoint) failed: \(String(cString: strerror(code)))",
            hint: "is `fog-controller run` still running?")
    }

    /// Parses status line, headers and body (Content-Length, chunked, or to end of stream).
    static func parse(_ bytes: [UInt8], from endpoint: AdminEndpoint) throws(AdminClientError) -> Reply {
        func invalid(_ reason: String) -> AdminClientError {
            AdminClientError(
                .invalidResponse, "\(endpoint) did not answer with HTTP: \(reason)",
                hint: "is --controller pointing at fog-controller's admin API and not another service?")
        }
        let separator: [UInt8] = [13, 10, 13, 10]
        guard let headEnd = bytes.firstRange(of: separator) else {
            throw invalid(bytes.isEmpty ? "the connection closed without a reply" : "no end of headers")
        }
        let headText = String(decoding: bytes[..<headEnd.lowerBound], as: UTF8.self)
        var lines = headText.components(separatedBy: "\r\n")
        let statusLine = lines.removeFirst().split(separator: " ", maxSplits: 2)
        guard statusLine.count >= 2, statusLine[0].hasPrefix("HTTP/1."), let status = Int(statusLine[1]) else {
            throw invalid("bad status line")
        }
        var contentLength: Int?
        var chunked = false
        for line in lines {
            guard let colon = line.firstIndex(of: ":") else { continue }
            let name = line[..<colon].lowercased()
            let value = line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
            if name == "content-length" { contentLength = Int(value) }
            if name == "transfer-encoding", value.lowercased().contains("chunked") { chunked = true }
        }
        let rest = Array(bytes[headEnd.upperBound...])
        if chunked {
            return Reply(status: status, body: try dechunk(rest, invalid: invalid))
        }
        if let contentLength {
            guard rest.count >= contentLength else { throw invalid("the body is shorter than its Content-Length") }
            return Reply(status: status, body: Array(rest[..<contentLength]))
        }
        return Reply(status: status, body: rest)
    }

    private static func dechunk(_ bytes: [UInt8], invalid: (String) -> AdminClientError) throws(AdminClientError) -> [UInt8] {
        var body: [UInt8] = []
        var index = 0
        let lineEnd: [UInt8] = [13, 10]
        while true {
            guard let end = bytes[index...].firstRange(of: lineEnd) else { throw invalid("truncated chunk size") }
            let sizeText = String(decoding: bytes[index..<end.lowerBound], as: UTF8.self).split(separator: ";").first ?? ""
            guard let size = Int(sizeText.trimmingCharacters(in: .whitespaces), radix: 16), size >= 0 else {
                throw invalid("bad chunk size")
            }
            index = end.upperBound
            if size == 0 { return body }
            guard bytes.count - index >= size + 2 else { throw invalid("truncated chunk") }
            body += bytes[index..<(index + size)]
            index += size + 2
        }
    }
}
