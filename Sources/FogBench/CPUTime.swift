import Glibc

/// CPU time consumed so far, to tell which side of a benchmark was saturated and to
/// compare the broker's cost per message with and without the plugin.
enum CPUTime {
    /// User plus system CPU seconds of process `pid`, from `/proc/<pid>/stat`; nil if the
    /// process is gone or the file is unreadable.
    static func process(_ pid: Int32) -> Double? {
        let descriptor = open("/proc/\(pid)/stat", O_RDONLY | O_CLOEXEC)
        guard descriptor >= 0 else { return nil }
        defer { close(descriptor) }
        var buffer = [UInt8](repeating: 0, count: 1024)
        let length = buffer.withUnsafeMutableBytes { read(descriptor, $0.baseAddress, $0.count) }
        guard length > 0 else { return nil }
        // The command name (field 2) may hold spaces and parentheses; fields after the last
        // ')' are plain: state is field 3, utime and stime are fields 14 and 15.
        guard let close = buffer[..<length].lastIndex(of: UInt8(ascii: ")")) else { return nil }
        let fields = buffer[(close + 1)..<length].split(separator: UInt8(ascii: " "))
        guard fields.count > 12,
              let user = Double(String(decoding: fields[11], as: UTF8.self)),
              let system = Double(String(decoding: fields[12], as: UTF8.self))
        else { return nil }
        return (user + system) / Double(sysconf(Int32(_SC_CLK_TCK)))
    }

    /// CPU seconds of the calling thread.
    static func currentThread() -> Double {
        var time = timespec()
        clock_gettime(CLOCK_THREAD_CPUTIME_ID, &time)
        return Double(time.tv_sec) + Double(time.tv_nsec) / 1e9
    }
}
