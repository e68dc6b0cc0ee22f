import Foundation

/// TCP sockets in LISTEN state owned by given processes, found the way `ss -ltnp` does:
/// `/proc/net/tcp` and `tcp6` map socket inodes to local addresses, `/proc/PID/fd` links
/// (`socket:[INODE]`) map them to processes.
struct ListeningSockets: CustomStringConvertible {
    var pid: Int32
    var address: String
    var port: UInt16

    /// 127.0.0.0/8 or ::1 (also as an IPv4-mapped address).
    var isLoopback: Bool {
        address.hasPrefix("127.") || address == "::1" || address.hasPrefix("::ffff:127.")
    }

    var description: String { "pid \(pid) listens on \(address):\(port)" }

    /// Listening sockets of `processes` and all their descendants.
    static func of(processes: [Int32]) throws -> [ListeningSockets] {
        let listening = try table("/proc/net/tcp", ipv6: false).merging(try table("/proc/net/tcp6", ipv6: true)) { a, _ in a }
        var result: [ListeningSockets] = []
        for pid in descendants(of: processes) {
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

    /// `processes` plus every process whose parent chain leads to one of them.
    static func descendants(of processes: [Int32]) -> [Int32] {
        var parents: [Int32: Int32] = [:]
        for entry in (try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? [] {
            guard let pid = Int32(entry), let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
                let close = stat.lastIndex(of: ")")
            else { continue }
            // After "pid (comm) ": state, ppid, …; comm may hold spaces and parentheses.
            let fields = stat[stat.index(after: close)...].split(separator: " ")
            if fields.count > 1, let parent = Int32(fields[1]) {
                parents[pid] = parent
            }
        }
        var result = Set(processes)
        var changed = true
        while changed {
            changed = false
            for (pid, parent) in parents where result.contains(parent) && !result.contains(pid) {
                result.insert(pid)
                changed = true
            }
        }
        return result.sorted()
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
