internal import Glibc
internal import Synchronization

/// A child process started with `posix_spawn`, reaped with `waitpid`.
///
/// Foundation's `Process`, started from async code, hands the child the caller's
/// blocked-signal mask: SIGTERM then stays blocked in the child and a graceful stop never
/// happens. Spawning here clears the mask (`POSIX_SPAWN_SETSIGMASK` with an empty set), resets
/// every signal to its default action (`POSIX_SPAWN_SETSIGDEF`), gives the child `/dev/null`
/// as stdin, closes every inherited descriptor above stderr (a child must not keep the
/// parent's sockets, pipes or state files open) and sends stdout and stderr where asked.
///
/// The pid is reaped under the same lock that guards signalling, so a signal never reaches
/// a recycled pid. A process dropped while still running is killed and reaped in `deinit`,
/// so no zombie outlives its owner.
public final class ChildProcess: Sendable {
    /// Process id; valid until the process has been reaped.
    public let pid: Int32
    /// Executable path or name as given to `spawn`, for messages.
    public let executable: String
    /// Whether the child leads its own process group, so signals reach everything it started.
    public let ownsProcessGroup: Bool

    private struct State {
        /// Set once `waitpid` has reaped the child: the exit code, or 128 + signal number.
        var exitStatus: Int32?
    }
    private let state = Mutex(State())

    private init(pid: Int32, executable: String, ownsProcessGroup: Bool) {
        self.pid = pid
        self.executable = executable
        self.ownsProcessGroup = ownsProcessGroup
    }

    deinit {
        let reaped = state.withLock { $0.exitStatus != nil }
        if !reaped {
            _ = Glibc.kill(ownsProcessGroup ? -pid : pid, SIGKILL)
            var status: Int32 = 0
            while waitpid(pid, &status, 0) == -1 && errno == EINTR {}
        }
    }

    /// Starts `executable` with `arguments` (not including argv[0]), stdout and stderr both
    /// appended to `outputFile`, or inherited when it is `nil`.
    public static func spawn(
        _ executable: String,
        _ arguments: [String],
        environment: [String: String]? = nil,
        outputFile: String? = nil
    ) throws(ChildProcessError) -> ChildProcess {
        try spawn(
            executable, arguments, environment: environment,
            standardOutput: outputFile.map { .file($0) } ?? .inherit, standardError: nil)
    }

    /// Starts `executable` with `arguments` (not including argv[0]).
    ///
    /// - Parameters:
    ///   - executable: an absolute path, or a bare name looked up in `PATH`.
    ///   - environment: the child's whole environment; `nil` inherits this process's.
    ///   - standardOutput: where stdout goes.
    ///   - standardError: where stderr goes; `nil` means the same place as stdout. Each pipe
    ///     gets its own reader thread.
    ///   - processGroup: start the child as the leader of a new process group and signal the
    ///     whole group, so a shell script's children stop with it.
    public static func spawn(
        _ executable: String,
        _ arguments: [String],
        environment: [String: String]? = nil,
        standardOutput: ChildProcessOutput,
        standardError: ChildProcessOutput?,
        processGroup: Bool = false
    ) throws(ChildProcessError) -> ChildProcess {
        var attributes = posix_spawnattr_t()
        try check(posix_spawnattr_init(&attributes), "posix_spawnattr_init", executable)
        defer { posix_spawnattr_destroy(&attributes) }
        var emptyMask = sigset_t()
        sigemptyset(&emptyMask)
        var allSignals = sigset_t()
        sigfillset(&allSignals)
        try check(posix_spawnattr_setsigmask(&attributes, &emptyMask), "posix_spawnattr_setsigmask", executable)
        try check(posix_spawnattr_setsigdefault(&attributes, &allSignals), "posix_spawnattr_setsigdefault", executable)
        var flags = POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF
        if processGroup {
            flags |= POSIX_SPAWN_SETPGROUP
            try check(posix_spawnattr_setpgroup(&attributes, 0), "posix_spawnattr_setpgroup", executable)
        }
        try check(posix_spawnattr_setflags(&attributes, Int16(flags)), "posix_spawnattr_setflags", executable)

        var actions = posix_spawn_file_actions_t()
        try check(posix_spawn_file_actions_init(&actions), "posix_spawn_file_actions_init", executable)
        defer { posix_spawn_file_actions_destroy(&actions) }
        try check(
            posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0),
            "posix_spawn_file_actions_addopen(/dev/null)", executable)

