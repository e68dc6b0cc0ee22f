import Glibc

/// Memory a process holds, to report a broker's cost per connection.
enum ProcessMemory {
    /// Resident set size of process `pid` in bytes (`VmRSS` of `/proc/<pid>/status`); nil if
    /// the process is gone or the file is unreadable.
    static func residentBytes(_ pid: Int32) -> Int? {
        let descriptor = open("/proc/\(pid)/status", O_RDONLY | O_CLOEXEC)
        guard descriptor >= 0 else { return nil }
        defer { close(descriptor) }
        var buffer = [UInt8](repeating: 0, count: 4096)
        let length = buffer.withUnsafeMutableBytes { read(descriptor, $0.baseAddress, $0.count) }
        guard length > 0 else { return nil }
        let text = String(decoding: buffer[..<length], as: UTF8.self)
        // "VmRSS:	   12345 kB"
        guard let line = text.split(separator: "\n").first(where: { $0.hasPrefix("VmRSS:") }),
              let kibibytes = line.split(separator: " ", omittingEmptySubsequences: true).compactMap({ Int($0) }).first
        else { return nil }
        return kibibytes * 1024
    }
}
