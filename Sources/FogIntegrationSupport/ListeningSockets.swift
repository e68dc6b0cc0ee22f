import Foundation

/// TCP sockets in LISTEN state owned by given processes, found the way `ss -ltnp` does:
/// `/proc/PID/net/tcp` and `tcp6` (the tables of that process's network namespace, so
/// processes in a site lab's namespaces are covered too) map socket inodes to local
/// addresses, `/proc/PID/fd` links (`socket:[INODE]`) map them to processes.
public struct ListeningSockets: Sendable, CustomStringConvertible {
    /// The owning process; 0 when listed per namespace without resolving owners.
    public var pid: Int32
    public var address: String
    public var port: UInt16

    /// 127.0.0.0/8 or ::1 (also as an IPv4-mapped address).
    public var isLoopback: Bool {
        address.hasPrefix("127.") || address == "::1" || address.hasPrefix("::ffff:127.")
    }

    public var description: String { "pid \(pid) listens on \(address):\(port)" }

    /// Listening sockets of `processes` and all their descendants.
    public static func of(processes: [Int32]) -> [ListeningSockets] {
        var tables: [String: [UInt64: (address: String, port: UInt16)]] = [:]
        var result: [ListeningSockets] = []
        for pid in ProcessTree.descendants(of: processes) {
            guard let namespace = try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/\(pid)/ns/net") else {
                continue  // exited meanwhile
            }
            if tables[namespace] == nil {
                guard let table = try? listening(seenBy: pid) else { continue }  // exited meanwhile
                tables[namespace] = table
            }
            let listening = tables[namespace] ?? [:]
            let fdDirectory = "/proc/\(pid)/fd"
            for fd in (try? FileManager.default.contentsOfDirectory(atPath: fdDirectory)) ?? [] {
                guard let target = try? FileManager.default.destinationOfSymbolicLink(atPath: fdDirectory + "/" + fd),
                    target.hasPrefix("socket:["), let inode = UInt64(target.dropFirst(8).dropLast()),
                    let socket = listening[inode]
                else { continue }
                result.append(ListeningSockets(pid: pid, address: socket.address, port: socket.port))
            }
        }
        return result
    }

    /// Every listening socket in the network namespace `pid` runs in, whoever owns it.
    public static func all(inNetworkNamespaceOf pid: Int32) throws -> [ListeningSockets] {
        try listening(seenBy: pid).values.map { ListeningSockets(pid: 0, address: $0.address, port: $0.port) }
    }

    /// The kernel renders /proc/net/tcp a page per read(); sockets opened or closed between
    /// two reads (other tests run in parallel) can shift an entry out of the text. A socket
    /// missing from one rendering is present in the next, so several readings are merged:
    /// a listener must not escape a "loopback only" check by bad luck.
    private static func listening(seenBy pid: Int32, readings: Int = 3) throws -> [UInt64: (address: String, port: UInt16)] {
        var result: [UInt64: (address: String, port: UInt16)] = [:]
        for _ in 0..<readings {
            result.merge(try table("/proc/\(pid)/net/tcp", ipv6: false)) { a, _ in a }
            result.merge(try table("/proc/\(pid)/net/tcp6", ipv6: true)) { a, _ in a }
        }
        return result
    }

    /// inode → local address of sockets in state 0A (LISTEN).
    private static func table(_ path: String, ipv6: Bool) throws -> [UInt64: (address: String, port: UInt16)] {
        let text = try String(contentsOfFile: path, encoding: .utf8)
        var result: [UInt64: (address: String, port: UInt16)] = [:]
        for line in text.split(separator: "\n").dropFirst() {
            let fields = line.split(separator: " ")
            guard fields.count > 9, fields[3] == "0A" else { continue }
            let local = fields[1].split(separator: ":")
            guard local.count == 2, let port = UInt16(local[1], radix: 16), let inode = UInt64(fields[9]) else { continue }
            result[inode] = (decode(String(local[0]), ipv6: ipv6), port)
        }
        return result
    }

    /// /proc/net prints addresses as host-order 32-bit words in hex.
    private static func decode(_ hex: String, ipv6: Bool) -> String {
        var bytes: [UInt8] = []
        var index = hex.startIndex
        while index < hex.endIndex {
            let next = hex.index(index, offsetBy: 8, limitedBy: hex.endIndex) ?? hex.endIndex
            let word = UInt32(hex[index..<next], radix: 16) ?? 0
            bytes += [UInt8(word & 0xff), UInt8(word >> 8 & 0xff), UInt8(word >> 16 & 0xff), UInt8(word >> 24)]
            index = next
        }
        if !ipv6 {
            return bytes.map(String.init).joined(separator: ".")
        }
        if bytes[0..<10].allSatisfy({ $0 == 0 }) && bytes[10] == 0xff && bytes[11] == 0xff {
            return "::ffff:" + bytes[12...].map(String.init).joined(separator: ".")
        }
        if bytes[0..<15].allSatisfy({ $0 == 0 }) && bytes[15] == 1 {
            return "::1"
        }
        return stride(from: 0, to: 16, by: 2).map { String(UInt16(bytes[$0]) << 8 | UInt16(bytes[$0 + 1]), radix: 16) }
            .joined(separator: ":")
    }
}