        // The parent's ends of the pipes: each read end goes to a reader thread after a
        // successful spawn, the write ends are closed in the parent either way.
        var pipes: [(read: Int32, write: Int32, handler: @Sendable ([UInt8]?) -> Void)] = []
        defer {
            for pipe in pipes {
                _ = close(pipe.write)
            }
        }
        for (descriptor, output) in [(Int32(1), standardOutput), (Int32(2), standardError)] {
            switch output?.kind {
            case nil:
                try check(posix_spawn_file_actions_adddup2(&actions, 1, 2), "posix_spawn_file_actions_adddup2", executable)
            case .inherit:
                break
            case .discard:
                try check(
                    posix_spawn_file_actions_addopen(&actions, descriptor, "/dev/null", O_WRONLY, 0),
                    "posix_spawn_file_actions_addopen(/dev/null)", executable)
            case .file(let path, let truncate):
                let mode = O_WRONLY | O_CREAT | (truncate ? O_TRUNC : O_APPEND)
                try check(
                    posix_spawn_file_actions_addopen(&actions, descriptor, path, mode, 0o600),
                    "posix_spawn_file_actions_addopen(\(path))", executable)
            case .pipe(let handler):
                // pipe2 needs _GNU_SOURCE; setting close-on-exec right after is enough because
                // every spawn here also closes all descriptors above stderr in the child.
                var ends: [Int32] = [-1, -1]
                guard Glibc.pipe(&ends) == 0, fcntl(ends[0], F_SETFD, FD_CLOEXEC) == 0,
                    fcntl(ends[1], F_SETFD, FD_CLOEXEC) == 0
                else {
                    let code = errno
                    throw ChildProcessError(
                        .systemCall, "pipe2 for \(executable) failed: \(String(cString: strerror(code)))",
                        systemError: code)
                }
                pipes.append((ends[0], ends[1], handler))
                // dup2 clears close-on-exec on the child's copy; closefrom drops the originals.
                try check(
                    posix_spawn_file_actions_adddup2(&actions, ends[1], descriptor), "posix_spawn_file_actions_adddup2",
                    executable)
            }
        }
        if let addCloseFrom = Self.addCloseFrom {
            try check(addCloseFrom(&actions, 3), "posix_spawn_file_actions_addclosefrom_np", executable)
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
            for pipe in pipes {
                _ = close(pipe.read)
            }
            throw ChildProcessError(
                .spawnFailed, "cannot start \(executable): \(String(cString: strerror(result)))", systemError: result)
        }
        let process = ChildProcess(pid: pid, executable: executable, ownsProcessGroup: processGroup)
        for (index, pipe) in pipes.enumerated() {
            let descriptor = pipe.read
            let handler = pipe.handler
            do {
                try DetachedThread.start { readToEnd(descriptor, handler) }
            } catch {
                // The process runs; without readers it would block on a full pipe, so end it.
                for unread in pipes[index...] {
                    _ = close(unread.read)
                }
                process.kill()
                throw error
            }
        }
        return process
    }

    /// Runs a one-shot command (such as `mosquitto_pub` or `mosquitto_passwd`) to completion
    /// and returns its exit status with stdout and stderr interleaved.
    ///
    /// - Throws: `ChildProcessError.timeout` (after killing it) if it outlives `timeout`.
    public static func run(
        _ executable: String,
        _ arguments: [String],
        environment: [String: String]? = nil,
        timeout: Duration
    ) async throws(ChildProcessError) -> (status: Int32, output: String) {
        struct Collected {
            var bytes: [UInt8] = []
            var finished = false
        }
        let collected = Mutex(Collected())
        let process = try spawn(
            executable, arguments, environment: environment,
            standardOutput: .pipe { chunk in
                collected.withLock { collected in
                    if let chunk {
                        collected.bytes += chunk
                    } else {
                        collected.finished = true
                    }
                }
            },
            standardError: nil)
        let clock = ContinuousClock()
        let deadline = clock.now.advanced(by: timeout)
        guard let status = await process.waitForExit(timeout: timeout) else {
            process.kill()
            _ = await process.waitForExit(timeout: .seconds(5))
            throw ChildProcessError(
                .timeout, "\(executable) \(arguments.joined(separator: " ")) still running after \(timeout)")
        }
        // Something the command started in the background may hold the pipe open; take what
        // arrived by the deadline rather than waiting for it.
        var interval = Duration.milliseconds(1)
        while !collected.withLock({ $0.finished }) && clock.now < deadline {
            try? await Task.sleep(for: interval)
            interval = min(interval * 2, .milliseconds(20))
        }
        return (status, String(decoding: collected.withLock { $0.bytes }, as: UTF8.self))
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

    /// Sends `signalNumber` (to the whole group when the child owns one), unless the process
    /// has already been reaped.
    public func signal(_ signalNumber: Int32) {
        state.withLock { state in
            // Reaping happens under this lock too, so the pid cannot have been recycled.
            if state.exitStatus == nil {
                _ = Glibc.kill(ownsProcessGroup ? -pid : pid, signalNumber)
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

    /// Waits for the process to end, however long that takes (a supervisor's watch); `nil`
    /// only if the task was cancelled first.
    public func waitForExit() async -> Int32? {
        var interval = Duration.milliseconds(1)
        while !Task.isCancelled {
            if let status = exitStatus {
                return status
            }
            try? await Task.sleep(for: interval)
            interval = min(interval * 2, .milliseconds(50))
        }
        return exitStatus
    }

    /// SIGTERM, then SIGKILL if the process is still running after `grace`; returns the exit
    /// status (nil only if even SIGKILL did not end it within `grace`, e.g. stuck in the kernel).
    @discardableResult
    public func stop(grace: Duration) async -> Int32? {
        terminate()
        if let status = await waitForExit(timeout: grace) {
            return status
        }
        kill()
        return await waitForExit(timeout: grace)
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

    private static func check(_ result: Int32, _ operation: String, _ executable: String) throws(ChildProcessError) {
        if result != 0 {
            throw ChildProcessError(
                .systemCall, "\(operation) for \(executable) failed: \(String(cString: strerror(result)))",
                systemError: result)
        }
    }
}

/// Reads `descriptor` until end of file, handing each chunk to `handler`, then `nil`; closes it.
private func readToEnd(_ descriptor: Int32, _ handler: @Sendable ([UInt8]?) -> Void) {
    var buffer = [UInt8](repeating: 0, count: 64 * 1_024)
    while true {
        let count = buffer.withUnsafeMutableBytes { read(descriptor, $0.baseAddress, $0.count) }
        if count > 0 {
            handler(Array(buffer[..<count]))
        } else if count == 0 || errno != EINTR {
            break
        }
    }
    _ = close(descriptor)
    handler(nil)
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
