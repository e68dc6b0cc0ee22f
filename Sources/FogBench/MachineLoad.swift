import Glibc

/// The one-minute load average, recorded with each result: on a shared 2-core machine,
/// other work running at the same time is the largest source of noise, and a reader
/// should see how much there was.
enum MachineLoad {
    static func oneMinute() -> Double? {
        var loads = [Double](repeating: 0, count: 1)
        guard getloadavg(&loads, 1) == 1 else { return nil }
        return loads[0]
    }
}
