import FogAgent
import FogController
import FogCore
import FogMQTT
import FogTestSupport
import Foundation
import Logging
import Synchronization

/// Scenario `link-setup` (issue 4): links created per second end to end, from the admin call
/// (`LinkService.addRoute`, what `POST /v1/routes` runs) until both halves' grants are
/// installed on the ComSat.
///
/// Everything is real except the agents' runtimes: a controller home and SQLite database, a
/// ComSat (Mosquitto with `libcomsat.so`) enrolled and pinned, the fleet, the provisioning
/// service, the agent command dispatcher, and `agents` provisioned agents each running an
/// `AgentSession` whose applier reports a fresh secret hash for every half it is assigned.
/// Each link joins a distinct pair of agents with one route between one microservice on each.
public struct LinkSetupScenario: Sendable {
    public var configuration: LinkSetupConfiguration

    public init(configuration: LinkSetupConfiguration) {
        self.configuration = configuration
    }

    public func run(progress: @escaping @Sendable (String) -> Void) async throws -> LinkSetupReport {
        let configuration = configuration
        guard configuration.links > 0, configuration.agents >= 2, configuration.concurrency > 0 else {
            throw BenchError(.invalidArgument, "links and concurrency must be positive and agents at least 2")
        }
        guard configuration.pairCapacity >= configuration.links else {
            throw BenchError(
                .invalidArgument,
                "\(configuration.agents) agents make \(configuration.pairCapacity) pairs, fewer than \(configuration.links) links")
        }
        _ = try MQTTSwarm.raiseDescriptorLimit()
        let logger = Logger(label: "fogfabric.bench.link-setup") { _ in SwiftLogNoOpLogHandler() }
        let directory = try TemporaryDirectory(prefix: "bench-link-setup")
        defer { directory.remove() }
        let (home, _) = try ControllerHome.initialize(at: directory.path + "/home")
        let database = try ControllerDatabase.open(path: home.databasePath, logger: logger)
        let pluginDirectory = directory.path + "/plugin"
        try FileManager.default.createDirectory(atPath: pluginDirectory, withIntermediateDirectories: false)
        let (enrolled, bundle) = try await ComSatEnrolment(
            name: "bench", url: "mqtt://127.0.0.1:1883", grantStorePath: pluginDirectory + "/grants.journal",
            identityKeyPath: pluginDirectory + "/identity.key"
        ).enrol(home: home, store: database, logger: logger)
        let broker = BrokerConfiguration(
            template: "comsat.conf", persistence: true, plugin: configuration.comsatPlugin, pluginOptions: bundle.pluginOptions,
            allowAnonymous: false)
        progress("starting a ComSat with the plugin")
        return try await withMosquitto(broker) { broker in
            var comsat = enrolled
            comsat.url = "mqtt://127.0.0.1:\(broker.port)"
            try await database.writer.write { [comsat] db in try comsat.update(db) }
            let keyText = try String(contentsOfFile: pluginDirectory + "/identity.key.pub", encoding: .utf8)
            try await database.pinResponseKey(
                try SigningPublicKey(text: keyText.trimmingCharacters(in: .whitespacesAndNewlines)), comsatID: comsat.id)
            let fleet = ComSatFleet(
                home: home, store: database, configuration: ComSatSessionConfiguration(responseTimeout: .seconds(30)),
                logger: logger)
            do {
                if let failure = try await fleet.connectAll().values.first { throw failure }
                let report = try await measureWithServices(
                    home: home, database: database, fleet: fleet, comsat: comsat, directory: directory.path, logger: logger,
                    progress: progress)
                await fleet.shutdown()
                return report
            } catch {
                await fleet.shutdown()
                throw error
            }
        }
    }

    /// Starts provisioning and the dispatcher on the fleet's session, then measures.
    private func measureWithServices(
        home: ControllerHome, database: ControllerDatabase, fleet: ComSatFleet, comsat: ComSatRecord, directory: String,
        logger: Logger, progress: @escaping @Sendable (String) -> Void
    ) async throws -> LinkSetupReport {
        guard let session = await fleet.session(for: comsat.id) else {
            throw BenchError(.missingPrerequisite, "no session to the ComSat")
        }
        let provisioning = ProvisioningService(
            home: home, store: database, fleet: fleet,
            configuration: ProvisioningServiceConfiguration(acceptanceGrace: .milliseconds(200)), logger: logger)
        let dispatcher = AgentCommandDispatcher(
            home: home, store: database, fleet: fleet,
            configuration: AgentCommandConfiguration(retryInterval: .seconds(2)), logger: logger)
        try await provisioning.attach(session)
        try await dispatcher.attach(session)
        let links = LinkService(store: database, fleet: fleet, commands: dispatcher, logger: logger)
        let upAt = UpTimes()
        await dispatcher.setLinkSecretHandler { agentID, report in
            await links.secretReported(report, by: agentID)
            if (try? await database.link(id: report.linkID))??.state == .up {
                upAt.record(report.linkID)
            }
        }
        return try await withThrowingTaskGroup(of: Void.self) { services in
            services.addTask { await provisioning.run() }
            services.addTask { await dispatcher.run() }
            defer { services.cancelAll() }
            let report = try await measure(
                home: home, database: database, fleet: fleet, comsat: comsat, session: session, links: links, upAt: upAt,
                directory: directory, logger: logger, progress: progress)
            await provisioning.finish()
            return report
        }
    }

