import Foundation

/// The process tree as /proc shows it, for checks on what a component and its children do.
public enum ProcessTree {
    /// `processes` plus every process whose parent chain leads to one of them.
    public static func descendants(of processes: [Int32]) -> [Int32] {
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

    /// Whether `pid` is gone or a zombie (it exited and only awaits its parent's wait).
    public static func hasEnded(_ pid: Int32) -> Bool {
        guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
            let closing = stat.lastIndex(of: ")")
        else { return true }
        return stat[stat.index(after: closing)...].split(separator: " ").first == "Z"
    }
}
