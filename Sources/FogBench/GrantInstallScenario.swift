import FogCore
import FogMQTT
import FogTestSupport

/// Scenario (b): the same link-half principals installed in batches through ComSat's
/// signed control channel and through Mosquitto's dynamic-security plugin, each batch
/// timed from publishing its control message until its answer arrives.
///
/// What it shows: whether a batch costs the same at 9,000 grants as at 0 (ComSat changes
/// its journal in O(1) per grant; dynamic security rewrites its whole JSON file after
/// every command), and the total time of each.
public struct GrantInstallScenario: Sendable {
    public var configuration: GrantInstallConfiguration

    public init(configuration: GrantInstallConfiguration = .init()) {
        self.configuration = configuration
    }

    public func run(progress: @escaping @Sendable (String) -> Void) async throws -> GrantInstallReport {
        let configuration = configuration
        guard configuration.grants > 0, configuration.batchSize > 0, configuration.sampleSize > 0 else {
            throw BenchError(.invalidArgument, "grants, batch size and sample size must be positive")
        }
        try MQTTSwarm.raiseDescriptorLimit()
        let loadBefore = MachineLoad.oneMinute()
        progress("generating \(configuration.grants) link-half credentials")
        let halves = LinkHalfCredentials.halves(configuration.grants)
        var comsat: GrantInstallRun?
        if let plugin = configuration.comsatPlugin {
            comsat = try await installThroughComSat(halves, plugin: plugin, progress: progress)
        }
        var dynsec: GrantInstallRun?
        if let plugin = configuration.dynamicSecurityPlugin {
            dynsec = try await installThroughDynamicSecurity(halves, plugin: plugin, progress: progress)
        }
        return GrantInstallReport(
            configuration: configuration, comsat: comsat, dynsec: dynsec, load: (loadBefore, MachineLoad.oneMinute()))
    }

    private func installThroughComSat(
        _ halves: [LinkHalfCredentials],
        plugin: String,
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
                var run = GrantInstallRun(
                    name: "comsat", requested: halves.count, batches: [], refused: 0, firstRefusal: nil,
                    stoppedEarly: false)
                for start in stride(from: 0, to: halves.count, by: configuration.batchSize) {
                    let batch = halves[start..<min(start + configuration.batchSize, halves.count)]
                    let grants = batch.map(\.grant)
                    let began = MonotonicClock.nanoseconds()
                    let (refused, first) = try session.addGrants(grants, timeout: configuration.responseTimeout)
                    run.batches.append(.init(grants: grants.count, seconds: Double(MonotonicClock.nanoseconds() - began) / 1e9))
                    run.refused += refused
                    if run.firstRefusal == nil, let first {
                        run.firstRefusal = "batch at \(start): \(first)"
                    }
                }
                run.installedCount = try session.grantCount(timeout: configuration.responseTimeout)
                run.storageBytes = controller.storageBytes
                try session.disconnect(timeout: configuration.responseTimeout)
                progress("[comsat] \(run.installed) grants in \(format(run.totalSeconds, 3)) s; ComSat holds \(run.installedCount ?? 0)")
                return run
            }
        }
    }

    private func installThroughDynamicSecurity(
        _ halves: [LinkHalfCredentials],
        plugin: String,
        progress: @escaping @Sendable (String) -> Void
    ) async throws -> GrantInstallRun {
        let configuration = configuration
        let admin = try await DynamicSecurityAdmin.create(pluginPath: plugin)
        defer { admin.remove() }
        return try await withMosquitto(admin.brokerConfiguration) { broker in
            let port = broker.port
            progress("[dynsec] broker on \(broker.host):\(port); \(halves.count) clients + roles in batches of \(configuration.batchSize), budget \(configuration.dynamicSecurityBudget)")
            return try await DedicatedThread.run {
                let channel = try ControlChannel(
                    options: admin.adminOptions(port: port), commandTopic: DynamicSecurityAdmin.commandTopic,
                    responseSubscription: DynamicSecurityAdmin.responseTopic)
                try channel.connect(timeout: configuration.responseTimeout)
                var run = GrantInstallRun(
                    name: "dynsec", requested: halves.count, batches: [], refused: 0, firstRefusal: nil,
                    stoppedEarly: false)
                let budget = MonotonicClock.nanoseconds(of: configuration.dynamicSecurityBudget)
                for start in stride(from: 0, to: halves.count, by: configuration.batchSize) {
                    // A batch costs at least what the one before it did: skip one that would
                    // end past the budget.
                    let expected = run.totalSeconds + (run.batches.last?.seconds ?? 0)
                    guard MonotonicClock.nanoseconds(of: .seconds(expected)) <= budget else {
                        run.stoppedEarly = true
                        break
                    }
                    let batch = halves[start..<min(start + configuration.batchSize, halves.count)]
                    let message = try admin.commands(for: batch)
                    let began = MonotonicClock.nanoseconds()
                    let answer = try channel.request(
                        message, timeout: configuration.responseTimeout,
                        describing: "\(batch.count * 2) dynamic-security commands")
                    run.batches.append(.init(grants: batch.count, seconds: Double(MonotonicClock.nanoseconds() - began) / 1e9))
                    let (refused, first) = try admin.check(response: answer, halves: batch.count)
                    run.refused += refused
                    if run.firstRefusal == nil, let first {
                        run.firstRefusal = "batch at \(start): \(first)"
                    }
                    if run.batches.count % 4 == 0 {
                        progress("[dynsec] \(run.installed) grants, last batch \(format(run.batches[run.batches.count - 1].seconds, 2)) s")
                    }
                }
                run.storageBytes = admin.storageBytes
                try channel.disconnect(timeout: configuration.responseTimeout)
                progress("[dynsec] \(run.installed) grants in \(format(run.totalSeconds, 2)) s" + (run.stoppedEarly ? " (budget reached)" : ""))
                return run
            }
        }
    }
}
