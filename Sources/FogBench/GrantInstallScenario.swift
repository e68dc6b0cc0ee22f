import FogCore
import FogMQTT
import FogTestSupport

/// Scenario `comsat-grants` (grant churn): the same link-half principals installed and then
/// removed in batches, through ComSat's signed control channel and through Mosquitto's
/// dynamic-security plugin, each batch timed from publishing its control message until its
/// answer arrives.
///
/// Removal is what the controller does when links go (`GrantSync.revoke`): `removeGrants`
/// for a batch of usernames (the plugin kicks their clients and queues their sessions for a
/// sweep), then one sweep connection per removed client id; a ComSat removal batch is timed
/// until its sweeps are done. Dynamic security's equivalent is `deleteClient` plus
/// `deleteRole` per half.
///
/// What it shows: whether a batch costs the same at 9,000 grants as at 0 (ComSat changes
/// its journal in O(1) per grant; dynamic security rewrites its whole JSON file after
/// every command), and the throughput of each for installing and for removing.
public struct GrantInstallScenario: Sendable {
    public var configuration: GrantInstallConfiguration

    public init(configuration: GrantInstallConfiguration = .init()) {
        self.configuration = configuration
    }

    public func run(progress: @escaping @Sendable (String) -> Void) async throws -> GrantInstallReport {
        let configuration = configuration
        let deadline = TimeLimit.Deadline(configuration.timeLimit, "comsat-grants")
        guard configuration.grants > 0, configuration.batchSize > 0, configuration.sampleSize > 0 else {
            throw BenchError(.invalidArgument, "grants, batch size and sample size must be positive")
        }
        try MQTTSwarm.raiseDescriptorLimit()
        let loadBefore = MachineLoad.oneMinute()
        progress("generating \(configuration.grants) link-half credentials")
        let halves = LinkHalfCredentials.halves(configuration.grants)
        var comsat: GrantInstallRun?
        if let plugin = configuration.comsatPlugin {
            comsat = try await churnThroughComSat(halves, plugin: plugin, deadline: deadline, progress: progress)
        }
        var dynsec: GrantInstallRun?
        if let plugin = configuration.dynamicSecurityPlugin {
            dynsec = try await churnThroughDynamicSecurity(halves, plugin: plugin, deadline: deadline, progress: progress)
        }
        return GrantInstallReport(
            configuration: configuration, comsat: comsat, dynsec: dynsec, load: (loadBefore, MachineLoad.oneMinute()))
    }

    private func churnThroughComSat(
        _ halves: [LinkHalfCredentials],
        plugin: String,
        deadline: TimeLimit.Deadline,
        progress: @escaping @Sendable (String) -> Void
    ) async throws -> GrantInstallRun {
        let configuration = configuration
        let controller = try ComSatController.create()
        defer { controller.remove() }
        return try await withMosquitto(controller.brokerConfiguration(plugin: plugin)) { broker in
            let port = broker.port
            progress("[comsat] broker on \(broker.host):\(port); \(halves.count) grants in batches of \(configuration.batchSize)")
            return try await DedicatedThread.run {
                let session = try ComSatControlSession(controller: controller, port: port)
                try session.connect(timeout: configuration.responseTimeout)
                var run = GrantInstallRun(name: "comsat")
                for start in stride(from: 0, to: halves.count, by: configuration.batchSize) {
                    try deadline.check("installing grants on the ComSat")
                    let grants = halves[start..<min(start + configuration.batchSize, halves.count)].map(\.grant)
                    let began = MonotonicClock.nanoseconds()
                    let (refused, first) = try session.addGrants(grants, timeout: configuration.responseTimeout)
                    run.install.record(
                        .init(grants: grants.count, heldBefore: start, seconds: Self.seconds(since: began)),
                        refused: refused, firstRefusal: first)
                }
                run.heldAfterInstall = try session.grantCount(timeout: configuration.responseTimeout)
                run.storageBytes = controller.storageBytes
                progress("[comsat] installed \(run.installed) in \(format(run.install.totalSeconds, 3)) s; removing")
                for start in stride(from: 0, to: halves.count, by: configuration.batchSize) {
                    try deadline.check("removing grants from the ComSat")
                    let batch = halves[start..<min(start + configuration.batchSize, halves.count)]
                    let began = MonotonicClock.nanoseconds()
                    let (refused, first) = try session.removeGrants(batch.map(\.username), timeout: configuration.responseTimeout)
                    let swept = MonotonicClock.nanoseconds()
                    try session.sweep(clientIDs: batch.map(\.clientID), timeout: configuration.responseTimeout)
                    run.removal.record(
                        .init(
                            grants: batch.count, heldBefore: halves.count - start, seconds: Self.seconds(since: began),
                            sweepSeconds: Self.seconds(since: swept)),
                        refused: refused, firstRefusal: first)
                }
                run.heldAfterRemoval = try session.grantCount(timeout: configuration.responseTimeout)
                try session.disconnect(timeout: configuration.responseTimeout)
                progress(
                    "[comsat] removed \(run.removal.grants) in \(format(run.removal.totalSeconds, 3)) s "
                        + "(sweeps \(format(run.removal.sweepSeconds, 3)) s); ComSat holds \(run.heldAfterRemoval ?? 0)")
                return run
            }
        }
    }

