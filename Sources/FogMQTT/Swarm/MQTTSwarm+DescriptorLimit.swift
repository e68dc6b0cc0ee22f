import Glibc

extension MQTTSwarm {
    /// Raises this process's soft `RLIMIT_NOFILE` to its hard limit and returns the new
    /// soft limit.
    ///
    /// Call it before starting brokers a benchmark connects to: a child process inherits
    /// the limit, and a broker left at the usual 1,024 refuses the 1,025th connection.
    @discardableResult
    public static func raiseDescriptorLimit() throws(MQTTSwarmError) -> Int {
        let resource = __rlimit_resource_t(RLIMIT_NOFILE.rawValue)
        var limit = rlimit()
        guard getrlimit(resource, &limit) == 0 else {
            throw failure("getrlimit(RLIMIT_NOFILE)")
        }
        if limit.rlim_cur < limit.rlim_max {
            limit.rlim_cur = limit.rlim_max
            guard setrlimit(resource, &limit) == 0 else {
                throw failure("setrlimit(RLIMIT_NOFILE, \(limit.rlim_max))")
            }
        }
        return Int(clamping: limit.rlim_cur)
    }

    private static func failure(_ operation: String) -> MQTTSwarmError {
        let code = errno
        return MQTTSwarmError(.systemCall, "\(operation) failed: \(String(cString: strerror(code)))", systemError: code)
    }
}
