import Glibc
import Synchronization

/// A child process started with `posix_spawn`, reaped with `waitpid`.
///
/// Foundation's `Process`, started from an async test, hands the child the test runner's
/// blocked-signal mask: SIGTERM then stays blocked in Mosquitto and a graceful stop never
/// happens. Spawning here clears the mask (`POSIX_SPAWN_SETSIGMASK` with an empty set) and
/// resets every signal to its default action (`POSIX_SPAWN_SETSIGDEF`), closes every
/// inherited descriptor above stderr (the child must not keep the test's sockets alive),
/// and sends stdout and stderr to a file when asked.
///
/// The pid is reaped under the same lock that guards signalling, so a signal never reaches
/// a recycled pid. A process dropped while still running is killed and reaped in `deinit`,
/// so no zombie outlives its owner.
public final class ChildProcess: Sendable {
    /// Process id; valid until the process has been reaped.
    public let pid: Int32
    /// Executable path or name as given to `spawn`, for messages.
    public let executable: String

    private struct State {
        /// Set once `waitpid` has reaped the child: the exit code, or 128 + signal number.
        var exitStatus: Int32?
    }
    private let state = Mutex(State())

    private init(pid: Int32, executable: String) {
        self.pid = pid
        self.executable = executable
    }

    deinit {
        let reaped = state.withLock { $0.exitStatus != nil }
        if !reaped {
            _ = Glibc.kill(pid, SIGKILL)
            var status: Int32 = 0
            while waitpid(pid, &status, 0) == -1 && errno == EINTR {}
        }
    }

