public import FogAgent
public import FogController
public import FogCore
import FogMQTT
public import FogTestSupport
import Foundation
import GRDB
import Synchronization
import Testing

/// The controller's command dispatcher and real agent sessions on one ComSat with the
/// plugin: a `ProvisioningRig` whose agents are provisioned for real (their keys are the
/// ones the controller stores), plus an `AgentCommandDispatcher` attached to the rig's
/// session and running.
public struct CommandChannelRig {
    public let provisioning: ProvisioningRig
    public let dispatcher: AgentCommandDispatcher

    public var fixture: ComSatFixture { provisioning.fixture }
    public var database: ControllerDatabase { fixture.database }

    /// Runs `body`; the dispatcher, the fleet and the broker are stopped afterwards.
    public static func run(
        tls: Bool = false, configuration: AgentCommandConfiguration, _ body: (CommandChannelRig) async throws -> Void
    ) async throws {
        try await ProvisioningRig.run(tls: tls) { provisioning in
            let dispatcher = AgentCommandDispatcher(
                home: provisioning.fixture.home, store: provisioning.fixture.database, fleet: provisioning.fleet,
                configuration: configuration, logger: ComSatFixture.logger)
            try await dispatcher.attach(provisioning.session)
            let runner = Task { await dispatcher.run() }
            defer { runner.cancel() }
            try await body(CommandChannelRig(provisioning: provisioning, dispatcher: dispatcher))
            runner.cancel()
            await runner.value
        }
    }

    /// Provisions agent `name` through the real exchange and returns its state.
    public func provisionAgent(_ name: String) async throws -> AgentState {
        let key = try await provisioning.issue(name)
        return try await provisioning.provision(name, token: key.token).get()
    }

    public func stateDirectory(_ name: String) -> String { provisioning.stateDirectory(name) }

    /// The agent's unacknowledged commands.
    public func outbox(_ agentID: OpaqueID) async throws -> [AgentCommandRecord] {
        try await database.pendingCommands(agentID: agentID)
    }

    public func presence(_ agentID: OpaqueID) async throws -> AgentRecord.Presence? {
        try await database.agent(id: agentID)?.presence
    }

    /// Starts an agent session for `name` (state loaded from its directory), optionally
    /// through `relay` instead of straight to the ComSat.
    public func startAgent(
        _ name: String, applier: RecordingApplier,
        configuration: AgentSessionConfiguration = CommandChannelRig.agentConfiguration, relay: TCPRelay? = nil
    ) throws -> RunningAgent {
        var state = try AgentState.load(from: stateDirectory(name))
        if let relay {
            state.comsatURL = "\(fixture.tls == nil ? "mqtt" : "mqtts")://127.0.0.1:\(relay.port)"
        }
        let session = AgentSession(
            state: state, stateDirectory: stateDirectory(name), configuration: configuration, applier: applier,
            logger: ComSatFixture.logger)
        return RunningAgent(session: session)
    }

    /// Runs `body` with a started agent session and stops it afterwards, also on failure.
    @discardableResult
    public func withAgent<T>(
        _ name: String, applier: RecordingApplier,
        configuration: AgentSessionConfiguration = CommandChannelRig.agentConfiguration, relay: TCPRelay? = nil,
        _ body: (RunningAgent) async throws -> T
    ) async throws -> T {
        let agent = try startAgent(name, applier: applier, configuration: configuration, relay: relay)
        do {
            let result = try await body(agent)
            if let failure = await agent.stop() { throw failure }
            return result
        } catch {
            await agent.stop()
            throw error
        }
    }

    /// Short intervals for tests.
    public static let agentConfiguration = AgentSessionConfiguration(
        statusInterval: .seconds(30), statusDebounce: .milliseconds(20),
        reconnect: MQTTReconnectPolicy(initialDelay: .milliseconds(50), maximumDelay: .milliseconds(300)),
        keepAlive: 5, connectTimeout: .seconds(5), operationTimeout: .seconds(3))

    /// Every byte of the controller's database file and its write-ahead log.
    public func databaseBytes() -> [UInt8] {
        fileBytes(fixture.home.databasePath) + fileBytes(fixture.home.databasePath + "-wal")
    }
}

/// An `AgentSession` running in a task.
public final class RunningAgent: Sendable {
    public let session: AgentSession
    private let task: Task<AgentSessionError?, Never>

    init(session: AgentSession) {
        self.session = session
        task = Task {
            do throws(AgentSessionError) {
                try await session.run()
                return nil
            } catch {
                return error
            }
        }
    }

    /// Cancels the session and waits until it stopped; returns its failure, if any.
    @discardableResult
    public func stop() async -> AgentSessionError? {
        task.cancel()
        return await task.value
    }
}

/// An applier that records every command it is asked to apply, in order, and can hold an
/// application until the test releases it.
public final class RecordingApplier: AgentCommandApplier {
    private struct State {
        var applied: [AgentCommand] = []
        var holding = false
        var waiters: [CheckedContinuation<Void, Never>] = []
        var held = 0
    }

    private let state = Mutex(State())

    public init() {}

    /// Every command applied so far, in order (duplicates would appear twice).
    public var applied: [AgentCommand] { state.withLock { $0.applied } }

    /// Applications currently waiting for `release()`.
    public var held: Int { state.withLock { $0.held } }

    /// Makes the next applications wait (after recording them) until `release()`.
    public func hold() {
        state.withLock { $0.holding = true }
    }

    public func release() {
        let waiters = state.withLock { state in
            state.holding = false
            defer { state.waiters.removeAll() }
            return state.waiters
        }
        for waiter in waiters { waiter.resume() }
    }

    public func apply(_ command: AgentCommand) async -> AgentAcknowledgement.Result {
        let holding = state.withLock { state in
            state.applied.append(command)
            return state.holding
        }
        if holding {
            await withCheckedContinuation { continuation in
                let resumeNow = state.withLock { state in
                    guard state.holding else { return true }
                    state.held += 1
                    state.waiters.append(continuation)
                    return false
                }
                if resumeNow { continuation.resume() }
            }
            state.withLock { $0.held -= 1 }
        }
        if case .deployMicroservice(let spec) = command, spec.executablePath == "/nonexistent" {
            return .failed(reason: "executable /nonexistent does not exist")
        }
        return .applied
    }

    public func currentStatus() async -> (microservices: [AgentStatus.Microservice], linkHalves: [AgentStatus.LinkHalf]) {
        ([], [])
    }
}
