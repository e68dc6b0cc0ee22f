import Glibc

/// Kernel counters that tell a latency outlier on loopback from a slow broker: packets the
/// kernel dropped because a CPU's input backlog (`net.core.netdev_max_backlog`) was full, and
/// TCP segments retransmitted. A dropped segment on loopback costs at least the 200 ms minimum
/// retransmission timeout, doubling per retry, whatever the broker does.
struct LoopbackCounters: Sendable {
    /// Column 2 of `/proc/net/softnet_stat`, summed over CPUs.
    var backlogDrops: Int
    /// `RetransSegs` of `/proc/net/snmp`.
    var retransmittedSegments: Int

    /// The counters now; nil when either file is unreadable (e.g. no procfs).
    static func read() -> LoopbackCounters? {
        guard let softnet = text("/proc/net/softnet_stat"), let snmp = text("/proc/net/snmp") else { return nil }
        var drops = 0
        for line in softnet.split(separator: "\n") {
            let fields = line.split(separator: " ")
            guard fields.count > 1, let value = Int(fields[1], radix: 16) else { return nil }
            drops += value
        }
        // Two "Tcp:" lines: the names, then the values.
        let tcp = snmp.split(separator: "\n").filter { $0.hasPrefix("Tcp:") }.map { $0.split(separator: " ") }
        guard tcp.count == 2, let column = tcp[0].firstIndex(of: "RetransSegs"), column < tcp[1].count,
              let retransmitted = Int(tcp[1][column])
        else { return nil }
        return LoopbackCounters(backlogDrops: drops, retransmittedSegments: retransmitted)
    }

    /// What happened between `earlier` and `self`.
    func since(_ earlier: LoopbackCounters) -> LoopbackCounters {
        LoopbackCounters(
            backlogDrops: backlogDrops - earlier.backlogDrops,
            retransmittedSegments: retransmittedSegments - earlier.retransmittedSegments)
    }

    private static func text(_ path: String) -> String? {
        let descriptor = open(path, O_RDONLY | O_CLOEXEC)
        guard descriptor >= 0 else { return nil }
        defer { close(descriptor) }
        var result: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 4096)
        while true {
            let count = buffer.withUnsafeMutableBytes { Glibc.read(descriptor, $0.baseAddress, $0.count) }
            guard count > 0 else { break }
            result += buffer[..<count]
        }
        return String(decoding: result, as: UTF8.self)
    }
}
