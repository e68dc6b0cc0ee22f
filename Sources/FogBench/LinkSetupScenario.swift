import FogAgent
import FogController
import FogCore
import FogMQTT
import FogTestSupport
import Foundation
import Logging
import Synchronization

/// Scenario `link-setup` (issue 4, scenario 4 of issue 7): set-up and tear-down latency per
/// link. From the admin call (`LinkService.addRoute`, what `POST /v1/routes` runs) until
/// (a) both halves' grants are installed on the ComSat and (b) a first message sent with
/// half A's credentials arrived at half B's client through the ComSat; then from the removal
/// call (`LinkService.removeRoute`, `fogctl route rm`) until (c) the ComSat refuses the old
/// credentials (a reconnect tried every `refusalPollInterval`). The baseline of (b) is the
/// same two-client exchange between fresh clients on a bare Mosquitto, in the same run.
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
        let scenario = self
        return try await TimeLimit.run(configuration.timeLimit, "link-setup") {
            try await scenario.runUnlimited(progress: progress)
        }
    }

    private func runUnlimited(progress: @escaping @Sendable (String) -> Void) async throws -> LinkSetupReport {
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
        let loadBefore = MachineLoad.oneMinute()
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
                var report = try await measureWithServices(
                    home: home, database: database, fleet: fleet, comsat: comsat, port: broker.port, directory: directory.path,
                    logger: logger, progress: progress)
                await fleet.shutdown()
                report.bareFirstMessage = try await measureBareFirstMessages(progress: progress)
                report.loadBefore = loadBefore
                report.loadAfter = MachineLoad.oneMinute()
                return report
            } catch {
                await fleet.shutdown()
                throw error
            }
        }
    }

    /// Starts provisioning and the dispatcher on the fleet's session, then measures.
    private func measureWithServices(
        home: ControllerHome, database: ControllerDatabase, fleet: ComSatFleet, comsat: ComSatRecord, port: UInt16,
        directory: String, logger: Logger, progress: @escaping @Sendable (String) -> Void
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
        let book = LinkHalfBook()
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
                book: book, probe: LinkHalfProbe(port: port), directory: directory, logger: logger, progress: progress)
            await provisioning.finish()
            return report
        }
    }

    private func measure(
        home: ControllerHome, database: ControllerDatabase, fleet: ComSatFleet, comsat: ComSatRecord, session: ComSatSession,
        links: LinkService, upAt: UpTimes, book: LinkHalfBook, probe: LinkHalfProbe, directory: String, logger: Logger,
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
            let applier = LinkSetupApplier(book: book)
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
        var agentPairs: [(String, String)] = []
        outer: for first in 0..<names.count {
            for second in (first + 1)..<names.count {
                agentPairs.append((names[first], names[second]))
                if agentPairs.count == configuration.links { break outer }
            }
        }
        let pairs = agentPairs
        progress("creating \(pairs.count) links, \(configuration.concurrency) admin calls in flight")
        let clock = ContinuousClock()
        let started = clock.now
        // (b) runs while links are still being added, as soon as each one is up.
        async let arrivals = Self.deliverFirstMessages(ups: upAt.ups, count: pairs.count, book: book, probe: probe)
        let added = try await Concurrently.map(pairs.count, inFlight: configuration.concurrency) { index in
            let (source, target) = pairs[index]
            let called = clock.now
            let insertion = try await links.addRoute(
                from: MicroserviceAddress(agent: source, microservice: "ms"), to: MicroserviceAddress(agent: target, microservice: "ms"))
            return (linkID: insertion.link.id, called: called)
        }
        let calledAt = Dictionary(added.map { ($0.linkID, $0.called) }, uniquingKeysWith: { first, _ in first })
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
        let delivered = try await arrivals
        progress("\(expected.count) links up in \(format(Self.seconds(finished - started), 2)) s, \(delivered.count) first messages delivered")
        let grantsWithLinks = try await Self.grantCount(session)

        progress("removing the \(pairs.count) links, \(configuration.concurrency) admin calls in flight")
        let removalStarted = clock.now
        let removal = try await removeLinks(
            pairs: pairs, linkIDs: added.map(\.linkID), links: links, book: book, probe: probe, clock: clock)
        let removalElapsed = Self.seconds(clock.now - removalStarted)
        progress("\(removal.count) links removed in \(format(removalElapsed, 2)) s")
        return LinkSetupReport(
            configuration: configuration, elapsed: Self.seconds(finished - started),
            latencies: calledAt.compactMap { linkID, called in times[linkID].map { Self.seconds($0 - called) } },
            firstMessage: calledAt.compactMap { linkID, called in delivered[linkID].map { Self.seconds($0 - called) } },
            upToFirstMessage: times.compactMap { linkID, up in delivered[linkID].map { Self.seconds($0 - up) } },
            removalElapsed: removalElapsed, removal: removal, bareFirstMessage: [], comsatGrants: grantsWithLinks,
            comsatGrantsAfterRemoval: try await Self.grantCount(session), loadBefore: nil, loadAfter: nil)
    }

    /// (c): removes each link by its route, `concurrency` calls in flight, and returns per
    /// link the seconds from the call until the ComSat refused both halves' old credentials.
    private func removeLinks(
        pairs: [(String, String)], linkIDs: [OpaqueID], links: LinkService, book: LinkHalfBook, probe: LinkHalfProbe,
        clock: ContinuousClock
    ) async throws -> [Double] {
        let interval = configuration.refusalPollInterval
        return try await Concurrently.map(pairs.count, inFlight: configuration.concurrency) { index in
            let (source, target) = pairs[index]
            guard let halves = book.link(linkIDs[index]) else {
                throw BenchError(.missingPrerequisite, "no credentials recorded for link \(linkIDs[index])")
            }
            let called = clock.now
            let decommission = try await links.removeRoute(
                from: MicroserviceAddress(agent: source, microservice: "ms"), to: MicroserviceAddress(agent: target, microservice: "ms"))
            guard decommission.warnings.isEmpty else {
                throw BenchError(.controlRejected, "removing link \(linkIDs[index]): \(decommission.warnings.joined(separator: "; "))")
            }
            async let refusedA = probe.awaitRefusal(of: halves.a, interval: interval)
            let refusedB = try await probe.awaitRefusal(of: halves.b, interval: interval)
            return Self.seconds(max(try await refusedA, refusedB) - called)
        }
    }

    /// (b): for each link as it comes up, a first message from half A's credentials to half
    /// B's through the ComSat. Returns when `count` links were probed.
    private static func deliverFirstMessages(
        ups: AsyncStream<OpaqueID>, count: Int, book: LinkHalfBook, probe: LinkHalfProbe
    ) async throws -> [OpaqueID: ContinuousClock.Instant] {
        try await withThrowingTaskGroup(of: (OpaqueID, ContinuousClock.Instant).self) { group in
            var started = 0
            for await linkID in ups {
                guard let halves = book.link(linkID) else {
                    throw BenchError(.missingPrerequisite, "link \(linkID) is up but its halves' credentials were not both recorded")
                }
                group.addTask { (linkID, try await probe.firstMessage(from: halves.a, to: halves.b)) }
                started += 1
                if started == count { break }
            }
            var arrivals: [OpaqueID: ContinuousClock.Instant] = [:]
            while let (linkID, arrived) = try await group.next() {
                arrivals[linkID] = arrived
            }
            return arrivals
        }
    }

    /// The baseline of (b): the same exchange between fresh clients on a bare Mosquitto
    /// (the ComSat's template and persistence, no plugin, anonymous), one at a time so the
    /// baseline gets the machine to itself.
    private func measureBareFirstMessages(progress: @escaping @Sendable (String) -> Void) async throws -> [Double] {
        let count = configuration.links
        progress("baseline: \(count) first messages between fresh clients on a bare Mosquitto")
        let broker = BrokerConfiguration(template: "comsat.conf", persistence: true, allowAnonymous: true)
        return try await withMosquitto(broker) { broker in
            let probe = LinkHalfProbe(port: broker.port)
            let pairs = LinkHalfCredentials.links(count)
            return try await Concurrently.map(count, inFlight: 1) { index in
                let started = ContinuousClock.now
                let arrived = try await probe.firstMessage(from: pairs[index].a, to: pairs[index].b)
                return Self.seconds(arrived - started)
            }
        }
    }

    private static func grantCount(_ session: ComSatSession) async throws -> UInt64 {
        guard case .stats(let stats) = try await session.send(.stats).body else {
            throw BenchError(.controlRejected, "the ComSat answered stats without stats")
        }
        return stats.grants
    }

    private static func seconds(_ duration: Duration) -> Double {
        let (seconds, attoseconds) = duration.components
        return Double(seconds) + Double(attoseconds) / 1e18
    }
}

/// When each link was first seen up, written from the dispatcher's handler; `ups` yields
/// each link once, at that moment.
final class UpTimes: Sendable {
    let ups: AsyncStream<OpaqueID>
    private let upSink: AsyncStream<OpaqueID>.Continuation
    private let times = Mutex<[OpaqueID: ContinuousClock.Instant]>([:])

    init() {
        (ups, upSink) = AsyncStream.makeStream()
    }

    func record(_ linkID: OpaqueID) {
        let now = ContinuousClock.now
        let first = times.withLock { times in
            guard times[linkID] == nil else { return false }
            times[linkID] = now
            return true
        }
        if first { upSink.yield(linkID) }
    }

    var snapshot: [OpaqueID: ContinuousClock.Instant] { times.withLock { $0 } }
}