    private func churnThroughDynamicSecurity(
        _ halves: [LinkHalfCredentials],
        plugin: String,
        deadline: TimeLimit.Deadline,
        progress: @escaping @Sendable (String) -> Void
    ) async throws -> GrantInstallRun {
        let configuration = configuration
        let admin = try await DynamicSecurityAdmin.create(pluginPath: plugin)
        defer { admin.remove() }
        return try await withMosquitto(admin.brokerConfiguration) { broker in
            let port = broker.port
            progress(
                "[dynsec] broker on \(broker.host):\(port); \(halves.count) clients + roles in batches of "
                    + "\(configuration.batchSize), budget \(configuration.dynamicSecurityBudget) per phase")
            return try await DedicatedThread.run {
                let channel = try ControlChannel(
                    options: admin.adminOptions(port: port), commandTopic: DynamicSecurityAdmin.commandTopic,
                    responseSubscription: DynamicSecurityAdmin.responseTopic)
                try channel.connect(timeout: configuration.responseTimeout)
                var run = GrantInstallRun(name: "dynsec")
                run.install = try dynamicSecurityPhase(
                    "installed", halves[...], held: { start in start }, channel: channel, deadline: deadline, progress: progress,
                    message: admin.commands(for:))
                run.storageBytes = admin.storageBytes
                let installed = halves.prefix(run.installed)
                run.removal = try dynamicSecurityPhase(
                    "removed", installed, held: { start in installed.count - start }, channel: channel, deadline: deadline,
                    progress: progress,
                    message: admin.removalCommands(for:))
                try channel.disconnect(timeout: configuration.responseTimeout)
                return run
            }
        }
    }

    /// Sends `halves` in batches of `message`s until done or until the next batch would
    /// end past the budget.
    private func dynamicSecurityPhase(
        _ verb: String,
        _ halves: ArraySlice<LinkHalfCredentials>,
        held: (Int) -> Int,
        channel: ControlChannel,
        deadline: TimeLimit.Deadline,
        progress: @Sendable (String) -> Void,
        message: (ArraySlice<LinkHalfCredentials>) throws -> [UInt8]
    ) throws -> GrantPhase {
        let configuration = configuration
        var phase = GrantPhase()
        let budget = MonotonicClock.nanoseconds(of: configuration.dynamicSecurityBudget)
        for start in stride(from: 0, to: halves.count, by: configuration.batchSize) {
            // A batch costs about what the one before it did: skip one that would end past
            // the budget.
            let expected = phase.totalSeconds + (phase.batches.last?.seconds ?? 0)
            guard MonotonicClock.nanoseconds(of: .seconds(expected)) <= budget else {
                phase.stoppedEarly = true
                break
            }
            try deadline.check("sending dynamic-security commands")
            let first = halves.startIndex + start
            let batch = halves[first..<min(first + configuration.batchSize, halves.endIndex)]
            let payload = try message(batch)
            let began = MonotonicClock.nanoseconds()
            let answer = try channel.request(
                payload, timeout: configuration.responseTimeout, describing: "\(batch.count * 2) dynamic-security commands")
            let seconds = Self.seconds(since: began)
            let (refused, firstRefusal) = try DynamicSecurityAdmin.check(response: answer, halves: batch.count)
            phase.record(.init(grants: batch.count, heldBefore: held(start), seconds: seconds), refused: refused, firstRefusal: firstRefusal)
            if phase.batches.count % 4 == 0 {
                progress("[dynsec] \(verb) \(phase.grants), last batch \(format(seconds, 2)) s")
            }
        }
        progress("[dynsec] \(verb) \(phase.grants) in \(format(phase.totalSeconds, 2)) s" + (phase.stoppedEarly ? " (budget reached)" : ""))
        return phase
    }

    private static func seconds(since began: UInt64) -> Double {
        Double(MonotonicClock.nanoseconds() - began) / 1e9
    }
}