    private func measure(
        home: ControllerHome, database: ControllerDatabase, fleet: ComSatFleet, comsat: ComSatRecord, session: ComSatSession,
        links: LinkService, upAt: UpTimes, directory: String, logger: Logger,
        progress: @escaping @Sendable (String) -> Void
    ) async throws -> LinkSetupReport {
        let configuration = configuration
        let issuer = ProvisioningKeyIssuer(home: home, store: database, fleet: fleet, logger: logger)
        progress("provisioning \(configuration.agents) agents")
        var names: [String] = []
        var agentTasks: [Task<Void, Never>] = []
        defer { for task in agentTasks { task.cancel() } }
        for index in 0..<configuration.agents {
            let name = "agent-\(index)"
            let stateDirectory = directory + "/" + name
            let key = try await issuer.issue(agentName: name, comsatID: comsat.id, lifetime: .seconds(600))
            let state = try await AgentProvisioner(stateDirectory: stateDirectory, logger: logger)
                .provision(token: key.token, comsatURL: comsat.url, caFile: nil)
            let applier = LinkSetupApplier()
            let agentSession = AgentSession(
                state: state, stateDirectory: stateDirectory, configuration: AgentSessionConfiguration(statusInterval: .seconds(60)),
                applier: applier, logger: logger)
            applier.attach(agentSession)
            agentTasks.append(Task { try? await agentSession.run() })
            // The microservice each route connects, recorded as `fogctl ms deploy` would.
            _ = try await database.saveMicroservice(
                MicroserviceRecord(agentID: state.agentID, name: "ms", executable: "/usr/bin/ms"))
            names.append(name)
        }
        var pairs: [(String, String)] = []
        outer: for first in 0..<names.count {
            for second in (first + 1)..<names.count {
                pairs.append((names[first], names[second]))
                if pairs.count == configuration.links { break outer }
            }
        }
        progress("creating \(pairs.count) links, \(configuration.concurrency) admin calls in flight")
        let clock = ContinuousClock()
        let started = clock.now
        var calledAt: [OpaqueID: ContinuousClock.Instant] = [:]
        try await withThrowingTaskGroup(of: (OpaqueID, ContinuousClock.Instant).self) { group in
            var next = 0
            func add() {
                let (source, target) = pairs[next]
                next += 1
                group.addTask {
                    let called = clock.now
                    let insertion = try await links.addRoute(
                        from: MicroserviceAddress(agent: source, microservice: "ms"),
                        to: MicroserviceAddress(agent: target, microservice: "ms"))
                    return (insertion.link.id, called)
                }
            }
            while next < min(configuration.concurrency, pairs.count) { add() }
            while let (linkID, called) = try await group.next() {
                calledAt[linkID] = called
                if next < pairs.count { add() }
            }
        }
        let expected = Set(calledAt.keys)
        var lastCount = -1
        var lastProgress = clock.now
        // Every link up, or no progress for 60 s.
        while true {
            let count = upAt.snapshot.keys.count { expected.contains($0) }
            if count == expected.count { break }
            if count != lastCount {
                lastCount = count
                lastProgress = clock.now
            } else if clock.now - lastProgress > .seconds(60) {
                throw BenchError(.controlTimeout, "only \(count) of \(expected.count) links came up")
            }
            try await Task.sleep(for: .milliseconds(20))
        }
        let times = upAt.snapshot
        let finished = times.values.max() ?? clock.now
        let latencies = calledAt.compactMap { linkID, called in times[linkID].map { Self.seconds($0 - called) } }
        guard case .stats(let stats) = try await session.send(.stats).body else {
            throw BenchError(.controlRejected, "the ComSat answered stats without stats")
        }
        return LinkSetupReport(
            configuration: configuration, elapsed: Self.seconds(finished - started), latencies: latencies,
            comsatGrants: stats.grants)
    }

    private static func seconds(_ duration: Duration) -> Double {
        let (seconds, attoseconds) = duration.components
        return Double(seconds) + Double(attoseconds) / 1e18
    }
}

/// When each link was first seen up, written from the dispatcher's handler.
final class UpTimes: Sendable {
    private let times = Mutex<[OpaqueID: ContinuousClock.Instant]>([:])

    func record(_ linkID: OpaqueID) {
        let now = ContinuousClock.now
        times.withLock { times in
            if times[linkID] == nil { times[linkID] = now }
        }
    }

    var snapshot: [OpaqueID: ContinuousClock.Instant] { times.withLock { $0 } }
}
