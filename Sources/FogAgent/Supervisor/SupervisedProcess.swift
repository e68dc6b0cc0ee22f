internal import FogCore
internal import FogSystem
internal import Logging
internal import Synchronization

/// One child kept running: spawned by `launch`, restarted with `RestartPolicy` backoff when
/// it exits on its own, stopped (SIGTERM, SIGKILL after the grace period) by `stop()`.
///
/// The restart loop is a task owned by this object: `start()` begins it, `stop()` ends it and
/// waits for it, so no child outlives a stopped supervisor.
final class SupervisedProcess: Sendable {
    typealias State = AgentStatus.Microservice.State

    struct Snapshot: Sendable {
        var state: State
        var restarts: UInt32
        var pid: Int32?
    }

    let name: String
    private let policy: RestartPolicy
    private let launch: @Sendable () throws -> ChildProcess
    private let onChange: @Sendable (Snapshot) -> Void
    private let logger: Logger
    private let registry: ChildRegistry?

    private struct Inner {
        var state: State = .starting
        var restarts: UInt32 = 0
        var process: ChildProcess?
        var stopping = false
        var loop: Task<Void, Never>?
    }
    private let inner = Mutex(Inner())

    /// - Parameters:
    ///   - launch: spawns the child with its outputs wired; throwing counts as a failed start.
    ///   - onChange: called after every state change, on the loop's task; must return quickly.
    init(
        name: String, policy: RestartPolicy, logger: Logger, registry: ChildRegistry?,
        launch: @escaping @Sendable () throws -> ChildProcess, onChange: @escaping @Sendable (Snapshot) -> Void
    ) {
        self.registry = registry
        self.name = name
        self.policy = policy
        self.launch = launch
        self.onChange = onChange
        self.logger = logger
    }

    var snapshot: Snapshot {
        inner.withLock { Snapshot(state: $0.state, restarts: $0.restarts, pid: $0.process?.isRunning == true ? $0.process?.pid : nil) }
    }

    func start() {
        let task = Task { await self.superviseLoop() }
        inner.withLock { $0.loop = task }
    }

    /// Stops the child and the restart loop; returns once both ended.
    func stop() async {
        let (process, loop) = inner.withLock { inner in
            inner.stopping = true
            return (inner.process, inner.loop)
        }
        if let process {
            let status = await process.stop(grace: policy.stopGrace)
            logger.info("stopped", metadata: ["fog.process": "\(name)", "fog.process.status": "\(status ?? -1)"])
        }
        loop?.cancel()
        await loop?.value
    }

    private func superviseLoop() async {
        let clock = ContinuousClock()
        var delay = policy.initialDelay
        while !isStopping {
            set(.starting)
            let process: ChildProcess
            do {
                process = try launch()
            } catch {
                logger.error("cannot start", metadata: ["fog.process": "\(name)", "fog.process.error": "\(error)"])
                set(.failed)
                try? await Task.sleep(for: delay)
                delay = policy.next(after: delay)
                continue
            }
            // Published before the registry's file write, so the pid is known as soon as the
            // child can do anything observable.
            let stoppingNow = inner.withLock { inner in
                inner.process = process
                return inner.stopping
            }
            registry?.record(process)
            defer { registry?.forget(process.pid) }
            if stoppingNow {
                await process.stop(grace: policy.stopGrace)
                break
            }
            set(.running)
            let startedAt = clock.now
            let status = await process.waitForExit()
            if isStopping {
                break
            }
            if clock.now - startedAt >= policy.stablePeriod {
                delay = policy.initialDelay
            }
            logger.warning(
                "exited, restarting",
                metadata: ["fog.process": "\(name)", "fog.process.status": "\(status ?? -1)", "fog.process.delay": "\(delay)"])
            inner.withLock { inner in
                inner.restarts &+= 1
                inner.process = nil
            }
            set(.backingOff)
            try? await Task.sleep(for: delay)
            delay = policy.next(after: delay)
        }
        set(.stopped)
    }

    private var isStopping: Bool {
        inner.withLock { $0.stopping } || Task.isCancelled
    }

    private func set(_ state: State) {
        let snapshot = inner.withLock { inner in
            inner.state = state
            return Snapshot(state: state, restarts: inner.restarts, pid: inner.process?.pid)
        }
        onChange(snapshot)
    }
}
