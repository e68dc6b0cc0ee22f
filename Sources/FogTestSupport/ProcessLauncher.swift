/// How a harness starts a program: directly, or through a wrapper that execs it in place,
/// such as `ip netns exec NAMESPACE` (the site-to-site lab runs each component in the
/// network namespace of its site). Because the wrapper execs in place, the returned
/// process is the program itself: signals, exit status and pid are the program's.
public struct ProcessLauncher: Sendable {
    /// The wrapper's executable and its own arguments before the program's; nil: direct.
    private let wrapper: (executable: String, arguments: [String])?

    public static let direct = ProcessLauncher(wrapper: nil)

    private init(wrapper: (executable: String, arguments: [String])?) {
        self.wrapper = wrapper
    }

    /// Programs start as `executable arguments... PROGRAM PROGRAM-ARGUMENTS...`.
    public static func wrapped(_ executable: String, _ arguments: [String]) -> ProcessLauncher {
        ProcessLauncher(wrapper: (executable, arguments))
    }

    /// Whether programs start in this process's own network namespace, so a harness can
    /// probe their loopback ports from here.
    public var isDirect: Bool { wrapper == nil }

    /// The command line that starts `executable arguments`.
    public func command(_ executable: String, _ arguments: [String]) -> (executable: String, arguments: [String]) {
        guard let wrapper else { return (executable, arguments) }
        return (wrapper.executable, wrapper.arguments + [executable] + arguments)
    }

    /// `ChildProcess.spawn` through this launcher.
    public func spawn(
        _ executable: String, _ arguments: [String], environment: [String: String]? = nil, outputFile: String? = nil
    ) throws(ChildProcessError) -> ChildProcess {
        let line = command(executable, arguments)
        return try ChildProcess.spawn(line.executable, line.arguments, environment: environment, outputFile: outputFile)
    }

    /// `ChildProcess.run` through this launcher.
    public func run(
        _ executable: String, _ arguments: [String], environment: [String: String]? = nil, timeout: Duration
    ) async throws(ChildProcessError) -> (status: Int32, output: String) {
        let line = command(executable, arguments)
        return try await ChildProcess.run(line.executable, line.arguments, environment: environment, timeout: timeout)
    }
}