    /// Starts `executable` with `arguments` (not including argv[0]).
    ///
    /// - Parameters:
    ///   - executable: an absolute path, or a bare name looked up in `PATH`.
    ///   - environment: the child's whole environment; `nil` inherits this process's.
    ///   - outputFile: stdout and stderr are appended to this file (created 0644);
    ///     `nil` inherits this process's descriptors.
    public static func spawn(
        _ executable: String,
        _ arguments: [String],
        environment: [String: String]? = nil,
        outputFile: String? = nil
    ) throws -> ChildProcess {
        var attributes = posix_spawnattr_t()
        try check(posix_spawnattr_init(&attributes), "posix_spawnattr_init")
        defer { posix_spawnattr_destroy(&attributes) }
        var emptyMask = sigset_t()
        sigemptyset(&emptyMask)
        var allSignals = sigset_t()
        sigfillset(&allSignals)
        try check(posix_spawnattr_setsigmask(&attributes, &emptyMask), "posix_spawnattr_setsigmask")
        try check(posix_spawnattr_setsigdefault(&attributes, &allSignals), "posix_spawnattr_setsigdefault")
        try check(
            posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF)),
            "posix_spawnattr_setflags")

        var actions = posix_spawn_file_actions_t()
        try check(posix_spawn_file_actions_init(&actions), "posix_spawn_file_actions_init")
        defer { posix_spawn_file_actions_destroy(&actions) }
        try check(
            posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0),
            "posix_spawn_file_actions_addopen(/dev/null)")
        if let outputFile {
            try check(
                posix_spawn_file_actions_addopen(&actions, 1, outputFile, O_WRONLY | O_CREAT | O_APPEND, 0o644),
                "posix_spawn_file_actions_addopen(\(outputFile))")
            try check(posix_spawn_file_actions_adddup2(&actions, 1, 2), "posix_spawn_file_actions_adddup2")
        }
        if let addCloseFrom = Self.addCloseFrom {
            try check(addCloseFrom(&actions, 3), "posix_spawn_file_actions_addclosefrom_np")
        }

        let argv = CStringArray([executable] + arguments)
        let environmentEntries = environment.map { $0.map { "\($0.key)=\($0.value)" } }
        let envp = environmentEntries.map(CStringArray.init)
        defer {
            argv.deallocate()
            envp?.deallocate()
        }

        var pid: pid_t = 0
        let result: Int32
        if let envp {
            result = spawn(&pid, executable, &actions, &attributes, argv.pointers, envp.pointers)
        } else {
            result = spawn(&pid, executable, &actions, &attributes, argv.pointers, environ)
        }
        guard result == 0 else {
            throw TestSupportError(
                .spawnFailed, "cannot start \(executable): \(String(cString: strerror(result)))", errno: result)
        }
        return ChildProcess(pid: pid, executable: executable)
    }

    /// Runs a one-shot command (such as `mosquitto_pub` or `mosquitto_passwd`) to completion
    /// and returns its exit status with stdout and stderr interleaved.
    ///
    /// - Throws: `TestSupportError.timeout` (after killing it) if it outlives `timeout`.
    public static func run(
        _ executable: String,
        _ arguments: [String],
        environment: [String: String]? = nil,
        timeout: Duration
    ) async throws -> (status: Int32, output: String) {
        let directory = try TemporaryDirectory(prefix: "fog-run")
        defer { directory.remove() }
        let outputFile = directory.path + "/output"
        let process = try spawn(executable, arguments, environment: environment, outputFile: outputFile)
        guard let status = await process.waitForExit(timeout: timeout) else {
            process.kill()
            _ = await process.waitForExit(timeout: .seconds(5))
            throw TestSupportError(.timeout, "\(executable) \(arguments.joined(separator: " ")) still running after \(timeout)")
        }
        let output = (try? TextFile.read(outputFile)) ?? ""
        return (status, output)
    }

    /// Finds an executable: `name` itself if it holds a slash, else the first match in `PATH`,
    /// then in `fallbackDirectories` (daemons such as mosquitto live in `/usr/sbin`, which a
    /// non-root `PATH` often lacks).
    public static func locate(_ name: String, fallbackDirectories: [String] = ["/usr/sbin", "/usr/local/sbin"]) -> String? {
        if name.contains("/") {
            return access(name, X_OK) == 0 ? name : nil
        }
        let path = getenv("PATH").map { String(cString: $0) } ?? ""
        let directories = path.split(separator: ":").map(String.init) + fallbackDirectories
        for directory in directories where !directory.isEmpty {
            let candidate = directory + "/" + name
            if access(candidate, X_OK) == 0 {
                return candidate
            }
        }
        return nil
    }

    /// Sends SIGTERM, unless the process has already been reaped.
    public func terminate() {
        signal(SIGTERM)
    }

    /// Sends SIGKILL, unless the process has already been reaped.
    public func kill() {
        signal(SIGKILL)
    }

    /// Sends `signalNumber`, unless the process has already been reaped.
    public func signal(_ signalNumber: Int32) {
        state.withLock { state in
            // Reaping happens under this lock too, so the pid cannot have been recycled.
            if state.exitStatus == nil {
                _ = Glibc.kill(pid, signalNumber)
            }
        }
    }

    /// The exit status once the process has ended (exit code, or 128 + signal number as a
    /// shell reports it); `nil` while it runs. Reaps the process if it has just ended.
    public var exitStatus: Int32? {
        state.withLock { state in
            if state.exitStatus == nil {
                var status: Int32 = 0
                var result: pid_t
                repeat {
                    result = waitpid(pid, &status, WNOHANG)
                } while result == -1 && errno == EINTR
                if result == pid {
                    state.exitStatus = Self.decode(status)
                } else if result == -1 {
                    // ECHILD: someone else reaped it (a SIGCHLD handler set to SIG_IGN); report it as gone.
                    state.exitStatus = -1
                }
            }
            return state.exitStatus
        }
    }

    public var isRunning: Bool { exitStatus == nil }

    /// Waits up to `timeout` for the process to end and returns its exit status
    /// (see `exitStatus`), or `nil` if it is still running at the deadline or the task
    /// was cancelled.
    public func waitForExit(timeout: Duration) async -> Int32? {
        let clock = ContinuousClock()
        let deadline = clock.now.advanced(by: timeout)
        // Start fast (a stop usually takes a few milliseconds) and back off to 20 ms.
        var interval = Duration.milliseconds(1)
        while true {
            if let status = exitStatus {
                return status
            }
            if clock.now >= deadline || Task.isCancelled {
                return nil
            }
            try? await Task.sleep(for: interval)
            interval = min(interval * 2, .milliseconds(20))
        }
    }

    private typealias AddCloseFrom = @convention(c) (UnsafeMutablePointer<posix_spawn_file_actions_t>, Int32) -> Int32

    /// glibc ≥ 2.34 has `posix_spawn_file_actions_addclosefrom_np`, but only under `_GNU_SOURCE`,
    /// which Swift's Glibc module does not define; look it up at run time instead. Without it
    /// (older glibc) children inherit descriptors not marked close-on-exec.
    private static let addCloseFrom: AddCloseFrom? = {
        guard let symbol = dlsym(nil, "posix_spawn_file_actions_addclosefrom_np") else {
            return nil
        }
        return unsafeBitCast(symbol, to: AddCloseFrom.self)
    }()

    private static func decode(_ status: Int32) -> Int32 {
        let signalNumber = status & 0x7f
        if signalNumber == 0 {
            return (status >> 8) & 0xff
        }
        return 128 + signalNumber
    }

    private static func spawn(
        _ pid: UnsafeMutablePointer<pid_t>,
        _ executable: String,
        _ actions: UnsafePointer<posix_spawn_file_actions_t>,
        _ attributes: UnsafePointer<posix_spawnattr_t>,
        _ argv: UnsafePointer<UnsafeMutablePointer<CChar>?>,
        _ envp: UnsafePointer<UnsafeMutablePointer<CChar>?>?
    ) -> Int32 {
        if executable.contains("/") {
            return posix_spawn(pid, executable, actions, attributes, argv, envp)
        }
        return posix_spawnp(pid, executable, actions, attributes, argv, envp)
    }

    private static func check(_ result: Int32, _ operation: String) throws {
        if result != 0 {
            throw TestSupportError(.systemCall, "\(operation) failed: \(String(cString: strerror(result)))", errno: result)
        }
    }
}

/// A NULL-terminated `char *[]` owning its strings, for argv and envp.
private struct CStringArray {
    let pointers: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>
    private let count: Int

    init(_ strings: [String]) {
        count = strings.count
        pointers = .allocate(capacity: strings.count + 1)
        for (index, string) in strings.enumerated() {
            pointers[index] = strdup(string)
        }
        pointers[strings.count] = nil
    }

    func deallocate() {
        for index in 0..<count {
            free(pointers[index])
        }
        pointers.deallocate()
    }
}
