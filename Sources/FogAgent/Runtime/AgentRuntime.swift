public import FogCore
internal import Foundation
public import Logging
public import ServiceLifecycle
internal import Synchronization

/// What `fog-agent run` runs: the local bus, the microservices and the link halves, driven by
/// the controller's commands (`apply`) and, while the controller or network is gone, by the
/// last state persisted in the state directory.
///
/// As a `Service`, `run()` starts the bus, restores every persisted microservice and link
/// half, supervises the bus until graceful shutdown or cancellation, then stops the children
/// (SIGTERM, SIGKILL after their grace period) and finally the bus.
public final class AgentRuntime: Service, Sendable {
    public let stateDirectory: String
    public let bus: LocalBus
    public let microservices: MicroserviceSupervisor
    public let linkHalves: LinkHalfSupervisor
    /// Pids of the running children (`<state>/run/`), for cleanup after a crash.
    public let children: ChildRegistry
    private let logger: Logger
    private let observer = ObserverSlot()
    /// Finishes once `start()` has brought up the bus and the persisted children; the
    /// session waits for it (see `AgentRunner`), so a command never meets a bus not yet running.
    private let startedSignal = AsyncStream<Never>.makeStream()

    public init(stateDirectory: String, configuration: AgentRuntimeConfiguration = .init(), logger: Logger)
        throws(AgentRuntimeError)
    {
        self.stateDirectory = stateDirectory
        self.logger = logger
        do {
            try StateFile.prepareDirectory(stateDirectory)
            children = try ChildRegistry(directory: stateDirectory + "/run")
            bus = try LocalBus(
                directory: stateDirectory + "/bus", configuration: configuration.bus, childRegistry: children,
                logger: logger)
        } catch let error as LocalBusError {
            throw AgentRuntimeError(error)
        } catch let error as AgentStateError {
            throw AgentRuntimeError(error)
        } catch let error as AgentRuntimeError {
            throw error
        } catch {
            throw AgentRuntimeError(.fileIO, "\(error)")
        }
        let observer = self.observer
        microservices = try MicroserviceSupervisor(
            stateDirectory: stateDirectory, bus: bus, policy: configuration.microserviceRestart,
            logFileLimit: configuration.logFileLimit, childRegistry: children, logger: logger,
            onChange: {
                guard let current = observer.value.withLock({ $0 }) else { return }
                Task { await current.statusChanged() }
            })
        linkHalves = try LinkHalfSupervisor(
            stateDirectory: stateDirectory, bus: bus,
            fogLinkPath: configuration.fogLinkPath ?? Self.siblingExecutable("fog-link"),
            queueMaximumBytes: configuration.linkQueueMaximumBytes, logLevel: configuration.linkLogLevel,
            policy: configuration.linkHalfRestart,
            logFileLimit: configuration.logFileLimit, childRegistry: children, logger: logger)
    }

    /// Where link secret reports and status nudges go (the agent's session to its ComSat).
    public func setObserver(_ observer: (any AgentRuntimeObserver)?) async {
        self.observer.value.withLock { $0 = observer }
        await linkHalves.setObserver(observer)
    }

    /// Starts the bus and everything persisted. A stored spec or half that cannot start is
    /// logged and skipped, so one bad entry does not keep the others down.
    public func start() async throws(AgentRuntimeError) {
        let stale = children.reapStale()
        if stale > 0 {
            logger.warning("ended children left by a previous agent process", metadata: ["fog.children": "\(stale)"])
        }
        do {
            try await bus.start()
        } catch {
            throw AgentRuntimeError(error)
        }
        do {
            for spec in try microservices.storedSpecs() {
                do {
                    try await microservices.deploy(spec)
                } catch {
                    logger.error(
                        "cannot restore microservice",
                        metadata: ["fog.microservice": "\(spec.name)", "fog.error": "\(error)"])
                }
            }
        } catch {
            logger.error("cannot restore microservices", metadata: ["fog.error": "\(error)"])
        }
        do {
            try await linkHalves.restore()
        } catch {
            logger.error("cannot restore link halves", metadata: ["fog.error": "\(error)"])
        }
        startedSignal.continuation.finish()
    }

    /// Returns once `start()` has finished (or at once when cancelled).
    public func waitUntilStarted() async {
        for await _ in startedSignal.stream {}
    }

    /// Stops every child, then the bus; persisted state stays for the next start.
    public func shutdown() async {
        await microservices.stopAll()
        await linkHalves.stopAll()
        await bus.stop()
        logger.info("agent runtime stopped")
    }

    public func run() async throws {
        try await start()
        await cancelWhenGracefulShutdown {
            await self.bus.supervise()
        }
        await shutdown()
    }

    /// Carries out one controller command. Every command is idempotent: deploying the running
    /// spec, removing an absent microservice, assigning the running half or wiping an absent
    /// one all succeed without effect.
    public func apply(_ command: AgentCommand) async -> AgentAcknowledgement.Result {
        do {
            switch command {
            case .deployMicroservice(let spec):
                try await microservices.deploy(spec)
            case .removeMicroservice(let name):
                try await microservices.remove(name: name)
            case .assignLinkHalf(let assignment):
                try await linkHalves.assign(assignment)
            case .stopAndWipeLinkHalf(let linkID, let side):
                try await linkHalves.wipe(linkID: linkID, side: side)
            case .ping:
                break
            case .setLinkRoutes(let linkID, let side, let routes):
                try await linkHalves.setRoutes(linkID: linkID, side: side, routes: routes)
            }
            logger.info("command applied", metadata: ["fog.command": "\(command)"])
            return .applied
        } catch {
            logger.error("command failed", metadata: ["fog.command": "\(command)", "fog.error": "\(error)"])
            return .failed(reason: String(error.description.utf8.prefix(AgentAcknowledgement.maximumReasonLength)) ?? error.code.description)
        }
    }

    public func currentStatus() async -> (microservices: [AgentStatus.Microservice], linkHalves: [AgentStatus.LinkHalf]) {
        (await microservices.status(), await linkHalves.status())
    }

    /// `name` in the directory of the running executable (`fog-link` ships beside `fog-agent`).
    static func siblingExecutable(_ name: String) -> String {
        let executable = (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? ""
        return (executable as NSString).deletingLastPathComponent + "/" + name
    }
}

/// The observer, shared with the microservice supervisor's change callback (set after both exist).
private final class ObserverSlot: Sendable {
    let value = Mutex<(any AgentRuntimeObserver)?>(nil)
}
