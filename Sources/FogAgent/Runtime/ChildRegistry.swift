internal import FogSystem
internal import Glibc

/// The agent's children, recorded on disk so a restarted agent can end the ones a crashed
/// predecessor left behind (an orphaned bus would keep its port and persistence directory,
/// orphaned microservices would keep running with stale credentials).
///
/// One file per child in `directory` (0700), named by its pid and holding its kernel start
/// time (`/proc/PID/stat` field 22) and whether it leads a process group. A record is
/// trusted only if both pid and start time still match, so a recycled pid is never killed.
/// Records hold nothing else: no names, so no link id ever lands here.
public final class ChildRegistry: Sendable {
    public let directory: String

    public init(directory: String) throws(AgentRuntimeError) {
        self.directory = directory
        do {
            try StateFile.prepareDirectory(directory)
        } catch {
            throw AgentRuntimeError(error)
        }
    }

    func record(_ process: ChildProcess) {
        guard let startTime = Self.startTime(of: process.pid) else {
            return
        }
        let text = "\(startTime) \(process.ownsProcessGroup ? 1 : 0)\n"
        try? StateFile.write(Array(text.utf8), to: directory, name: String(process.pid))
    }

    func forget(_ pid: Int32) {
        _ = unlink(directory + "/" + String(pid))
    }

    /// SIGKILLs every recorded child that is still the same process (and its group), then
    /// clears the records. Returns how many were killed.
    @discardableResult
    public func reapStale() -> Int {
        var killed = 0
        guard let stream = opendir(directory) else {
            return 0
        }
        var names: [String] = []
        while let entry = readdir(stream) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
            if let _ = Int32(name) {
                names.append(name)
            }
        }
        closedir(stream)
        for name in names {
            guard let pid = Int32(name) else { continue }
            let fields = ((try? StateFile.read(directory, name: name, maximumSize: 256)) ?? [])
                .split(separator: UInt8(ascii: " ")).map { String(decoding: $0, as: UTF8.self) }
            if fields.count == 2, let recorded = UInt64(fields[0].trimmingNewline),
                let current = Self.startTime(of: pid), current == recorded
            {
                _ = kill(fields[1].trimmingNewline == "1" ? -pid : pid, SIGKILL)
                killed += 1
            }
            forget(pid)
        }
        return killed
    }

    /// Field 22 of `/proc/PID/stat` (clock ticks since boot at which the process started).
    static func startTime(of pid: Int32) -> UInt64? {
        let descriptor = open("/proc/\(pid)/stat", O_RDONLY | O_CLOEXEC)
        guard descriptor >= 0 else { return nil }
        defer { _ = close(descriptor) }
        var buffer = [UInt8](repeating: 0, count: 1_024)
        let count = buffer.withUnsafeMutableBytes { read(descriptor, $0.baseAddress, $0.count) }
        guard count > 0, let closing = buffer[..<count].lastIndex(of: UInt8(ascii: ")")) else { return nil }
        // After "pid (comm) " come the fields from 3 (state) on; comm may hold spaces.
        let fields = buffer[(closing + 1)..<count].split(separator: UInt8(ascii: " "))
        guard fields.count > 19 else { return nil }
        return UInt64(String(decoding: fields[19], as: UTF8.self))
    }
}

extension String {
    fileprivate var trimmingNewline: String {
        hasSuffix("\n") ? String(dropLast()) : self
    }
}
